/**
 * The settings a MakAir firmware holds, as the emulator keeps them: every value in its wire
 * unit (mmH2O, cycles/min, mL), changed by control frames or the touchscreen, clamped to the
 * firmware's limits (makair-firmware `includes/parameters.h`; the firmware acknowledges the
 * value it kept). Converted here, and only here, to the simulated patient's cmH2O.
 */
import { MAKAIR_LIMITS } from '../../hal/makair/capabilities.js';
import {
  CONTROL_SETTINGS,
  ControlSetting,
  cmH2OToMmH2O,
  firmwareRoundCmH2O,
  mmH2OToCmH2O,
  type MakAirVentilationMode,
  type SettingsReport,
} from '../../hal/makair/index.js';
import { MAKAIR_MODE_CODES, ventModeOf } from '../../hal/makair/modes.js';
import type { VentSettings } from '../../machines/types.js';
import type { SimSettings } from '../../sim/index.js';

const MODE_BY_CODE = new Map<number, MakAirVentilationMode>(Object.entries(MAKAIR_MODE_CODES).map(([m, c]) => [c, m as MakAirVentilationMode]));

const clamp = (v: number, [lo, hi]: readonly [number, number]): number => Math.min(hi, Math.max(lo, v));

/** Firmware limits per setting id (wire units); the rest use the documented bounds. */
const FIRMWARE_LIMITS: Partial<Record<number, readonly [number, number]>> = {
  [ControlSetting.PEEP]: MAKAIR_LIMITS.peepMmH2O,
  [ControlSetting.PlateauPressure]: MAKAIR_LIMITS.plateauMmH2O,
  [ControlSetting.CyclesPerMinute]: MAKAIR_LIMITS.cyclesPerMinute,
  [ControlSetting.TargetTidalVolume]: MAKAIR_LIMITS.tidalVolumeMl,
  [ControlSetting.PeakPressureAlarmThreshold]: MAKAIR_LIMITS.peakPressureAlarmMmH2O,
};

/** The fields of a settings report that are not the firmware's "settings" (state, not commands). */
const DEFAULT_REPORT: Omit<SettingsReport, 'peakCommandCmH2O' | 'plateauCommandCmH2O' | 'peepCommandCmH2O' | 'cpmCommand' | 'ventilationMode' | 'targetTidalVolumeMl' | 'peakPressureAlarmThresholdMmH2O'> = {
  expiratoryTerm: 20,
  triggerEnabled: false,
  triggerOffsetMmH2O: 20,
  alarmSnoozed: false,
  cpuLoadPct: 30,
  inspiratoryTriggerFlowPct: 10,
  expiratoryTriggerFlowPct: 30,
  tiMinMs: 200,
  tiMaxMs: 1000,
  lowInspiratoryMinuteVolumeAlarmThresholdLPerMin: 3,
  highInspiratoryMinuteVolumeAlarmThresholdLPerMin: 20,
  lowExpiratoryMinuteVolumeAlarmThresholdLPerMin: 3,
  highExpiratoryMinuteVolumeAlarmThresholdLPerMin: 20,
  lowRespiratoryRateAlarmThresholdBpm: 10,
  highRespiratoryRateAlarmThresholdBpm: 35,
  lowTidalVolumeAlarmThresholdMl: 200,
  highTidalVolumeAlarmThresholdMl: 1000,
  plateauDurationMs: 200,
  leakAlarmThresholdCLPerMin: 200,
  targetInspiratoryFlowLPerMin: 40,
  inspiratoryDurationCommandMs: 800,
  batteryLevelCentivolts: 2650,
  currentAlarmCodes: [],
  localeCode: 0x6672,
  patientHeightCm: 170,
  patientGender: 'female',
};

/**
 * The firmware's own move of the peak pressure alarm threshold on a plateau change: observed on
 * a MakAir (issue 21: after a maneuver ending at plateau 250 mmH2O it read 350, where it was 500
 * before). The emulator keeps the threshold this far above every new plateau and acknowledges
 * the move like any other setting change.
 */
export const PEAK_ALARM_ABOVE_PLATEAU_MMH2O = 100;

/** Firmware default of the peak pressure alarm threshold (makair-telemetry `ControlSetting::default`). */
export const DEFAULT_PEAK_ALARM_MMH2O = 500;

