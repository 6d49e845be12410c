/**
 * The maneuver context and the pure functions that update it. Machines call these from
 * their actions; tests call them directly.
 */
import type { Protocol } from './config/protocols.js';
import type { SafetyConfig } from './config/safety.js';
import { predictedBodyWeightKg, type PatientSize } from './patient.js';
import type { LimitsCheck, MethodResult, TitrationMethod } from './titration.js';
import type { Watched } from './safety/guards.js';
import { NO_CONDITIONS, type Conditions } from './safety/rules.js';
import { median } from './safety/sample.js';
import { appendTo, Series, valuesOf, type List } from './series.js';
import type { RecruitabilityResult, ReleaseReadings } from './recruitability.js';
import type {
  AbortRecord,
  BaselineVitals,
  CurrentStep,
  CheckedSample,
  LatestValues,
  NumberList,
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
  /** Height and sex (predicted body weight limits Vt in mL/kg). Without them Vt/kg is not limited (a warning). */
  patient?: PatientSize;
  /**
   * The operator checklist items confirmed before the start (machines/checklist.ts). Absent:
   * not required (virtual-clock simulator runs); given: the start is blocked until all are in.
   */
  checklist?: readonly string[];
}

/** Summary of an earlier run of the same maneuver in this session (before a repeat). */
export interface RunSummary {
  steps: StepRecord[];
  response: ResponseAssessment | null;
  finalPeepCmH2O: number | null;
  completedAt: number | null;
}

/** Titration result of the staircase (and the final settings' limits of every maneuver). */
export interface Titration {
  derecruitmentPeepCmH2O: number | null;
  finalPeepCmH2O: number | null;
  /** The PEEP the deciding method chose, before the lung-protective limits (null: not decided yet). */
  titratedPeepCmH2O?: number | null;
  /** Every method's PEEP from the same decremental trial. */
  methods?: MethodResult[];
  decidedBy?: TitrationMethod | null;
  /** Why that method decided (and what the others could not see). */
  decisionNote?: string | null;
  /** Whether the deciding method saw derecruitment. */
  derecruitmentSeen?: boolean;
  /** The methods' PEEPs span more than one decremental step. */
  methodsDisagree?: boolean;
  /** FiO2 the titration before the decremental phase ended at (null: not run). */
  fio2TitratedTo?: number | null;
  /** SpO2 stayed above the target at the lowest FiO2: the SpO2 method cannot see derecruitment. */
  spo2Blind?: boolean;
  /** The desaturation fallback ran: re-recruited and set the last PEEP that held. */
  fallback?: { atPeepCmH2O: number; spo2Pct: number | null; at: number } | null;
  /** The final settings chosen within the lung-protective limits (null: none chosen yet). */
  finalSettings?: VentSettings | null;
  /** What was changed to meet the limits (lower Vt or driving pressure, a lower PEEP), in words. */
  limitsNote?: string | null;
  /** The limits predicted for the final settings, and those measured at the end of the final step. */
  limitsPredicted?: LimitsCheck | null;
  limitsMeasured?: LimitsCheck | null;
  /** The FiO2 at the end (protocol `finalFio2`; null: the final step has not ended yet). */
  finalFio2?: FinalFio2State | null;
}

/** The FiO2 a completed maneuver ends on (machines/finalFio2.ts). */
export interface FinalFio2State {
  /** `wean`, `keep` or `baseline` from the protocol; `not-preoxygenated`: the baseline FiO2, whatever the protocol. */
  policy: 'wean' | 'keep' | 'baseline' | 'not-preoxygenated';
  /** The FiO2 of the final (post-RM) step: the FiO2 in use after pre-oxygenation, else the baseline's. */
  fromFio2: number;
  baselineFio2: number;
  /** The final settings the wean steps lower FiO2 in (the final step's). */
  settings: VentSettings;
  /** The FiO2 the maneuver ended on, verified (null until it completes). */
  fio2: number | null;
  /** SpO2 measured on that FiO2 (median of its hold or of the final step). */
  spo2Pct: number | null;
  /** `FiO2 ended at X (baseline Y): wean by SpO2` when X > Y, else null. */
  message: string | null;
  /** Why it ended there, in words. */
  detail: string | null;
}

