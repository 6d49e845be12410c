/**
 * The MakAir's full baseline: every firmware setting a settings report carries, not only the
 * five the controller drives. The firmware changes some by itself (the peak pressure alarm
 * threshold follows every plateau change, issue 21), and anyone may change others on the
 * touchscreen during a maneuver; a return to the baseline must bring all of them back and be
 * confirmed by the telemetry.
 *
 * The adapter captures a `DeviceBaseline` from the report in force before it changes anything
 * (and again at every `readSettings()` until then). An `apply` whose target is the captured
 * baseline (same wire values of mode, PEEP, peak, rate and tidal volume) becomes a restore:
 * after the driven settings, every guarded setting that differs is sent back, in stages (a
 * setting the firmware moves as a side effect goes after the one that moves it), and the
 * transaction resolves only when one report shows every driven and every guarded setting at
 * its baseline value.
 */
import type { VentSettings } from '../../machines/types.js';
import type { AckedValues, PlannedCommand } from './mapping.js';
import { planCommands, withAcksSince } from './mapping.js';
import type { SettingsReport } from './messages.js';
import { ventModeOf } from './modes.js';
import { ControlSetting, controlSettingInfo, controlValueWithinBounds, type ControlSettingId } from './settings.js';
import { firmwareRoundCmH2O } from './units.js';

/** A setting the controller does not drive but a restore must bring back: how to read it from a report. */
interface Guarded {
  setting: ControlSettingId;
  /** Wire value as reported (whole cmH2O for the plateau: compared at that resolution). */
  read(report: SettingsReport, acked: AckedValues): number;
  shows(report: SettingsReport, value: number): boolean;
}

const plain = (setting: ControlSettingId, read: (r: SettingsReport) => number): Guarded => ({
  setting,
  read: (r) => read(r),
  shows: (r, v) => read(r) === v,
});

/**
 * Every setting a report carries that the controller's `VentSettings` do not cover in `mode`.
 * Not guarded: heartbeat (0), respiration on/off (8, never touched implicitly), alarm snooze (9,
 * an action), end-of-line confirm (31).
 */
const COMMON: readonly Guarded[] = [
  plain(ControlSetting.ExpiratoryTerm, (r) => r.expiratoryTerm),
  plain(ControlSetting.TriggerEnabled, (r) => (r.triggerEnabled ? 1 : 0)),
  plain(ControlSetting.TriggerOffset, (r) => r.triggerOffsetMmH2O),
  plain(ControlSetting.InspiratoryTriggerFlow, (r) => r.inspiratoryTriggerFlowPct),
  plain(ControlSetting.ExpiratoryTriggerFlow, (r) => r.expiratoryTriggerFlowPct),
  plain(ControlSetting.TiMin, (r) => r.tiMinMs),
  plain(ControlSetting.TiMax, (r) => r.tiMaxMs),
  plain(ControlSetting.LowInspiratoryMinuteVolumeAlarmThreshold, (r) => r.lowInspiratoryMinuteVolumeAlarmThresholdLPerMin),
  plain(ControlSetting.HighInspiratoryMinuteVolumeAlarmThreshold, (r) => r.highInspiratoryMinuteVolumeAlarmThresholdLPerMin),
  plain(ControlSetting.LowExpiratoryMinuteVolumeAlarmThreshold, (r) => r.lowExpiratoryMinuteVolumeAlarmThresholdLPerMin),
  plain(ControlSetting.HighExpiratoryMinuteVolumeAlarmThreshold, (r) => r.highExpiratoryMinuteVolumeAlarmThresholdLPerMin),
  plain(ControlSetting.LowRespiratoryRateAlarmThreshold, (r) => r.lowRespiratoryRateAlarmThresholdBpm),
  plain(ControlSetting.HighRespiratoryRateAlarmThreshold, (r) => r.highRespiratoryRateAlarmThresholdBpm),
  plain(ControlSetting.LowTidalVolumeAlarmThreshold, (r) => r.lowTidalVolumeAlarmThresholdMl),
  plain(ControlSetting.HighTidalVolumeAlarmThreshold, (r) => r.highTidalVolumeAlarmThresholdMl),
  plain(ControlSetting.PlateauDuration, (r) => r.plateauDurationMs),
  plain(ControlSetting.LeakAlarmThreshold, (r) => r.leakAlarmThresholdCLPerMin),
  plain(ControlSetting.TargetInspiratoryFlow, (r) => r.targetInspiratoryFlowLPerMin),
  plain(ControlSetting.InspiratoryDuration, (r) => r.inspiratoryDurationCommandMs),
  plain(ControlSetting.Locale, (r) => r.localeCode),
  plain(ControlSetting.PatientHeight, (r) => r.patientHeightCm),
  plain(ControlSetting.PatientGender, (r) => (r.patientGender === 'male' ? 0 : 1)),
];

/** In PCV the peak alarm threshold and the target tidal volume are not driven. */
const PCV_ONLY: readonly Guarded[] = [
  plain(ControlSetting.PeakPressureAlarmThreshold, (r) => r.peakPressureAlarmThresholdMmH2O),
  plain(ControlSetting.TargetTidalVolume, (r) => r.targetTidalVolumeMl),
];

/** In VC the plateau is not driven (reported in whole cmH2O; the acknowledged mmH2O refines it). */
const VC_ONLY: readonly Guarded[] = [
  {
    setting: ControlSetting.PlateauPressure,
    read: (r, acked) => {
      const a = acked.get(ControlSetting.PlateauPressure);
      return a !== undefined && firmwareRoundCmH2O(a) === r.plateauCommandCmH2O ? a : r.plateauCommandCmH2O * 10;
    },
    shows: (r, v) => r.plateauCommandCmH2O === firmwareRoundCmH2O(v),
  },
];