/** Boot values of the other settings, by id (wire units), as the reports carry them. */
const DEFAULT_OTHER: Readonly<Record<number, number>> = {
  [ControlSetting.ExpiratoryTerm]: DEFAULT_REPORT.expiratoryTerm,
  [ControlSetting.TriggerEnabled]: DEFAULT_REPORT.triggerEnabled ? 1 : 0,
  [ControlSetting.TriggerOffset]: DEFAULT_REPORT.triggerOffsetMmH2O,
  [ControlSetting.InspiratoryTriggerFlow]: DEFAULT_REPORT.inspiratoryTriggerFlowPct,
  [ControlSetting.ExpiratoryTriggerFlow]: DEFAULT_REPORT.expiratoryTriggerFlowPct,
  [ControlSetting.TiMin]: DEFAULT_REPORT.tiMinMs,
  [ControlSetting.TiMax]: DEFAULT_REPORT.tiMaxMs,
  [ControlSetting.LowInspiratoryMinuteVolumeAlarmThreshold]: DEFAULT_REPORT.lowInspiratoryMinuteVolumeAlarmThresholdLPerMin,
  [ControlSetting.HighInspiratoryMinuteVolumeAlarmThreshold]: DEFAULT_REPORT.highInspiratoryMinuteVolumeAlarmThresholdLPerMin,
  [ControlSetting.LowExpiratoryMinuteVolumeAlarmThreshold]: DEFAULT_REPORT.lowExpiratoryMinuteVolumeAlarmThresholdLPerMin,
  [ControlSetting.HighExpiratoryMinuteVolumeAlarmThreshold]: DEFAULT_REPORT.highExpiratoryMinuteVolumeAlarmThresholdLPerMin,
  [ControlSetting.LowRespiratoryRateAlarmThreshold]: DEFAULT_REPORT.lowRespiratoryRateAlarmThresholdBpm,
  [ControlSetting.HighRespiratoryRateAlarmThreshold]: DEFAULT_REPORT.highRespiratoryRateAlarmThresholdBpm,
  [ControlSetting.LowTidalVolumeAlarmThreshold]: DEFAULT_REPORT.lowTidalVolumeAlarmThresholdMl,
  [ControlSetting.HighTidalVolumeAlarmThreshold]: DEFAULT_REPORT.highTidalVolumeAlarmThresholdMl,
  [ControlSetting.PlateauDuration]: DEFAULT_REPORT.plateauDurationMs,
  [ControlSetting.LeakAlarmThreshold]: DEFAULT_REPORT.leakAlarmThresholdCLPerMin,
  [ControlSetting.TargetInspiratoryFlow]: DEFAULT_REPORT.targetInspiratoryFlowLPerMin,
  [ControlSetting.InspiratoryDuration]: DEFAULT_REPORT.inspiratoryDurationCommandMs,
  [ControlSetting.Locale]: DEFAULT_REPORT.localeCode,
  [ControlSetting.PatientHeight]: DEFAULT_REPORT.patientHeightCm,
  [ControlSetting.PatientGender]: DEFAULT_REPORT.patientGender === 'male' ? 0 : 1,
};

export interface FirmwareSettings {
  mode: MakAirVentilationMode;
  peepMmH2O: number;
  plateauMmH2O: number;
  cpm: number;
  tidalVolumeMl: number;
  peakAlarmMmH2O: number;
  respirationEnabled: boolean;
  /** Every other setting id the host may send, by id (wire value). */
  other: Map<number, number>;
}

/**
 * The firmware settings that ventilate as `s` does (the emulator's boot settings).
 * Throws `TypeError` for CPAP, which the MakAir cannot do.
 *
 * @example
 * firmwareFrom({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 }); // PEEP 100 mmH2O, plateau 250 mmH2O
 */
