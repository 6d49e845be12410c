/**
 * MakAir reports <-> the controller's settings and samples: the unit edge (mmH2O and whole
 * cmH2O on the wire, cmH2O here) and the meaning of each field.
 *
 * | VentSettings     | PCV                               | VC                                        |
 * |------------------|-----------------------------------|-------------------------------------------|
 * | mode             | VentilationMode 1/2               | VentilationMode 3/5                       |
 * | peepCmH2O        | PEEP (3), mmH2O                   | PEEP (3), mmH2O                           |
 * | peakCmH2O        | PlateauPressure (2), mmH2O        | PeakPressureAlarmThreshold (30), mmH2O    |
 * | rateBpm          | CyclesPerMinute (4)               | CyclesPerMinute (4)                       |
 * | tidalVolumeMl    | (not used)                        | TargetTidalVolume (20), mL                |
 * | fio2             | no setting: the operator's declared value                                    |
 */
import type { MonitorSample, VentSettings } from '../../machines/types.js';
import { OutOfRangeError } from '../errors.js';
import type { MachineStateSnapshot, MakAirVentilationMode, SettingsReport } from './messages.js';
import { MAKAIR_MODE_CODES, makAirModeFor, ventModeOf } from './modes.js';
import { ControlSetting, type ControlSettingId } from './settings.js';
import { cmH2OToMmH2O, firmwareRoundCmH2O, mmH2OToCmH2O } from './units.js';

/** Last value the device acknowledged per setting id (exact wire value). */
export type AckedValues = ReadonlyMap<number, number>;

/**
 * A reported whole-cmH2O command, refined to 0.1 cmH2O by the last acknowledged mmH2O value
 * when the two agree (the report rounds what was acknowledged).
 */
function refinedMmH2O(reportedCmH2O: number, acked: number | undefined): number {
  return acked !== undefined && firmwareRoundCmH2O(acked) === reportedCmH2O ? acked : reportedCmH2O * 10;
}

/**
 * The settings in force, from a machine state snapshot or stopped message. Throws
 * `OutOfRangeError` when the device is in a mode the controller cannot express (PC-VSAI).
 *
 * @example
 * settingsFromReport(state, 0.4, acked); // { mode: 'PCV', peepCmH2O: 12.5, peakCmH2O: 30, rateBpm: 20, fio2: 0.4 }
 */
export function settingsFromReport(report: SettingsReport, fio2: number, acked: AckedValues): VentSettings {
  const mode = ventModeOf(report.ventilationMode);
  if (mode === null) {
    throw new OutOfRangeError('mode', report.ventilationMode, 'PC_CMV|PC_AC|VC_CMV|VC_AC', `the MakAir is in ${report.ventilationMode}, which rm-sequencer cannot express`);
  }
  const peepCmH2O = mmH2OToCmH2O(refinedMmH2O(report.peepCommandCmH2O, acked.get(ControlSetting.PEEP)));
  const base = { mode, peepCmH2O, rateBpm: report.cpmCommand, fio2 };
  if (mode === 'PCV') {
    return { ...base, peakCmH2O: mmH2OToCmH2O(refinedMmH2O(report.plateauCommandCmH2O, acked.get(ControlSetting.PlateauPressure))) };
  }
  return { ...base, peakCmH2O: mmH2OToCmH2O(report.peakPressureAlarmThresholdMmH2O), tidalVolumeMl: report.targetTidalVolumeMl };
}

/** One control frame to send, and how a later report shows that the device took it. */
export interface PlannedCommand {
  setting: ControlSettingId;
  value: number;
  label: string;
  shows(report: SettingsReport): boolean;
}

function desired(report: SettingsReport, target: VentSettings, acked: AckedValues): PlannedCommand[] {
  const mode: MakAirVentilationMode = makAirModeFor(target.mode, report.ventilationMode);
  const peepMmH2O = cmH2OToMmH2O(target.peepCmH2O);
  const peakMmH2O = cmH2OToMmH2O(target.peakCmH2O);
  const cmd = (setting: ControlSettingId, value: number, label: string, shows: (r: SettingsReport) => boolean): PlannedCommand => ({
    setting,
    value,
    label,
    shows,
  });
  const modeCmd = cmd(ControlSetting.VentilationMode, MAKAIR_MODE_CODES[mode], `mode ${mode}`, (r) => r.ventilationMode === mode);
  const peep = cmd(ControlSetting.PEEP, peepMmH2O, `PEEP ${peepMmH2O} mmH2O`, (r) => r.peepCommandCmH2O === firmwareRoundCmH2O(peepMmH2O));
  const peak =
    target.mode === 'PCV'
      ? cmd(ControlSetting.PlateauPressure, peakMmH2O, `plateau ${peakMmH2O} mmH2O`, (r) => r.plateauCommandCmH2O === firmwareRoundCmH2O(peakMmH2O))
      : cmd(ControlSetting.PeakPressureAlarmThreshold, peakMmH2O, `peak alarm ${peakMmH2O} mmH2O`, (r) => r.peakPressureAlarmThresholdMmH2O === peakMmH2O);
  const cpm = Math.round(target.rateBpm);
  const rate = cmd(ControlSetting.CyclesPerMinute, cpm, `rate ${cpm}/min`, (r) => r.cpmCommand === cpm);
  // Raise the peak before the PEEP, lower the PEEP before the peak: peak >= PEEP at every step.
  const pressures = peepMmH2O > refinedMmH2O(report.peepCommandCmH2O, acked.get(ControlSetting.PEEP)) ? [peak, peep] : [peep, peak];
  const out = [modeCmd, ...pressures, rate];
  if (target.mode === 'VC' && target.tidalVolumeMl !== undefined) {
    const ml = Math.round(target.tidalVolumeMl);
    out.push(cmd(ControlSetting.TargetTidalVolume, ml, `tidal volume ${ml} mL`, (r) => r.targetTidalVolumeMl === ml));
  }
  return out;
}

