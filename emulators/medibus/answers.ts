/**
 * What a MEDIBUS device answers to each command (device side, built with the production
 * encoders), and the damage a corrupted frame carries.
 */
import {
  MEASURED_VALUE_CHARS,
  MedibusCommand,
  SETTING_VALUE_CHARS,
  encodeAlarmRecords,
  encodeDataRecords,
  encodeDateTime,
  encodeDeviceId,
  encodeResponse,
  encodeTextRecords,
  type MedibusAlarmRecord,
  type MedibusCodeTable,
  type MedibusDeviceId,
} from '../../hal/medibus/index.js';
import type { VentSettings } from '../../machines/types.js';
import type { VentilatorReading } from '../../sim/index.js';
import { limitRecords, measuredRecords, settingRecords, type DraegerSettings } from './draeger.js';

const HEX_DIGITS = '0123456789ABCDEF';

export interface DeviceState {
  table: MedibusCodeTable;
  identity: MedibusDeviceId;
  settings: DraegerSettings;
  /** The last breath, as the device measured it. */
  reading: VentilatorReading;
  /** cmH2O the measured airway pressures fall short by (a leak; 0: none). */
  leakCmH2O: number;
  alarms: MedibusAlarmRecord[];
  /** The device clock (epoch ms), for the date/time answer. */
  now: number;
}

/**
 * The response frame to a host command. Every request the emulated devices support gets its
 * payload: identification (52H), measured data (24H, 2BH: records of the codepage, none for a
 * family whose table has no codepage-2 entry), low and high alarm limits (25H, 26H), alarms
 * (27H with the raised ones; 2EH and 23H: none raised there), date and time (28H), current
 * settings (29H), the mode as a text message (2AH). NOP, ICC and STOP are answered with their
 * echo; any other command (trend data, codepage-2 limits, real-time configuration, ...) is not
 * supported by the emulated devices and is answered with an empty echo of its byte, which is
 * how a MEDIBUS device answers a command it does not support (docs/protocols/medibus.md).
 *
 * @example
 * transport.write(answerFor(MedibusCommand.DEVICE_SETTINGS, state)); // SOH 29 <7-byte records> ck ck CR
 */
export function answerFor(cmd: number, d: DeviceState): Uint8Array {
  switch (cmd) {
    case MedibusCommand.DEVICE_ID:
      return encodeResponse(cmd, encodeDeviceId(d.identity));
    case MedibusCommand.MEASURED_CP1:
      return encodeResponse(cmd, encodeDataRecords(measuredRecords(d.table, 1, d.reading, d.settings, d.leakCmH2O), MEASURED_VALUE_CHARS));
    case MedibusCommand.MEASURED_CP2:
      return encodeResponse(cmd, encodeDataRecords(measuredRecords(d.table, 2, d.reading, d.settings, d.leakCmH2O), MEASURED_VALUE_CHARS));
    case MedibusCommand.DEVICE_SETTINGS:
      return encodeResponse(cmd, encodeDataRecords(settingRecords(d.table, d.settings), SETTING_VALUE_CHARS));
    case MedibusCommand.TEXT_MESSAGES:
      return encodeResponse(cmd, encodeTextRecords([{ code: d.settings.modeCode, text: d.settings.modeName.slice(0, 40) }]));
    case MedibusCommand.ALARMS_CP1:
      return encodeResponse(cmd, encodeAlarmRecords(d.alarms));
    case MedibusCommand.ALARMS_CP2:
    case MedibusCommand.ALARMS_CP3:
      return encodeResponse(cmd, encodeAlarmRecords([]));
    case MedibusCommand.LOW_LIMITS_CP1:
      return encodeResponse(cmd, encodeDataRecords(limitRecords(d.table, 'low', d.settings), MEASURED_VALUE_CHARS));
    case MedibusCommand.HIGH_LIMITS_CP1:
      return encodeResponse(cmd, encodeDataRecords(limitRecords(d.table, 'high', d.settings), MEASURED_VALUE_CHARS));
    case MedibusCommand.DATE_TIME:
      return encodeResponse(cmd, encodeDateTime(d.now));
    default:
      return encodeResponse(cmd);
  }
}

/** Changes the second checksum character to another upper-case hex digit: the frame fails its checksum. */
export function corruptChecksum(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  const i = out.length - 2;
  const d = HEX_DIGITS.indexOf(String.fromCharCode(out[i]!));
  out[i] = HEX_DIGITS.charCodeAt((d + 1) % 16);
  return out;
}

/** Settings in words, for the log. */
export function describeSettings(s: VentSettings): string {
  const r = (v: number): number => Math.round(v * 100) / 100;
  const peak = s.mode === 'CPAP' ? '' : s.mode === 'VC' ? `, Pmax ${r(s.peakCmH2O)}, Vt ${s.tidalVolumeMl} mL` : `, Pinsp ${r(s.peakCmH2O)}`;
  return `${s.mode} PEEP ${r(s.peepCmH2O)} cmH2O${peak}, ${r(s.rateBpm)}/min, FiO2 ${r(s.fio2)}`;
}
