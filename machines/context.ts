/**
 * The maneuver context and the pure functions that update it. Machines call these from
 * their actions; tests call them directly.
 */
import type { Protocol } from './config/protocols.js';
import type { SafetyConfig } from './config/safety.js';
import { sanitizeSample } from './safety/guards.js';
import type {
  AbortRecord,
  BaselineVitals,
  CurrentStep,
  LatestValues,
  MonitorSample,
  PendingCommand,
  PreconditionIssue,
  ResponseAssessment,
  StepAccumulator,
  StepPhase,
  StepRecord,
  VentSettings,
} from './types.js';

/** What a maneuver actor is created with. Both parts must already be validated. */
export interface ManeuverInput {
  protocol: Protocol;
  /** The ventilator settings read before the maneuver: what every abort restores. */
  baseline: VentSettings;
  /**
   * How far a pressure read back may differ from the one commanded. Default 0.5 cmH2O; a
   * device set in coarser steps needs its resolution (Draeger: 1 mbar = 1.02 cmH2O).
   */
  pressureToleranceCmH2O?: number;
}

/** Summary of an earlier run of the same maneuver in this session (before a repeat). */
export interface RunSummary {
  steps: StepRecord[];
  response: ResponseAssessment | null;
  finalPeepCmH2O: number | null;
  completedAt: number | null;
}

/** Titration result of the staircase. */
export interface Titration {
  derecruitmentPeepCmH2O: number | null;
  finalPeepCmH2O: number | null;
}

/** The current run of the maneuver (a repeat starts a new one). */
export interface RunState {
  startedAt: number | null;
  completedAt: number | null;
  /** Vital signs captured at the start: the reference of the "fall from baseline" guards. */
  baselineVitals: BaselineVitals | null;
  preconditionIssues: PreconditionIssue[];
  /** When the machine began waiting for the operator's confirmation of the next step. */
  awaitingSince: number | null;
  response: ResponseAssessment | null;
  repeats: number;
  previousRuns: RunSummary[];
  /** The last device or link fault (blocks a start or a repeat). */
  lastFault: { code: string; message: string; at: number } | null;
}

/** Progress of the baseline restore after an abort. */
export interface RestoreState {
  attempts: number;
  failures: string[];
  /** When the last attempt failed: retries wait from here. */
  lastFailureAt: number | null;
  baselineVerified: boolean;
}

/**
 * The machine's context. Kept to at most 16 top-level keys on purpose: XState copies the
 * context with Object.assign on every assign, and V8's fast path for that ends near 20
 * properties (a 32-key context made each event ~10x slower; test/machines/context.test.ts).
 */
export interface ManeuverContext {
  protocol: Protocol;
  safety: SafetyConfig;
  /** Restore target of an abort. */
  baseline: VentSettings;
  now: number;
  latest: LatestValues;
  /** Sequence number of the last command issued. */
  seq: number;
  pending: PendingCommand | null;
  /** Settings last confirmed by readback. */
  verified: VentSettings | null;
  current: CurrentStep | null;
  stepIndex: number;
  steps: StepRecord[];
  titration: Titration;
  run: RunState;
  abort: AbortRecord | null;
  restore: RestoreState;
  /** Readback tolerance for pressures (see ManeuverInput). */
  pressureToleranceCmH2O: number;
}

export function emptyLatest(): LatestValues {
  return {
    spo2Pct: null,
    spo2At: null,
    mapMmHg: null,
    mapAt: null,
    sbpMmHg: null,
    hrBpm: null,
    peakCmH2O: null,
    complianceMlPerCmH2O: null,
  };
}

export function emptyAccumulator(): StepAccumulator {
  return { spo2Sum: 0, spo2N: 0, mapSum: 0, mapN: 0, hrSum: 0, hrN: 0, complianceSum: 0, complianceN: 0, peakMax: null };
}

export function emptyRun(): RunState {
  return { startedAt: null, completedAt: null, baselineVitals: null, preconditionIssues: [], awaitingSince: null, response: null, repeats: 0, previousRuns: [], lastFault: null };
}