export function firmwareFrom(s: SimSettings): FirmwareSettings {
  if (s.mode === 'CPAP') throw new TypeError('a MakAir cannot ventilate in CPAP: start the emulator in PCV or VC');
  const pcv = s.mode === 'PCV';
  return {
    mode: pcv ? 'PC_CMV' : 'VC_CMV',
    peepMmH2O: clamp(cmH2OToMmH2O(s.peepCmH2O), MAKAIR_LIMITS.peepMmH2O),
    plateauMmH2O: clamp(cmH2OToMmH2O(pcv ? s.peakCmH2O : Math.min(40, s.peakCmH2O)), MAKAIR_LIMITS.plateauMmH2O),
    cpm: clamp(Math.round(s.rateBpm), MAKAIR_LIMITS.cyclesPerMinute),
    tidalVolumeMl: clamp(Math.round(s.tidalVolumeMl ?? 400), MAKAIR_LIMITS.tidalVolumeMl),
    peakAlarmMmH2O: clamp(pcv ? DEFAULT_PEAK_ALARM_MMH2O : cmH2OToMmH2O(s.peakCmH2O), MAKAIR_LIMITS.peakPressureAlarmMmH2O),
    respirationEnabled: true,
    other: new Map(),
  };
}

/** A copy (for the boot defaults the emulator returns to on reboot). */
export function copyFirmware(f: FirmwareSettings): FirmwareSettings {
  return { ...f, other: new Map(f.other) };
}

/**
 * Applies one control setting as the firmware does. Returns the value it kept (what the ack
 * carries), or null when the frame changes nothing and is not acknowledged (heartbeat).
 *
 * @example
 * applyControl(fw, ControlSetting.PEEP, 20); // 50: the firmware clamps PEEP to 50-300 mmH2O
 */
export function applyControl(f: FirmwareSettings, setting: number, value: number): number | null {
  switch (setting) {
    case ControlSetting.Heartbeat:
      return null;
    case ControlSetting.VentilationMode: {
      const mode = MODE_BY_CODE.get(value);
      if (mode) f.mode = mode;
      return MAKAIR_MODE_CODES[f.mode];
    }
    case ControlSetting.PEEP:
      return (f.peepMmH2O = clamp(value, MAKAIR_LIMITS.peepMmH2O));
    case ControlSetting.PlateauPressure:
      return (f.plateauMmH2O = clamp(value, MAKAIR_LIMITS.plateauMmH2O));
    case ControlSetting.CyclesPerMinute:
      return (f.cpm = clamp(value, MAKAIR_LIMITS.cyclesPerMinute));
    case ControlSetting.TargetTidalVolume:
      return (f.tidalVolumeMl = clamp(value, MAKAIR_LIMITS.tidalVolumeMl));
    case ControlSetting.PeakPressureAlarmThreshold:
      return (f.peakAlarmMmH2O = clamp(value, MAKAIR_LIMITS.peakPressureAlarmMmH2O));
    case ControlSetting.RespirationEnabled:
      f.respirationEnabled = value !== 0;
      return f.respirationEnabled ? 1 : 0;
    default: {
      const info = CONTROL_SETTINGS[setting];
      if (!info) return null;
      const kept = clamp(value, FIRMWARE_LIMITS[setting] ?? info.bounds);
      f.other.set(setting, kept);
      return kept;
    }
  }
}

/**
 * Settings the firmware changes by itself after `setting` was set (each acknowledged too): a
 * plateau change moves the peak pressure alarm threshold to plateau + 100 mmH2O.
 *
 * @example
 * applyControl(fw, ControlSetting.PlateauPressure, 250);
 * firmwareSideEffects(fw, ControlSetting.PlateauPressure); // [{ setting: 30, value: 350 }]
 */
export function firmwareSideEffects(f: FirmwareSettings, setting: number): Array<{ setting: number; value: number }> {
  if (setting !== ControlSetting.PlateauPressure) return [];
  f.peakAlarmMmH2O = clamp(f.plateauMmH2O + PEAK_ALARM_ABOVE_PLATEAU_MMH2O, MAKAIR_LIMITS.peakPressureAlarmMmH2O);
  return [{ setting: ControlSetting.PeakPressureAlarmThreshold, value: f.peakAlarmMmH2O }];
}

/** The wire value of every setting the firmware holds, by id (heartbeat and end-of-line confirm excluded). */
export function wireSettingsOf(f: FirmwareSettings): Record<number, number> {
  const out: Record<number, number> = {};
  for (const info of CONTROL_SETTINGS) {
    if (info.id === ControlSetting.Heartbeat || info.id === ControlSetting.EolConfirm || info.id === ControlSetting.AlarmSnooze) continue;
    const v = currentValue(f, info.id);
    if (v !== null) out[info.id] = v;
  }
  return out;
}