export function emptyTitration(): Titration {
  return {
    derecruitmentPeepCmH2O: null,
    finalPeepCmH2O: null,
    titratedPeepCmH2O: null,
    methods: [],
    decidedBy: null,
    decisionNote: null,
    derecruitmentSeen: false,
    methodsDisagree: false,
    fio2TitratedTo: null,
    spo2Blind: false,
    fallback: null,
    finalSettings: null,
    limitsNote: null,
    limitsPredicted: null,
    limitsMeasured: null,
    finalFio2: null,
  };
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
  /** Alarm conditions in progress (guard -> since when), for the rules' persistence. */
  conditions: Conditions;
  /** Vitals of the baseline window before the first start (null once a maneuver has started). */
  history: VitalsHistory | null;
  /** The values the staleness watchdog watches in this run (fixed at the start). */
  watched: Watched | null;
  /**
   * The vitals the "fall from baseline" guards measure from: the baseline vitals, with SpO2
   * re-anchored by the FiO2 titration (which lowers SpO2 on purpose). Null: the baseline vitals.
   */
  guardVitals?: BaselineVitals | null;
  /** Height, sex and predicted body weight (null: not given). */
  patient?: { size: PatientSize; pbwKg: number } | null;
  /** Pre-oxygenation of this run (null or absent: none). */
  preox?: PreoxState | null;
  /** The recruitability screen (R/I): the release breath as measured, then the result (absent: not a screen). */
  screen?: ScreenState | null;
}

/** Pre-oxygenation of a run (machines/preoxygenation.ts). */
export interface PreoxState {
  /** FiO2 held from pre-oxygenation on (the higher of the protocol's and the baseline's); an abort keeps it. */
  fio2: number;
  /** The baseline SpO2 below the threshold that made it needed (or `always`). */
  reason: string;
  /** The settled SpO2 on that FiO2: the desaturation guard's reference from then on (null: not settled yet). */
  spo2Pct: number | null;
  settledAt: number | null;
}

/** What the recruitability screen measured and concluded. */
export interface ScreenState {
  /** The release breath's readings (null until the release step ended). */
  readings: ReleaseReadings | null;
  result: RecruitabilityResult | null;
}

/** A timestamped value of the baseline window. */
export type Timed = readonly [t: number, v: number];

/**
 * Timestamped vitals kept before the start, for the median baseline. Series as the machine keeps
 * them (appended in O(1) amortized, machines/series.ts), plain arrays as JSON gives them back.
 */
export interface VitalsHistory {
  spo2: List<Timed>;
  map: List<Timed>;
  sbp: List<Timed>;
  hr: List<Timed>;
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
  /** The operator checklist items confirmed (see ManeuverInput; absent: not required). */
  checklist?: readonly string[];
}

export function emptyLatest(): LatestValues {
  return {
    spo2Pct: null,
    spo2At: null,
    mapMmHg: null,
    mapAt: null,
    sbpMmHg: null,
    sbpAt: null,
    hrBpm: null,
    hrAt: null,
    peakCmH2O: null,
    peakAt: null,
    peepCmH2O: null,
    peepAt: null,
    tidalVolumeMl: null,
    complianceMlPerCmH2O: null,
  };
}

export function emptyAccumulator(): StepAccumulator {
  return { spo2: Series.empty(), map: Series.empty(), hr: Series.empty(), compliance: Series.empty(), peakMax: null, plateau: Series.empty(), vt: Series.empty() };
}

export function emptyHistory(): VitalsHistory {
  return { spo2: Series.empty(), map: Series.empty(), sbp: Series.empty(), hr: Series.empty() };
}

