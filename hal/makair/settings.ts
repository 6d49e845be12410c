/**
 * The MakAir control settings: every id the firmware lists, with its wire unit and the bounds
 * the reference implementation documents.
 *
 * Sources: makair-firmware `includes/serial_control.h` (enum ControlSetting) and
 * makair-telemetry `src/control.rs` (`ControlSetting::bounds`), latest revision: ids 0-31, the last
 * being the end-of-line test confirmation (`EolConfirm`, value 0 only). The firmware clamps or ignores
 * values outside its own limits and acknowledges the value it actually kept, so a control ack
 * that differs from the value sent means the device did not take it.
 */

/**
 * Setting ids, by name (`ControlSetting` in the firmware).
 *
 * @example
 * encodeControlFrame({ setting: ControlSetting.PEEP, value: cmH2OToMmH2O(12) });
 */
export const ControlSetting = {
  Heartbeat: 0,
  VentilationMode: 1,
  PlateauPressure: 2,
  PEEP: 3,
  CyclesPerMinute: 4,
  ExpiratoryTerm: 5,
  TriggerEnabled: 6,
  TriggerOffset: 7,
  RespirationEnabled: 8,
  AlarmSnooze: 9,
  InspiratoryTriggerFlow: 10,
  ExpiratoryTriggerFlow: 11,
  TiMin: 12,
  TiMax: 13,
  LowInspiratoryMinuteVolumeAlarmThreshold: 14,
  HighInspiratoryMinuteVolumeAlarmThreshold: 15,
  LowExpiratoryMinuteVolumeAlarmThreshold: 16,
  HighExpiratoryMinuteVolumeAlarmThreshold: 17,
  LowRespiratoryRateAlarmThreshold: 18,
  HighRespiratoryRateAlarmThreshold: 19,
  TargetTidalVolume: 20,
  LowTidalVolumeAlarmThreshold: 21,
  HighTidalVolumeAlarmThreshold: 22,
  PlateauDuration: 23,
  LeakAlarmThreshold: 24,
  TargetInspiratoryFlow: 25,
  InspiratoryDuration: 26,
  Locale: 27,
  PatientHeight: 28,
  PatientGender: 29,
  PeakPressureAlarmThreshold: 30,
  /** Confirms the current end-of-line (factory) test step; value 0 only. Never sent by rm-sequencer. */
  EolConfirm: 31,
} as const;

export type ControlSettingName = keyof typeof ControlSetting;
export type ControlSettingId = (typeof ControlSetting)[ControlSettingName];

export interface ControlSettingInfo {
  id: ControlSettingId;
  name: ControlSettingName;
  /** Unit of the u16 value on the wire. */
  unit: string;
  /** Documented bounds (inclusive), in the wire unit. */
  bounds: readonly [min: number, max: number];
}

/** Heartbeat value that disables the firmware's Raspberry Pi watchdog (`DISABLE_RPI_WATCHDOG`). */
export const DISABLE_RPI_WATCHDOG = 43_690;

const row = (name: ControlSettingName, unit: string, min: number, max: number): ControlSettingInfo => ({
  id: ControlSetting[name],
  name,
  unit,
  bounds: [min, max],
});

/**
 * One row per setting id, indexed by id.
 *
 * @example
 * CONTROL_SETTINGS[ControlSetting.PEEP]; // { id: 3, name: 'PEEP', unit: 'mmH2O', bounds: [0, 300] }
 */
export const CONTROL_SETTINGS: readonly ControlSettingInfo[] = [
  row('Heartbeat', 'none', 0, 0xffff),
  row('VentilationMode', '1 PC-CMV, 2 PC-AC, 3 VC-CMV, 4 PC-VSAI, 5 VC-AC', 1, 5),
  row('PlateauPressure', 'mmH2O', 100, 400),
  row('PEEP', 'mmH2O', 0, 300),
  row('CyclesPerMinute', 'cycles/min', 5, 35),
  row('ExpiratoryTerm', 'E of I:E with I = 10', 10, 60),
  row('TriggerEnabled', '0/1', 0, 1),
  row('TriggerOffset', 'mmH2O', 0, 100),
  row('RespirationEnabled', '0/1', 0, 1),
  row('AlarmSnooze', '0/1', 0, 1),
  row('InspiratoryTriggerFlow', '%', 0, 100),
  row('ExpiratoryTriggerFlow', '%', 0, 100),
  row('TiMin', 'ms', 100, 3000),
  row('TiMax', 'ms', 200, 5000),
  row('LowInspiratoryMinuteVolumeAlarmThreshold', 'L/min', 0, 20),
  row('HighInspiratoryMinuteVolumeAlarmThreshold', 'L/min', 10, 40),
  row('LowExpiratoryMinuteVolumeAlarmThreshold', 'L/min', 0, 20),
  row('HighExpiratoryMinuteVolumeAlarmThreshold', 'L/min', 10, 40),
  row('LowRespiratoryRateAlarmThreshold', 'cycles/min', 5, 25),
  row('HighRespiratoryRateAlarmThreshold', 'cycles/min', 15, 35),
  row('TargetTidalVolume', 'mL', 50, 2000),
  row('LowTidalVolumeAlarmThreshold', 'mL', 0, 1000),
  row('HighTidalVolumeAlarmThreshold', 'mL', 50, 2000),
  row('PlateauDuration', 'ms', 100, 2000),
  row('LeakAlarmThreshold', 'cL/min', 0, 10_000),
  row('TargetInspiratoryFlow', 'L/min', 5, 80),
  row('InspiratoryDuration', 'ms', 200, 3000),
  row('Locale', 'two ASCII letters, big-endian', 0x6161, 0x7a7a),
  row('PatientHeight', 'cm', 100, 250),
  row('PatientGender', '0 male, 1 female', 0, 1),
  row('PeakPressureAlarmThreshold', 'mmH2O', 50, 700),
  row('EolConfirm', 'none (0 confirms the current end-of-line test step)', 0, 0),
];

/** Highest setting id the firmware defines. */
export const MAX_CONTROL_SETTING_ID = CONTROL_SETTINGS.length - 1;

/**
 * The row of a setting id, or `undefined` for an id the firmware does not list.
 *
 * @example
 * controlSettingInfo(3)?.name; // 'PEEP'
 */
export function controlSettingInfo(id: number): ControlSettingInfo | undefined {
  return Number.isInteger(id) ? CONTROL_SETTINGS[id] : undefined;
}

/**
 * Whether `value` lies within the documented bounds of setting `id`.
 *
 * @example
 * controlValueWithinBounds(ControlSetting.PEEP, 120); // true
 * controlValueWithinBounds(ControlSetting.PEEP, 350); // false
 */
export function controlValueWithinBounds(id: number, value: number): boolean {
  const info = controlSettingInfo(id);
  return info !== undefined && Number.isInteger(value) && value >= info.bounds[0] && value <= info.bounds[1];
}