/**
 * Settings the firmware moves by itself when another is set, and must therefore be restored
 * after it: a plateau change moves the peak pressure alarm threshold (issue 21).
 */
export const FIRMWARE_MOVES: ReadonlyMap<ControlSettingId, readonly ControlSettingId[]> = new Map([
  [ControlSetting.PlateauPressure, [ControlSetting.PeakPressureAlarmThreshold]],
]);

function guardedIn(report: SettingsReport): readonly Guarded[] {
  return [...COMMON, ...(ventModeOf(report.ventilationMode) === 'VC' ? VC_ONLY : PCV_ONLY)];
}

/** The report and acknowledged values in force before the adapter changed anything. */
export interface DeviceBaseline {
  readonly report: SettingsReport;
  readonly acked: AckedValues;
  /** Wire value of every guarded setting, by id. */
  readonly guarded: ReadonlyMap<ControlSettingId, number>;
}

/**
 * A baseline captured by another adapter (a session that died, from its journal) for the
 * driven settings `driven` (wire values by id, as `planCommands(...).all` gives for the
 * baseline): the current report with those values in, and the captured guarded values. Throws
 * `RangeError` naming the setting for an id that is not guarded in the baseline's mode or a
 * value outside the setting's documented bounds; guarded settings the capture lacks keep the
 * value the device holds now (they are not restored).
 *
 * @example
 * adoptedBaseline(report, new Map([[3, 100], [2, 250]]), new Map([[30, 350]]));
 */
export function adoptedBaseline(report: SettingsReport, driven: ReadonlyMap<number, number>, captured: ReadonlyMap<number, number>): DeviceBaseline {
  const synthetic = withAcksSince(report, driven);
  const table = guardedIn(synthetic);
  for (const [id, value] of captured) {
    const info = controlSettingInfo(id);
    if (!table.some((g) => g.setting === id)) {
      throw new RangeError(`captured MakAir setting ${id}${info ? ` (${info.name})` : ''} is not one a return to a ${ventModeOf(synthetic.ventilationMode)} baseline restores`);
    }
    if (!controlValueWithinBounds(id, value)) {
      throw new RangeError(`captured MakAir setting ${id} (${info!.name}) = ${value}: outside its bounds ${info!.bounds[0]}-${info!.bounds[1]} ${info!.unit}`);
    }
  }
  const acked = new Map(driven);
  return { report: synthetic, acked, guarded: new Map(table.map((g) => [g.setting, captured.get(g.setting) ?? g.read(report, acked)])) };
}

/**
 * @example
 * const baseline = captureBaseline(report, acked);
 * baseline.guarded.get(ControlSetting.PeakPressureAlarmThreshold); // 500
 */
export function captureBaseline(report: SettingsReport, acked: AckedValues): DeviceBaseline {
  const frozenAcked = new Map(acked);
  return { report, acked: frozenAcked, guarded: new Map(guardedIn(report).map((g) => [g.setting, g.read(report, frozenAcked)])) };
}

/** Whether `target` is the baseline's own ventilation (same wire values of every driven setting). */
export function isBaselineTarget(baseline: DeviceBaseline, target: VentSettings): boolean {
  if (ventModeOf(baseline.report.ventilationMode) !== target.mode) return false;
  try {
    return planCommands(baseline.report, target, baseline.acked).send.length === 0;
  } catch {
    return false;
  }
}

/**
 * The restore of the guarded settings, after the driven commands `first`: `all` is every
 * guarded setting (the confirming report must show each at its baseline value), `stages` the
 * frames to send, in order: the guarded settings that differ now, then any the firmware moves
 * after a setting of an earlier stage.
 *
 * @example
 * const { stages, all } = restoreGuarded(baseline, report, acked, plan.send);
 */
export function restoreGuarded(
  baseline: DeviceBaseline,
  report: SettingsReport,
  acked: AckedValues,
  first: readonly PlannedCommand[],
): { stages: PlannedCommand[][]; all: PlannedCommand[] } {
  const table = guardedIn(baseline.report);
  const command = (g: Guarded): PlannedCommand => {
    const value = baseline.guarded.get(g.setting)!;
    return { setting: g.setting, value, label: `${controlSettingInfo(g.setting)!.name} ${value}`, shows: (r) => g.shows(r, value) };
  };
  const all = table.map(command);
  /** The commands that set back what the firmware moves after `cmds` (a guarded setting, or a driven one of `first`). */
  const movedBy = (cmds: readonly PlannedCommand[]): PlannedCommand[] =>
    cmds
      .flatMap((c) => FIRMWARE_MOVES.get(c.setting) ?? [])
      .map((id) => all.find((c) => c.setting === id) ?? first.find((c) => c.setting === id))
      .filter((c): c is PlannedCommand => c !== undefined);
  const differing = table.filter((g) => g.read(report, acked) !== baseline.guarded.get(g.setting)).map(command);
  const stages: PlannedCommand[][] = [];
  let next = dedupe([...differing, ...movedBy(first)]);
  // Each stage may move a setting again (a VC plateau moves the driven peak alarm): set it back in one more stage.
  for (let i = 0; i < 4 && next.length > 0; i++) {
    stages.push(next);
    next = dedupe(movedBy(next));
  }
  return { stages, all };
}

function dedupe(cmds: readonly PlannedCommand[]): PlannedCommand[] {
  const seen = new Set<number>();
  return cmds.filter((c) => (seen.has(c.setting) ? false : (seen.add(c.setting), true)));
}