export function emptyRun(): RunState {
  return {
    startedAt: null,
    completedAt: null,
    baselineVitals: null,
    preconditionIssues: [],
    awaitingSince: null,
    response: null,
    repeats: 0,
    previousRuns: [],
    lastFault: null,
    conditions: NO_CONDITIONS,
    history: emptyHistory(),
    watched: null,
  };
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
    titration: emptyTitration(),
    run: { ...emptyRun(), patient: input.patient ? { size: input.patient, pbwKg: predictedBodyWeightKg(input.patient) } : null },
    ...(input.checklist !== undefined ? { checklist: [...input.checklist] } : {}),
    abort: null,
    restore: emptyRestore(),
    pressureToleranceCmH2O: Math.max(READBACK_TOLERANCE.pressureCmH2O, input.pressureToleranceCmH2O ?? 0),
  };
}

/**
 * Updates the latest values with a checked sample. A value is taken only when it is not
 * older than the one held; its time is the sample's (never later than its receipt).
 */
export function updateLatest(latest: LatestValues, sample: CheckedSample): LatestValues {
  // The staleness guard and the sample's assign fold the same sample into the same values one
  // after the other: the second gets the first's result (one entry, compared by identity; both
  // are immutable, so the answer is the one a second fold would give).
  const last = lastFold;
  if (last !== null && last.latest === latest && last.sample === sample) return last.next;
  const next = foldLatest(latest, sample);
  lastFold = { latest, sample, next };
  return next;
}

let lastFold: { latest: LatestValues; sample: CheckedSample; next: LatestValues } | null = null;

function foldLatest(latest: LatestValues, sample: CheckedSample): LatestValues {
  // One fixed-shape object literal, not a spread of `latest` with fields written after: the
  // hot path of every sample (twice before the memo below), and V8 copies a literal of one
  // shape far faster than it clones an object whose fields changed representation
  // (null -> number). The keys come out in `emptyLatest`'s order, the plateau last and only
  // when held or given, as the spread left them.
  const t = sample.t;
  const spo2 = sample.spo2Pct !== undefined && (latest.spo2At === null || t >= latest.spo2At);
  const map = sample.mapMmHg !== undefined && (latest.mapAt === null || t >= latest.mapAt);
  const sbp = sample.sbpMmHg !== undefined && (latest.sbpAt === null || t >= latest.sbpAt);
  const hr = sample.hrBpm !== undefined && (latest.hrAt === null || t >= latest.hrAt);
  const peak = sample.peakCmH2O !== undefined && (latest.peakAt === null || t >= latest.peakAt);
  const peep = sample.peepCmH2O !== undefined && (latest.peepAt === null || t >= latest.peepAt);
  const next: LatestValues = {
    spo2Pct: spo2 ? sample.spo2Pct! : latest.spo2Pct,
    spo2At: spo2 ? t : latest.spo2At,
    mapMmHg: map ? sample.mapMmHg! : latest.mapMmHg,
    mapAt: map ? t : latest.mapAt,
    sbpMmHg: sbp ? sample.sbpMmHg! : latest.sbpMmHg,
    sbpAt: sbp ? t : latest.sbpAt,
    hrBpm: hr ? sample.hrBpm! : latest.hrBpm,
    hrAt: hr ? t : latest.hrAt,
    peakCmH2O: peak ? sample.peakCmH2O! : latest.peakCmH2O,
    peakAt: peak ? t : latest.peakAt,
    peepCmH2O: peep ? sample.peepCmH2O! : latest.peepCmH2O,
    peepAt: peep ? t : latest.peepAt,
    tidalVolumeMl: sample.tidalVolumeMl !== undefined ? sample.tidalVolumeMl : latest.tidalVolumeMl,
    complianceMlPerCmH2O: sample.complianceMlPerCmH2O !== undefined ? sample.complianceMlPerCmH2O : latest.complianceMlPerCmH2O,
  };
  if (sample.plateauCmH2O !== undefined) next.plateauCmH2O = sample.plateauCmH2O;
  else if ('plateauCmH2O' in latest) next.plateauCmH2O = latest.plateauCmH2O;
  return next;
}