/**
 * The device's settings as best known when the last report is older than some acknowledgement:
 * the report with every control ack received after it applied (the firmware acks the value it
 * kept; a report that shows it comes only at the next breath). Only the fields a plan reads
 * are overlaid; a transaction is still confirmed only by a later report.
 *
 * @example
 * withAcksSince(report, new Map([[ControlSetting.PEEP, 250]])).peepCommandCmH2O; // 25
 */
export function withAcksSince(report: SettingsReport, ackedSince: ReadonlyMap<number, number>): SettingsReport {
  const r: SettingsReport = { ...report };
  for (const [setting, value] of ackedSince) {
    switch (setting) {
      case ControlSetting.VentilationMode: {
        const mode = (Object.keys(MAKAIR_MODE_CODES) as MakAirVentilationMode[]).find((m) => MAKAIR_MODE_CODES[m] === value);
        if (mode) r.ventilationMode = mode;
        break;
      }
      case ControlSetting.PEEP:
        r.peepCommandCmH2O = firmwareRoundCmH2O(value);
        break;
      case ControlSetting.PlateauPressure:
        r.plateauCommandCmH2O = firmwareRoundCmH2O(value);
        break;
      case ControlSetting.PeakPressureAlarmThreshold:
        r.peakPressureAlarmThresholdMmH2O = value;
        break;
      case ControlSetting.CyclesPerMinute:
        r.cpmCommand = value;
        break;
      case ControlSetting.TargetTidalVolume:
        r.targetTidalVolumeMl = value;
        break;
    }
  }
  return r;
}

function currentWireValue(report: SettingsReport, setting: ControlSettingId, acked: AckedValues): number | undefined {
  switch (setting) {
    case ControlSetting.VentilationMode:
      return MAKAIR_MODE_CODES[report.ventilationMode];
    case ControlSetting.PEEP:
      return refinedMmH2O(report.peepCommandCmH2O, acked.get(setting));
    case ControlSetting.PlateauPressure:
      return refinedMmH2O(report.plateauCommandCmH2O, acked.get(setting));
    case ControlSetting.PeakPressureAlarmThreshold:
      return report.peakPressureAlarmThresholdMmH2O;
    case ControlSetting.CyclesPerMinute:
      return report.cpmCommand;
    case ControlSetting.TargetTidalVolume:
      return report.targetTidalVolumeMl;
    default:
      return undefined;
  }
}

/**
 * What it takes to reach `target` from `report`: `all` is every setting the target fixes (the
 * readback must show each), `send` the ones whose wire value differs (one frame each, in a
 * safe order: mode first; peak raised before PEEP, PEEP lowered before peak).
 *
 * @example
 * const { send, all } = planCommands(state, { ...current, peepCmH2O: 14 }, acked);
 * // send = [PEEP 140 mmH2O] (the plateau is already right), all = mode, plateau, PEEP, rate
 */
export function planCommands(report: SettingsReport, target: VentSettings, acked: AckedValues): { send: PlannedCommand[]; all: PlannedCommand[] } {
  const all = desired(report, target, acked);
  const send = all.filter((c) => currentWireValue(report, c.setting, acked) !== c.value);
  return { send, all };
}

const PLAUSIBLE_PRESSURE_CMH2O: readonly [number, number] = [0, 120];
const PLAUSIBLE_VOLUME_ML: readonly [number, number] = [0, 3000];
const within = (v: number, [lo, hi]: readonly [number, number]): boolean => Number.isFinite(v) && v >= lo && v <= hi;

/**
 * The breath a machine state snapshot reports, as a monitor sample (raw -> cmH2O -> plausible).
 * Plateau 0 means "not measured"; a volume of 0xFFFF (null) means no flow sensor. Compliance is
 * Vt / (Pplat - PEEP) when both are known and the driving pressure is at least 1 cmH2O.
 *
 * @example
 * sampleFromState(state, clock.now(), 'makair'); // { t, source: 'makair', peakCmH2O: 28.5, plateauCmH2O: 24, peepCmH2O: 10.2, ... }
 */
export function sampleFromState(state: MachineStateSnapshot, t: number, source: string): MonitorSample {
  const sample: MonitorSample = { t, source };
  const peak = mmH2OToCmH2O(state.previousPeakPressureMmH2O);
  const plateau = mmH2OToCmH2O(state.previousPlateauPressureMmH2O);
  const peep = mmH2OToCmH2O(state.previousPeepPressureMmH2O);
  if (within(peak, PLAUSIBLE_PRESSURE_CMH2O)) sample.peakCmH2O = peak;
  if (plateau > 0 && within(plateau, PLAUSIBLE_PRESSURE_CMH2O)) sample.plateauCmH2O = plateau;
  if (within(peep, PLAUSIBLE_PRESSURE_CMH2O)) sample.peepCmH2O = peep;
  if (state.previousVolumeMl !== null && within(state.previousVolumeMl, PLAUSIBLE_VOLUME_ML)) sample.tidalVolumeMl = state.previousVolumeMl;
  if (sample.tidalVolumeMl !== undefined && sample.plateauCmH2O !== undefined && sample.peepCmH2O !== undefined) {
    const driving = sample.plateauCmH2O - sample.peepCmH2O;
    if (driving >= 1) sample.complianceMlPerCmH2O = Math.round((sample.tidalVolumeMl / driving) * 10) / 10;
  }
  return sample;
}