export function emptyRestore(): RestoreState {
  return { attempts: 0, failures: [], lastFailureAt: null, baselineVerified: false };
}

export function initialContext(input: ManeuverInput): ManeuverContext {
  return {
    protocol: input.protocol,
    safety: input.protocol.safety,
    baseline: input.baseline,
    now: 0,
    latest: emptyLatest(),
    seq: 0,
    pending: null,
    verified: null,
    current: null,
    stepIndex: 0,
    steps: [],
    titration: { derecruitmentPeepCmH2O: null, finalPeepCmH2O: null },
    run: emptyRun(),
    abort: null,
    restore: emptyRestore(),
    pressureToleranceCmH2O: Math.max(READBACK_TOLERANCE.pressureCmH2O, input.pressureToleranceCmH2O ?? 0),
  };
}

/** Updates the latest values with a (sanitized) sample. Values arrive at `sample.t`. */
export function updateLatest(latest: LatestValues, sample: MonitorSample): LatestValues {
  const next = { ...latest };
  if (sample.spo2Pct !== undefined && (latest.spo2At === null || sample.t >= latest.spo2At)) {
    next.spo2Pct = sample.spo2Pct;
    next.spo2At = sample.t;
  }
  if (sample.mapMmHg !== undefined && (latest.mapAt === null || sample.t >= latest.mapAt)) {
    next.mapMmHg = sample.mapMmHg;
    next.mapAt = sample.t;
  }
  if (sample.sbpMmHg !== undefined) next.sbpMmHg = sample.sbpMmHg;
  if (sample.hrBpm !== undefined) next.hrBpm = sample.hrBpm;
  if (sample.peakCmH2O !== undefined) next.peakCmH2O = sample.peakCmH2O;
  if (sample.complianceMlPerCmH2O !== undefined) next.complianceMlPerCmH2O = sample.complianceMlPerCmH2O;
  return next;
}

/** Whether `now` lies in the measurement window at the end of the current dwell. */
export function inMeasureWindow(step: CurrentStep, now: number, windowMs: number): boolean {
  if (step.startedAt === null) return false;
  return now > step.startedAt + Math.max(0, step.dwellMs - windowMs);
}

/** Adds a sample to a step's running sums. */
export function accumulate(acc: StepAccumulator, s: MonitorSample): StepAccumulator {
  const next = { ...acc };
  if (s.spo2Pct !== undefined) {
    next.spo2Sum += s.spo2Pct;
    next.spo2N += 1;
  }
  if (s.mapMmHg !== undefined) {
    next.mapSum += s.mapMmHg;
    next.mapN += 1;
  }
  if (s.hrBpm !== undefined) {
    next.hrSum += s.hrBpm;
    next.hrN += 1;
  }
  if (s.complianceMlPerCmH2O !== undefined) {
    next.complianceSum += s.complianceMlPerCmH2O;
    next.complianceN += 1;
  }
  if (s.peakCmH2O !== undefined) next.peakMax = next.peakMax === null ? s.peakCmH2O : Math.max(next.peakMax, s.peakCmH2O);
  return next;
}

const mean = (sum: number, n: number): number | null => (n > 0 ? Math.round((sum / n) * 100) / 100 : null);

/**
 * What the current step measured: window means, or the latest values when nothing
 * arrived inside the window.
 */
export function stepMeasurement(step: CurrentStep, latest: LatestValues): Pick<StepRecord, 'spo2Pct' | 'mapMmHg' | 'hrBpm' | 'complianceMlPerCmH2O' | 'peakCmH2O'> {
  const a = step.acc;
  return {
    spo2Pct: mean(a.spo2Sum, a.spo2N) ?? latest.spo2Pct,
    mapMmHg: mean(a.mapSum, a.mapN) ?? latest.mapMmHg,
    hrBpm: mean(a.hrSum, a.hrN) ?? latest.hrBpm,
    complianceMlPerCmH2O: mean(a.complianceSum, a.complianceN) ?? latest.complianceMlPerCmH2O,
    peakCmH2O: a.peakMax ?? latest.peakCmH2O,
  };
}