/** Adds a sample's vitals to the baseline window, dropping what is older than `windowMs` before `now`. */
export function recordHistory(h: VitalsHistory, sample: CheckedSample, now: number, windowMs: number): VitalsHistory {
  if (sample.spo2Pct === undefined && sample.mapMmHg === undefined && sample.sbpMmHg === undefined && sample.hrBpm === undefined) return h;
  const from = now - windowMs;
  const t = sample.t;
  const add = (list: List<Timed>, v: number | undefined): List<Timed> => {
    // As before: the old values are dropped when the oldest is out of the window (a filter).
    const kept = list.length && list.at(0)![0] < from ? dropOlder(list, from) : list;
    if (v === undefined) return kept;
    const last = kept.at(-1);
    const inOrder = last === undefined || last[0] <= t;
    return (kept instanceof Series ? kept : Series.of(kept, timesInOrder(kept))).append([t, v], inOrder);
  };
  return { spo2: add(h.spo2, sample.spo2Pct), map: add(h.map, sample.mapMmHg), sbp: add(h.sbp, sample.sbpMmHg), hr: add(h.hr, sample.hrBpm) };
}

/**
 * The list without its values older than `from` (the filter the window always did). A list in
 * time order loses a prefix (shared, O(values dropped)); one with a value out of order is filtered.
 */
function dropOlder(list: List<Timed>, from: number): List<Timed> {
  if (list instanceof Series && list.inOrder) {
    let k = 0;
    while (k < list.length && list.at(k)![0] < from) k++;
    return list.dropFirst(k);
  }
  const kept = valuesOf(list).filter(([t]) => t >= from);
  return Series.of(kept, timesInOrder(kept));
}

function timesInOrder(list: readonly Timed[]): boolean {
  for (let i = 1; i < list.length; i++) if (!(list[i - 1]![0] <= list[i]![0])) return false;
  return true;
}

/** The values of the baseline window at `now` (what a start now would take its medians over). */
export function windowOf(h: VitalsHistory | null, now: number, windowMs: number): VitalsHistory {
  if (!h) return emptyHistory();
  const from = now - windowMs;
  const keep = (list: List<Timed>) => valuesOf(list).filter(([t]) => t >= from && t <= now);
  return { spo2: keep(h.spo2), map: keep(h.map), sbp: keep(h.sbp), hr: keep(h.hr) };
}

/**
 * The baseline vitals: the median of each vital over the window (null when the window holds
 * no SpO2 or no MAP). One artifact, high or low, cannot set it.
 */
export function baselineFromWindow(w: VitalsHistory, now: number, windowMs: number, complianceMlPerCmH2O: number | null): BaselineVitals | null {
  const m = (list: List<Timed>) => median(valuesOf(list).map(([, v]) => v));
  const spo2 = m(w.spo2);
  const map = m(w.map);
  if (spo2 === null || map === null) return null;
  return {
    spo2Pct: spo2,
    mapMmHg: map,
    sbpMmHg: m(w.sbp),
    hrBpm: m(w.hr),
    complianceMlPerCmH2O,
    window: { fromMs: now - windowMs, toMs: now, samples: { spo2: w.spo2.length, map: w.map.length, sbp: w.sbp.length, hr: w.hr.length } },
  };
}

/** Whether `now` lies in the measurement window at the end of the current dwell. */
export function inMeasureWindow(step: CurrentStep, now: number, windowMs: number): boolean {
  if (step.startedAt === null) return false;
  return now > step.startedAt + Math.max(0, step.dwellMs - windowMs);
}

