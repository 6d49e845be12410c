/**
 * Domain types shared by the maneuver machines, the HAL and the runner.
 *
 * Units are part of every name: `peepCmH2O`, `mapMmHg`, `spo2Pct`, `dwellMs`.
 * Times are milliseconds on the injected clock (virtual in tests, wall clock on a device).
 */
import type { List } from './series.js';

/** Ventilation modes the maneuvers use. */
export type VentMode = 'CPAP' | 'PCV' | 'VC';

/**
 * Ventilator settings as the controller commands and reads them back.
 *
 * `peakCmH2O` is the absolute peak inspiratory pressure in PCV (PEEP + driving pressure);
 * in CPAP it equals `peepCmH2O`; in VC it is the pressure limit the device alarms at.
 *
 * @example
 * const baseline: VentSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
 */
export interface VentSettings {
  mode: VentMode;
  peepCmH2O: number;
  peakCmH2O: number;
  rateBpm: number;
  /** Fraction of inspired oxygen, 0.21-1. */
  fio2: number;
  /** Set tidal volume in VC mode. */
  tidalVolumeMl?: number;
}

/** The measured values a sample may carry. */
export const SAMPLE_FIELDS = [
  'spo2Pct',
  'mapMmHg',
  'sbpMmHg',
  'hrBpm',
  'peakCmH2O',
  'plateauCmH2O',
  'peepCmH2O',
  'tidalVolumeMl',
  'complianceMlPerCmH2O',
  'expiredVolumeMl',
] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];

/**
 * One monitored sample, as a source (ventilator port, vitals port) reports it. Ventilator
 * values and patient vitals arrive from different sources; the runner merges them.
 * Absent fields were not measured by that source.
 *
 * `t` is when the source says the value was measured (mapped onto the injected clock). It is
 * a claim: `checkSample` never lets it make a value fresher than its receipt.
 */
export interface MonitorSample {
  t: number;
  source: string;
  spo2Pct?: number;
  mapMmHg?: number;
  sbpMmHg?: number;
  hrBpm?: number;
  peakCmH2O?: number;
  plateauCmH2O?: number;
  peepCmH2O?: number;
  tidalVolumeMl?: number;
  complianceMlPerCmH2O?: number;
  /**
   * Expired volume of the last breath (VTe); above Vt on a breath that released volume (the R/I
   * test). A device reporting the release breath after a PEEP drop sends, in the same sample,
   * the plateau of the first breath at the new PEEP (`oneBreathPeepDrop` in hal/port.ts).
   */
  expiredVolumeMl?: number;
  /**
   * Fields the source itself marks as not a valid measurement (invalid, questionable,
   * unavailable, calibrating, demo or test data, stale). Their values never count.
   */
  invalid?: readonly SampleField[];
}

/** Why a value of a sample did not count as a measurement. */
export type RejectedValue = 'implausible' | 'marked-invalid';

/**
 * A sample after the one check at the edge (`checkSample`): only plausible values the source
 * did not mark invalid remain, `t` is the time the controller may rely on (never later than
 * its receipt), and `rejected` names what was dropped and why. The machines take only these.
 */
export interface CheckedSample {
  readonly checked: true;
  readonly t: number;
  readonly source: string;
  readonly spo2Pct?: number;
  readonly mapMmHg?: number;
  readonly sbpMmHg?: number;
  readonly hrBpm?: number;
  readonly peakCmH2O?: number;
  readonly plateauCmH2O?: number;
  readonly peepCmH2O?: number;
  readonly tidalVolumeMl?: number;
  readonly complianceMlPerCmH2O?: number;
  readonly expiredVolumeMl?: number;
  readonly rejected?: Readonly<Partial<Record<SampleField, RejectedValue>>>;
}

/** Values the safety monitor and the step records read, each with the time it was last seen (null: never). */
export interface LatestValues {
  spo2Pct: number | null;
  spo2At: number | null;
  mapMmHg: number | null;
  mapAt: number | null;
  sbpMmHg: number | null;
  sbpAt: number | null;
  hrBpm: number | null;
  hrAt: number | null;
  peakCmH2O: number | null;
  peakAt: number | null;
  peepCmH2O: number | null;
  peepAt: number | null;
  tidalVolumeMl: number | null;
  complianceMlPerCmH2O: number | null;
  /** Last measured plateau pressure (absent in older snapshots). */
  plateauCmH2O?: number | null;
}