/** The current wire value of a setting (what a refused change is acknowledged with). */
export function currentValue(f: FirmwareSettings, setting: number): number | null {
  switch (setting) {
    case ControlSetting.Heartbeat:
      return null;
    case ControlSetting.VentilationMode:
      return MAKAIR_MODE_CODES[f.mode];
    case ControlSetting.PEEP:
      return f.peepMmH2O;
    case ControlSetting.PlateauPressure:
      return f.plateauMmH2O;
    case ControlSetting.CyclesPerMinute:
      return f.cpm;
    case ControlSetting.TargetTidalVolume:
      return f.tidalVolumeMl;
    case ControlSetting.PeakPressureAlarmThreshold:
      return f.peakAlarmMmH2O;
    case ControlSetting.RespirationEnabled:
      return f.respirationEnabled ? 1 : 0;
    default:
      return f.other.get(setting) ?? DEFAULT_OTHER[setting] ?? CONTROL_SETTINGS[setting]?.bounds[0] ?? null;
  }
}

/** The settings part of state snapshots and stopped messages (commands in whole cmH2O, firmware rounding). */
export function reportOf(f: FirmwareSettings, currentAlarmCodes: number[]): SettingsReport {
  const o = f.other;
  const v = (id: number): number => o.get(id) ?? DEFAULT_OTHER[id]!;
  const plateau = firmwareRoundCmH2O(f.plateauMmH2O);
  return {
    ...DEFAULT_REPORT,
    peakCommandCmH2O: plateau,
    plateauCommandCmH2O: plateau,
    peepCommandCmH2O: firmwareRoundCmH2O(f.peepMmH2O),
    cpmCommand: f.cpm,
    ventilationMode: f.mode,
    targetTidalVolumeMl: f.tidalVolumeMl,
    peakPressureAlarmThresholdMmH2O: f.peakAlarmMmH2O,
    expiratoryTerm: v(ControlSetting.ExpiratoryTerm),
    triggerEnabled: v(ControlSetting.TriggerEnabled) !== 0,
    triggerOffsetMmH2O: v(ControlSetting.TriggerOffset),
    alarmSnoozed: (o.get(ControlSetting.AlarmSnooze) ?? 0) !== 0,
    inspiratoryTriggerFlowPct: v(ControlSetting.InspiratoryTriggerFlow),
    expiratoryTriggerFlowPct: v(ControlSetting.ExpiratoryTriggerFlow),
    tiMinMs: v(ControlSetting.TiMin),
    tiMaxMs: v(ControlSetting.TiMax),
    lowInspiratoryMinuteVolumeAlarmThresholdLPerMin: v(ControlSetting.LowInspiratoryMinuteVolumeAlarmThreshold),
    highInspiratoryMinuteVolumeAlarmThresholdLPerMin: v(ControlSetting.HighInspiratoryMinuteVolumeAlarmThreshold),
    lowExpiratoryMinuteVolumeAlarmThresholdLPerMin: v(ControlSetting.LowExpiratoryMinuteVolumeAlarmThreshold),
    highExpiratoryMinuteVolumeAlarmThresholdLPerMin: v(ControlSetting.HighExpiratoryMinuteVolumeAlarmThreshold),
    lowRespiratoryRateAlarmThresholdBpm: v(ControlSetting.LowRespiratoryRateAlarmThreshold),
    highRespiratoryRateAlarmThresholdBpm: v(ControlSetting.HighRespiratoryRateAlarmThreshold),
    lowTidalVolumeAlarmThresholdMl: v(ControlSetting.LowTidalVolumeAlarmThreshold),
    highTidalVolumeAlarmThresholdMl: v(ControlSetting.HighTidalVolumeAlarmThreshold),
    plateauDurationMs: v(ControlSetting.PlateauDuration),
    leakAlarmThresholdCLPerMin: v(ControlSetting.LeakAlarmThreshold),
    targetInspiratoryFlowLPerMin: v(ControlSetting.TargetInspiratoryFlow),
    inspiratoryDurationCommandMs: v(ControlSetting.InspiratoryDuration),
    localeCode: v(ControlSetting.Locale),
    patientHeightCm: v(ControlSetting.PatientHeight),
    patientGender: v(ControlSetting.PatientGender) === 0 ? 'male' : 'female',
    currentAlarmCodes,
  };
}