/** Adds a sample's values to a step's measurement window (each list appended in O(1): machines/series.ts). */
export function accumulate(acc: StepAccumulator, s: CheckedSample): StepAccumulator {
  // The accumulators the machine makes (emptyAccumulator, the expired-volume lists added as
  // three): one literal of their keys in their order. Any other shape: the spread below.
  const keys = acc.plateau !== undefined && acc.vt !== undefined ? keysInMachineOrder(acc) : 0;
  if (keys !== 0) return accumulateKnown(acc, s, acc.plateau!, acc.vt!, keys === 10);
  const next = { ...acc };
  if (s.spo2Pct !== undefined) next.spo2 = appendTo(acc.spo2, s.spo2Pct);
  if (s.mapMmHg !== undefined) next.map = appendTo(acc.map, s.mapMmHg);
  if (s.hrBpm !== undefined) next.hr = appendTo(acc.hr, s.hrBpm);
  if (s.complianceMlPerCmH2O !== undefined) next.compliance = appendTo(acc.compliance, s.complianceMlPerCmH2O);
  if (s.plateauCmH2O !== undefined) next.plateau = appendTo(acc.plateau, s.plateauCmH2O);
  if (s.tidalVolumeMl !== undefined) next.vt = appendTo(acc.vt, s.tidalVolumeMl);
  if (s.expiredVolumeMl !== undefined) {
    next.vte = appendTo(acc.vte, s.expiredVolumeMl);
    next.vtePlateau = appendTo(acc.vtePlateau, s.plateauCmH2O ?? Number.NaN);
    next.vtePeep = appendTo(acc.vtePeep, s.peepCmH2O ?? Number.NaN);
  }
  if (s.peakCmH2O !== undefined) next.peakMax = next.peakMax === null ? s.peakCmH2O : Math.max(next.peakMax, s.peakCmH2O);
  return next;
}

const ACC_KEYS = ['spo2', 'map', 'hr', 'compliance', 'peakMax', 'plateau', 'vt', 'vte', 'vtePlateau', 'vtePeep'] as const;

/** 7 or 10 when the window's keys are emptyAccumulator's, then the three expired-volume lists or none, in that order; else 0. */
function keysInMachineOrder(acc: StepAccumulator): 0 | 7 | 10 {
  let i = 0;
  for (const k in acc) if (k !== ACC_KEYS[i++]) return 0;
  return i === 7 || i === 10 ? i : 0;
}

function accumulateKnown(acc: StepAccumulator, s: CheckedSample, plateau: NumberList, vt: NumberList, expired: boolean): StepAccumulator {
  const peak = s.peakCmH2O;
  const next: StepAccumulator = {
    spo2: s.spo2Pct !== undefined ? appendTo(acc.spo2, s.spo2Pct) : acc.spo2,
    map: s.mapMmHg !== undefined ? appendTo(acc.map, s.mapMmHg) : acc.map,
    hr: s.hrBpm !== undefined ? appendTo(acc.hr, s.hrBpm) : acc.hr,
    compliance: s.complianceMlPerCmH2O !== undefined ? appendTo(acc.compliance, s.complianceMlPerCmH2O) : acc.compliance,
    peakMax: peak !== undefined ? (acc.peakMax === null ? peak : Math.max(acc.peakMax, peak)) : acc.peakMax,
    plateau: s.plateauCmH2O !== undefined ? appendTo(plateau, s.plateauCmH2O) : plateau,
    vt: s.tidalVolumeMl !== undefined ? appendTo(vt, s.tidalVolumeMl) : vt,
  };
  if (s.expiredVolumeMl !== undefined) {
    next.vte = appendTo(acc.vte, s.expiredVolumeMl);
    next.vtePlateau = appendTo(acc.vtePlateau, s.plateauCmH2O ?? Number.NaN);
    next.vtePeep = appendTo(acc.vtePeep, s.peepCmH2O ?? Number.NaN);
  } else if (expired) {
    next.vte = acc.vte;
    next.vtePlateau = acc.vtePlateau;
    next.vtePeep = acc.vtePeep;
  }
  return next;
}

const robust = (values: NumberList | undefined): number | null => {
  const m = median(valuesOf(values));
  return m === null ? null : Math.round(m * 100) / 100;
};

/**
 * What the current step measured: medians over the window (an artifact shorter than half
 * the window cannot move them), or the latest values when nothing arrived inside the window.
 */
export function stepMeasurement(step: CurrentStep, latest: LatestValues): StepMeasurement {
  // At a step's end the guards that end it (derecruitment, FiO2 in target), XState's second look
  // at them and the step's record measure the same window one after the other: measured once
  // (one entry, by identity of the window and the latest values; both immutable). A copy each
  // time, so no caller shares the held one.
  const a = step.acc;
  const last = lastMeasured;
  if (last !== null && last.acc === a && last.latest === latest) return { ...last.m };
  const m = measure(a, latest);
  lastMeasured = { acc: a, latest, m };
  return { ...m };
}