/**
 * Vital signs captured when the maneuver starts: the reference for "fall from baseline"
 * guards. Each is the median of the plausible samples of the baseline window, so one
 * artifact cannot set it. A repeat keeps the first maneuver's baseline.
 */
export interface BaselineVitals {
  spo2Pct: number;
  mapMmHg: number;
  sbpMmHg: number | null;
  hrBpm: number | null;
  complianceMlPerCmH2O: number | null;
  /** The window the medians were taken over, and how many samples of each vital it held. */
  window?: { fromMs: number; toMs: number; samples: { spo2: number; map: number; sbp: number; hr: number } };
}

/** Error codes a HAL `apply` can fail with, as the machine sees them. */
export type ApplyErrorCode =
  | 'refused'
  | 'out-of-range'
  | 'timeout'
  | 'disconnected'
  | 'readback-mismatch'
  | 'not-permitted';

/** Fault codes that end a maneuver no matter where it is. */
export type DeviceFaultCode =
  | 'link-lost'
  | 'device-alarm'
  | 'device-reset'
  | 'vitals-source-lost'
  | 'internal-error'
  /** The journal could not be written (disk full, I/O error): the maneuver must not go on unrecorded. */
  | 'journal-failure';

/** Events the runner sends to a maneuver actor. Every event carries the clock time `now`. */
export type ManeuverEvent =
  | { type: 'START'; now: number }
  | { type: 'TICK'; now: number }
  | { type: 'SAMPLE'; now: number; sample: CheckedSample }
  | { type: 'APPLIED'; now: number; seq: number; readback: VentSettings }
  | { type: 'APPLY_FAILED'; now: number; seq: number; code: ApplyErrorCode; message: string }
  | { type: 'DEVICE_FAULT'; now: number; code: DeviceFaultCode; message: string }
  | { type: 'OPERATOR_CONFIRM'; now: number }
  | { type: 'OPERATOR_ABORT'; now: number; note?: string }
  | { type: 'OPERATOR_ACK'; now: number }
  | { type: 'OPERATOR_REPEAT'; now: number }
  | { type: 'OPERATOR_END'; now: number };

export type ManeuverEventType = ManeuverEvent['type'];

/** Why a command is issued. */
export type CommandPurpose = 'step' | 'final' | 'restore-baseline';

/** The one command a maneuver issues: apply these settings and confirm by readback. */
export interface ApplyCommand {
  type: 'command.apply';
  seq: number;
  settings: VentSettings;
  purpose: CommandPurpose;
  label: string;
}

/** Events a maneuver actor emits for the runner (subscribe with `actor.on(type, ...)`). */
export type ManeuverEmitted = ApplyCommand;

/** Category of an abort, machine-readable. */
export type AbortReason =
  | 'hypotension'
  | 'desaturation'
  | 'heart-rate'
  | 'overdistention'
  | 'stale-vitals'
  /** The ventilator delivers other pressures or volumes than it confirmed (leak, stuck valve, a device that lies). */
  | 'delivery-mismatch'
  /** No fresh ventilator measurement (PEEP, peak pressure): the delivery and overdistention guards would be blind. */
  | 'stale-ventilator'
  | 'device-fault'
  /** The journal could not be written: aborted so that nothing happens unrecorded. */
  | 'journal-failure'
  | 'operator-abort'
  | 'operator-timeout';

/** What triggered an abort: the category, the guard that fired and the evidence. */
export interface AbortRecord {
  reason: AbortReason;
  /** Name of the guard or fault that fired (e.g. `mapBelowFloor`, `link-lost`). */
  guard: string;
  message: string;
  at: number;
  /** The sample that violated a guard, when a sample did. */
  sample?: CheckedSample;
  /** How long the condition had held when it aborted (0: immediate, a critical limit). */
  heldMs?: number;
  /** The state the maneuver was in when it aborted. */
  fromState: string;
}