/** Inspiratory fraction of a breath from the expiratory term (I:E = 10:term). */
export function inspiratoryFraction(f: FirmwareSettings): number {
  const term = f.other.get(ControlSetting.ExpiratoryTerm) ?? DEFAULT_REPORT.expiratoryTerm;
  return 10 / (10 + term);
}

/**
 * What the patient receives. PCV: PEEP and plateau; VC: the set tidal volume, limited at the
 * peak pressure alarm threshold; stopped: no breaths at PEEP (the simulator's CPAP). A PEEP
 * above the plateau (between two control frames) ventilates at PEEP: the peak never falls below it.
 */
export function patientSettings(f: FirmwareSettings, fio2: number): SimSettings {
  const peepCmH2O = mmH2OToCmH2O(f.peepMmH2O);
  if (!f.respirationEnabled) return { mode: 'CPAP', peepCmH2O, peakCmH2O: peepCmH2O, rateBpm: 0, fio2 };
  const mode = ventModeOf(f.mode) ?? 'PCV';
  if (mode === 'VC') {
    return { mode: 'VC', peepCmH2O, peakCmH2O: Math.max(peepCmH2O, mmH2OToCmH2O(f.peakAlarmMmH2O)), rateBpm: f.cpm, fio2, tidalVolumeMl: f.tidalVolumeMl };
  }
  return { mode: 'PCV', peepCmH2O, peakCmH2O: Math.max(peepCmH2O, mmH2OToCmH2O(f.plateauMmH2O)), rateBpm: f.cpm, fio2 };
}

/**
 * The touchscreen: a change in the controller's units, as control values (setting id, wire
 * value), in the safe order (peak raised before PEEP, PEEP lowered before the peak).
 */
export function knobCommands(f: FirmwareSettings, change: Partial<VentSettings>): Array<{ setting: number; value: number }> {
  const out: Array<{ setting: number; value: number }> = [];
  const mode = change.mode ?? ventModeOf(f.mode) ?? 'PCV';
  if (change.mode === 'CPAP') throw new RangeError('the MakAir has no CPAP mode');
  if (change.mode !== undefined && change.mode !== ventModeOf(f.mode)) {
    const assist = f.mode === 'PC_AC' || f.mode === 'VC_AC';
    const target: MakAirVentilationMode = change.mode === 'PCV' ? (assist ? 'PC_AC' : 'PC_CMV') : assist ? 'VC_AC' : 'VC_CMV';
    out.push({ setting: ControlSetting.VentilationMode, value: MAKAIR_MODE_CODES[target] });
  }
  const peak =
    change.peakCmH2O === undefined
      ? null
      : { setting: mode === 'VC' ? ControlSetting.PeakPressureAlarmThreshold : ControlSetting.PlateauPressure, value: cmH2OToMmH2O(change.peakCmH2O) };
  const peep = change.peepCmH2O === undefined ? null : { setting: ControlSetting.PEEP, value: cmH2OToMmH2O(change.peepCmH2O) };
  const raising = peep !== null && peep.value > f.peepMmH2O;
  for (const c of raising ? [peak, peep] : [peep, peak]) if (c) out.push(c);
  if (change.rateBpm !== undefined) out.push({ setting: ControlSetting.CyclesPerMinute, value: Math.round(change.rateBpm) });
  if (change.tidalVolumeMl !== undefined) out.push({ setting: ControlSetting.TargetTidalVolume, value: Math.round(change.tidalVolumeMl) });
  return out;
}

/** The firmware settings in the controller's units (FiO2 is the oxygen supply's). */
export function ventSettingsOf(f: FirmwareSettings, fio2: number): VentSettings {
  const mode = ventModeOf(f.mode) ?? 'PCV';
  const base = { mode, peepCmH2O: mmH2OToCmH2O(f.peepMmH2O), rateBpm: f.cpm, fio2 };
  return mode === 'VC'
    ? { ...base, peakCmH2O: mmH2OToCmH2O(f.peakAlarmMmH2O), tidalVolumeMl: f.tidalVolumeMl }
    : { ...base, peakCmH2O: mmH2OToCmH2O(f.plateauMmH2O) };
}