type StepMeasurement = Pick<StepRecord, 'spo2Pct' | 'mapMmHg' | 'hrBpm' | 'complianceMlPerCmH2O' | 'peakCmH2O' | 'plateauCmH2O' | 'tidalVolumeMl'>;

let lastMeasured: { acc: StepAccumulator; latest: LatestValues; m: StepMeasurement } | null = null;

function measure(a: StepAccumulator, latest: LatestValues): StepMeasurement {
  return {
    plateauCmH2O: robust(a.plateau) ?? latest.plateauCmH2O ?? null,
    tidalVolumeMl: robust(a.vt) ?? latest.tidalVolumeMl,
    spo2Pct: robust(a.spo2) ?? latest.spo2Pct,
    mapMmHg: robust(a.map) ?? latest.mapMmHg,
    hrBpm: robust(a.hr) ?? latest.hrBpm,
    complianceMlPerCmH2O: robust(a.compliance) ?? latest.complianceMlPerCmH2O,
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

/**
 * The record of the current step with its breath readings (plateau, Vt, peak) taken only from
 * breaths of this step: null where the step had none. What the final settings are judged on
 * (a reading of the step before was taken at other settings, e.g. a re-recruitment at peak 55).
 */
export function ownBreathRecord(step: CurrentStep, latest: LatestValues, now: number): StepRecord {
  const a = step.acc;
  return { ...recordOf(step, latest, now), plateauCmH2O: robust(a.plateau), tidalVolumeMl: robust(a.vt), peakCmH2O: a.peakMax ?? null };
}

/** A zero-length record of the vitals at the start (the baseline medians): the "baseline" row of the step table. */
export function baselineRecord(settings: VentSettings, latest: LatestValues, now: number, vitals: BaselineVitals | null = null): StepRecord {
  return {
    phase: 'baseline',
    label: 'Baseline',
    settings,
    startedAt: now,
    endedAt: now,
    spo2Pct: vitals?.spo2Pct ?? latest.spo2Pct,
    mapMmHg: vitals?.mapMmHg ?? latest.mapMmHg,
    hrBpm: vitals?.hrBpm ?? latest.hrBpm,
    complianceMlPerCmH2O: latest.complianceMlPerCmH2O,
    peakCmH2O: latest.peakCmH2O,
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

/** Folds a checked sample into the context's latest values, the baseline window (before the start) and the current step. */
export function withSample(
  ctx: ManeuverContext,
  sample: CheckedSample,
  /** The time it is folded at (default the context's `now`; the sample's assign passes the event's, without a context copy). */
  now: number = ctx.now,
): Pick<ManeuverContext, 'latest' | 'current'> & { history: VitalsHistory | null } {
  const latest = updateLatest(ctx.latest, sample);
  let current = ctx.current;
  if (current && inMeasureWindow(current, now, ctx.protocol.measureWindowS * 1000)) {
    // The step's own keys in their order (newStep's; beginDwell and nextPreoxHold keep it).
    current = { phase: current.phase, label: current.label, settings: current.settings, dwellMs: current.dwellMs, startedAt: current.startedAt, acc: accumulate(current.acc, sample) };
  }
  const h = ctx.run.history;
  const history = h && ctx.run.startedAt === null ? recordHistory(h, sample, now, ctx.safety.baselineWindowS * 1000) : h;
  return { latest, current, history };
}

/** The settings the ventilator should be delivering at `now`: a verified step past its settle time. */
export function deliveringAt(ctx: ManeuverContext, now: number): VentSettings | null {
  const c = ctx.current;
  if (!c || c.startedAt === null || now - c.startedAt < ctx.safety.delivery.settleS * 1000) return null;
  return c.settings;
}

/** A new current step (not yet applied). */
export function newStep(phase: StepPhase, label: string, settings: VentSettings, dwellMs: number): CurrentStep {
  return { phase, label, settings, dwellMs, startedAt: null, acc: emptyAccumulator() };
}