/** Maneuver phases, used in step records and the console's plan. */
export type StepPhase =
  | 'baseline'
  /** Pre-oxygenation holds before the first step (FiO2 raised until SpO2 settles). */
  | 'preoxygenation'
  | 'inflation'
  | 'high-pressure'
  | 'incremental'
  | 'decremental'
  | 're-recruit'
  | 'fio2'
  | 'final'
  /** FiO2 weaned by SpO2 at the final settings after pre-oxygenation (and the step back). */
  | 'wean'
  | 'restore'
  | 'assessment'
  /** Recruitability screen (R/I): at the high PEEP, before the release and after the return. */
  | 'screen'
  /** Recruitability screen: the one breath at the low PEEP. */
  | 'release';

/** A step a maneuver asks for: settings to apply, and how long to dwell once verified. */
export interface StepPlan {
  phase: StepPhase;
  label: string;
  settings: VentSettings;
  dwellMs: number;
  purpose: CommandPurpose;
}

/** Measurements collected while a step dwells: medians over the step's measurement window. */
export interface StepRecord {
  phase: StepPhase;
  label: string;
  settings: VentSettings;
  /** When the settings were verified and the dwell began. */
  startedAt: number;
  endedAt: number;
  spo2Pct: number | null;
  mapMmHg: number | null;
  hrBpm: number | null;
  complianceMlPerCmH2O: number | null;
  peakCmH2O: number | null;
  /** Measured plateau pressure (median of the window; null or absent: not measured). */
  plateauCmH2O?: number | null;
  /** Measured tidal volume (median of the window). */
  tidalVolumeMl?: number | null;
  /** The maneuver was aborted during this step (the record ends at the abort). */
  aborted?: boolean;
}

/**
 * A list of a window's values: a Series (machines/series.ts: appended in O(1), shared between
 * successive contexts, JSON as a plain array) as the machine makes it, or a plain array (a context
 * restored from JSON, a test). Read it with `length` and `at(i)`, or `valuesOf` for an array.
 */
export type NumberList = List<number>;

/** The values of the current step's measurement window (medians are taken at the end). */
export interface StepAccumulator {
  spo2: NumberList;
  map: NumberList;
  hr: NumberList;
  compliance: NumberList;
  peakMax: number | null;
  plateau?: NumberList;
  vt?: NumberList;
  /** Expired volumes (VTe) of the window, in order (the R/I release breath). */
  vte?: NumberList;
  /** The plateau and the end-expiratory pressure each of those samples carried (NaN: none), index for index with `vte`. */
  vtePlateau?: NumberList;
  vtePeep?: NumberList;
}

/** The step being applied or dwelt in. */
export interface CurrentStep {
  phase: StepPhase;
  label: string;
  settings: VentSettings;
  dwellMs: number;
  /** Set once the settings are verified; the dwell counts from here. */
  startedAt: number | null;
  acc: StepAccumulator;
}

/** The outstanding command, if any. */
export interface PendingCommand {
  seq: number;
  settings: VentSettings;
  purpose: CommandPurpose;
  label: string;
  requestedAt: number;
}

/** Result of the response assessment that decides whether a repeat is allowed. */
export interface ResponseAssessment {
  met: boolean;
  spo2BeforePct: number | null;
  spo2AfterPct: number | null;
  complianceBefore: number | null;
  complianceAfter: number | null;
  detail: string;
}

/** A failed precondition, with a stable code. */
export interface PreconditionIssue {
  code:
    | 'device-fault'
    | 'vitals-missing'
    | 'vitals-stale'
    | 'baseline-out-of-range'
    | 'vitals-violate-guard'
    | 'baseline-insufficient'
    | 'ventilator-measurements-missing'
    | 'spo2-too-high-to-detect-derecruitment'
    /** SpO2 below the floor before the start: the maneuver pre-oxygenates and steps only if SpO2 then reaches the minimum. */
    | 'spo2-low-preoxygenation-first'
    | 'patient-size-missing'
    | 'checklist-not-confirmed';
  severity: 'block' | 'warn';
  message: string;
}