/** The record of the current step, ended at `now`. */
export function recordOf(step: CurrentStep, latest: LatestValues, now: number): StepRecord {
  return {
    phase: step.phase,
    label: step.label,
    settings: step.settings,
    startedAt: step.startedAt ?? now,
    endedAt: now,
    ...stepMeasurement(step, latest),
  };
}

/** A zero-length record of the vitals at the start: the "baseline" row of the step table. */
export function baselineRecord(settings: VentSettings, latest: LatestValues, now: number): StepRecord {
  return {
    phase: 'baseline',
    label: 'Baseline',
    settings,
    startedAt: now,
    endedAt: now,
    spo2Pct: latest.spo2Pct,
    mapMmHg: latest.mapMmHg,
    hrBpm: latest.hrBpm,
    complianceMlPerCmH2O: latest.complianceMlPerCmH2O,
    peakCmH2O: latest.peakCmH2O,
  };
}

/** The vitals captured at the start of a maneuver (only called when preconditions hold). */
export function captureBaselineVitals(latest: LatestValues): BaselineVitals {
  return {
    spo2Pct: latest.spo2Pct ?? 0,
    mapMmHg: latest.mapMmHg ?? 0,
    sbpMmHg: latest.sbpMmHg,
    hrBpm: latest.hrBpm,
    complianceMlPerCmH2O: latest.complianceMlPerCmH2O,
  };
}

/** Tolerances of readback verification. */
export const READBACK_TOLERANCE = { pressureCmH2O: 0.5, fio2: 0.01, rateBpm: 0.5, tidalVolumeMl: 10 } as const;

/**
 * Whether the settings read back from the device match what was commanded.
 * Pressures within the tolerance (0.5 cmH2O by default: devices quantise), FiO2 within 0.01.
 */
export function settingsMatch(requested: VentSettings, readback: VentSettings, pressureToleranceCmH2O: number = READBACK_TOLERANCE.pressureCmH2O): boolean {
  const t = READBACK_TOLERANCE;
  // A readback exactly one tolerance away matches: 0.60 vs 0.61 differ by 0.0100000000000000089 in binary.
  // Written as "not within" so that a NaN on either side never counts as a match.
  const off = (a: number, b: number, tolerance: number) => !(Math.abs(a - b) <= tolerance + 1e-9);
  if (requested.mode !== readback.mode) return false;
  if (off(requested.peepCmH2O, readback.peepCmH2O, pressureToleranceCmH2O)) return false;
  if (requested.mode !== 'CPAP' && off(requested.peakCmH2O, readback.peakCmH2O, pressureToleranceCmH2O)) return false;
  if (off(requested.fio2, readback.fio2, t.fio2)) return false;
  if (requested.mode !== 'CPAP' && off(requested.rateBpm, readback.rateBpm, t.rateBpm)) return false;
  if (requested.mode === 'VC' && requested.tidalVolumeMl !== undefined) {
    if (readback.tidalVolumeMl === undefined || off(requested.tidalVolumeMl, readback.tidalVolumeMl, t.tidalVolumeMl)) return false;
  }
  return true;
}

/** Sanitizes a sample and folds it into the context's latest values and current step. */
export function withSample(ctx: ManeuverContext, raw: MonitorSample): Pick<ManeuverContext, 'latest' | 'current'> {
  const { sample } = sanitizeSample(raw);
  const latest = updateLatest(ctx.latest, sample);
  let current = ctx.current;
  if (current && inMeasureWindow(current, ctx.now, ctx.protocol.measureWindowS * 1000)) {
    current = { ...current, acc: accumulate(current.acc, sample) };
  }
  return { latest, current };
}

/** A new current step (not yet applied). */
export function newStep(phase: StepPhase, label: string, settings: VentSettings, dwellMs: number): CurrentStep {
  return { phase, label, settings, dwellMs, startedAt: null, acc: emptyAccumulator() };
}
