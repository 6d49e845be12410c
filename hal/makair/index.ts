/**
 * MakAir support: the control/telemetry protocol (both directions, for the adapter and for
 * device emulators) and the `MakAirVentilator` adapter. Protocol: telemetry v2 (final
 * revision), control frames 05 0A ... 50 A0. See docs/protocols/makair.md.
 *
 * @example
 * import { WallClock } from 'rm-sequencer';
 * import { MakAirVentilator } from 'rm-sequencer/hal/makair';
 * import { SerialTransport } from 'rm-sequencer/hal/serial';
 * const transport = await SerialTransport.open({ path: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 });
 * const makair = new MakAirVentilator({ transport, clock: new WallClock(), fio2: 0.4 });
 * await makair.connect();
 * console.log(await makair.readSettings());
 */
export { crc32, crc32Range, readU32BE, writeU32BE } from './crc.js';
export { cmH2OToMmH2O, mmH2OToCmH2O, firmwareRoundCmH2O } from './units.js';
export {
  ControlSetting,
  CONTROL_SETTINGS,
  DISABLE_RPI_WATCHDOG,
  controlSettingInfo,
  MAX_CONTROL_SETTING_ID,
  controlValueWithinBounds,
  type ControlSettingId,
  type ControlSettingInfo,
  type ControlSettingName,
} from './settings.js';
export {
  CONTROL_FOOTER,
  CONTROL_FRAME_BYTES,
  CONTROL_HEADER,
  ControlFrameParser,
  decodeControlFrame,
  encodeControlFrame,
  type ControlMessage,
  type ControlParserStats,
} from './control.js';
export { TELEMETRY_FOOTER, TELEMETRY_HEADER, TELEMETRY_OVERHEAD_BYTES, wrapTelemetryBody, type TelemetryFrame } from './framing.js';
export type * from './messages.js';
export { decodeTelemetryMessage, encodeTelemetryFrame, encodeTelemetryMessage } from './codec.js';
export { MAX_BODY_BYTES, measureBody } from './measure.js';
export { TelemetryParser, type TelemetryParserStats } from './parser.js';
export { MAKAIR_MODE_CODES, MAKAIR_VENT_MODES, makAirModeFor, ventModeOf } from './modes.js';
export { MAKAIR_LIMITS, assertMakAirLimits, makAirCapabilities } from './capabilities.js';
export { planCommands, sampleFromState, settingsFromReport, type PlannedCommand } from './mapping.js';
export { ALARM_POLICY, HighPriorityAlarms, STEP_GRACE, alarmAction, isHighPriorityAlarmCode, type AlarmAction, type AlarmPolicyEntry } from './alarms.js';
export { FIRMWARE_MOVES, captureBaseline, isBaselineTarget, restoreGuarded, type DeviceBaseline } from './baseline.js';
export { MAX_REASSERTS, STAGE_SETTLE_MS } from './apply.js';
export { MakAirVentilator } from './ventilator.js';
export { HEARTBEAT_INTERVAL_RANGE_MS, MAKAIR_WIRE_TIMING, type MakAirLinkStats, type MakAirVentilatorOptions } from './options.js';
