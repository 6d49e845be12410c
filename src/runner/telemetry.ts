/**
 * Telemetry: everything a session does, as one typed stream. The CLI progress display, the
 * audit journal and the console all subscribe to the same `telemetry$`.
 */
import type {
  AbortRecord,
  ApplyCommand,
  BaselineVitals,
  FinalFio2State,
  ManeuverEvent,
  PreconditionIssue,
  RecruitabilityResult,
  ResponseAssessment,
  LimitsCheck,
  MethodResult,
  StepRecord,
  Titration,
  TitrationMethod,
  VentSettings,
  RunAdvice,
  WatchConfig,
  WatchFinding,
  WatchSummary,
} from '../../machines/index.js';
import type { OutcomeKind } from '../../machines/outcome.js';
import type { DeviceInfo, DeviceSettingsBaseline } from '../../hal/port.js';

export interface SessionSummary {
  outcome: OutcomeKind;
  maneuver: string;
  state: string;
  finalPeepCmH2O: number | null;
  derecruitmentPeepCmH2O: number | null;
  abort: AbortRecord | null;
  baseline: VentSettings;
  /** True once the baseline was restored and verified by readback (an abort, failsafe resolved, or a direct restore). */
  baselineVerified: boolean;
  /** True when the maneuver completed: its final settings were verified by readback (completion requires it). */
  finalSettingsVerified: boolean;
  /** The settings last verified on the ventilator. */
  verifiedSettings: VentSettings | null;
  steps: StepRecord[];
  response: ResponseAssessment | null;
  preconditionIssues: PreconditionIssue[];
  restoreFailures: string[];
  /** The vitals baseline (medians over the baseline window, with the window and its sample counts). */
  baselineVitals: BaselineVitals | null;
  startedAt: number | null;
  endedAt: number;
  /** Virtual (or wall) milliseconds from start to end. */
  durationMs: number;
  repeats: number;
  /** Height, sex and predicted body weight (null: not given). */
  patient: { heightCm: number; sex: 'male' | 'female'; pbwKg: number } | null;
  /** What the titration decided and on what (all maneuvers carry the final limits). */
  titration: TitrationSummary;
  /**
   * What an abort restores (and, when aborted, restored): the baseline, with FiO2 kept at the
   * pre-oxygenation FiO2 once the run pre-oxygenated (machines/preoxygenation.ts). Absent in older journals.
   */
  restoreSettings?: VentSettings;
  /** Pre-oxygenation of the run: its FiO2, why it ran, the settled SpO2 (null: not settled); null: none. */
  preoxygenation?: { fio2: number; reason: string; spo2Pct: number | null; settledAt: number | null } | null;
  /** The recruitability screen's R/I and recommendation (recruitability-screen sessions only; null: not computed). */
  screen?: RecruitabilityResult | null;
  /**
   * The FiO2 a completed maneuver ended on (protocol finalFio2): weaned by SpO2, kept, or the
   * baseline's, with the wean steps. Null: not completed. Absent in older journals.
   */
  finalFio2?: FinalFio2Summary | null;
}

/** The FiO2 at the end of a completed maneuver, as summaries, the journal, the report and `run --json` show it. */
export interface FinalFio2Summary {
  /** wean, keep, baseline (the protocol's after pre-oxygenation) or not-preoxygenated (the baseline FiO2). */
  policy: 'wean' | 'keep' | 'baseline' | 'not-preoxygenated';
  /** The FiO2 ended on (verified). */
  fio2: number;
  baselineFio2: number;
  /** The FiO2 of the final step, where the wean started. */
  fromFio2: number;
  /** SpO2 measured on the FiO2 ended on. */
  spo2Pct: number | null;
  /** `FiO2 ended at X (baseline Y): wean by SpO2` when X > Y; else null. */
  message: string | null;
  /** Why it ended there, in words. */
  detail: string | null;
  /** The wean steps: FiO2, the hold's SpO2 (median), and whether it was the step back. */
  steps: Array<{ fio2: number; spo2Pct: number | null; holdMs: number; stepBack: boolean }>;
}

/** The final FiO2 summary of a completed run (null before completion). */
export function finalFio2Summary(ff: FinalFio2State | null | undefined, steps: readonly StepRecord[]): FinalFio2Summary | null {
  if (!ff || ff.fio2 === null) return null;
  const wean = steps.filter((r) => r.phase === 'wean');
  return {
    policy: ff.policy,
    fio2: ff.fio2,
    baselineFio2: ff.baselineFio2,
    fromFio2: ff.fromFio2,
    spo2Pct: ff.spo2Pct,
    message: ff.message,
    detail: ff.detail,
    steps: wean.map((r) => ({ fio2: r.settings.fio2, spo2Pct: r.endedAt > r.startedAt ? r.spo2Pct : null, holdMs: r.endedAt - r.startedAt, stepBack: r.endedAt === r.startedAt && !r.aborted })),
  };
}

/** The titration as summaries, the journal, the report and the console show it. */
export interface TitrationSummary {
  /** FiO2 the FiO2 titration ended at (null: not run). */
  fio2TitratedTo: number | null;
  /** SpO2 stayed above the target at the lowest FiO2: the SpO2 method could not see derecruitment. */
  spo2Blind: boolean;
  /** Each method's PEEP from the decremental trial, with the values it rests on. */
  methods: MethodResult[];
  decidedBy: TitrationMethod | null;
  decisionNote: string | null;
  /** Whether the method that decided saw derecruitment. */
  derecruitmentSeen: boolean;
  methodsDisagree: boolean;
  /** The desaturation fallback: re-recruited and set the last PEEP that held. */
  fallback: { atPeepCmH2O: number; spo2Pct: number | null; at: number } | null;
  /** The deciding method's PEEP before the lung-protective limits. */
  titratedPeepCmH2O: number | null;
  /** What the limits changed (lower Vt / driving pressure, a lower PEEP) or why no final setting met them. */
  limitsNote: string | null;
  limitsPredicted: LimitsCheck | null;
  /** Plateau, driving pressure and Vt/kg measured at the end of the final step, against the limits. */
  limitsMeasured: LimitsCheck | null;
}

export function titrationSummary(t: Titration): TitrationSummary {
  return {
    fio2TitratedTo: t.fio2TitratedTo ?? null,
    spo2Blind: t.spo2Blind ?? false,
    methods: t.methods ?? [],
    decidedBy: t.decidedBy ?? null,
    decisionNote: t.decisionNote ?? null,
    derecruitmentSeen: t.derecruitmentSeen ?? false,
    methodsDisagree: t.methodsDisagree ?? false,
    fallback: t.fallback ?? null,
    titratedPeepCmH2O: t.titratedPeepCmH2O ?? null,
    limitsNote: t.limitsNote ?? null,
    limitsPredicted: t.limitsPredicted ?? null,
    limitsMeasured: t.limitsMeasured ?? null,
  };
}

export type TelemetryEvent =
  | {
      kind: 'session';
      t: number;
      device: DeviceInfo;
      baseline: VentSettings;
      maneuver: string;
      patient?: { heightCm: number; sex: 'male' | 'female'; pbwKg: number };
      /** The device's own settings beyond `baseline` that its adapter captured (MakAir: alarm thresholds, timings), for crash recovery. */
      deviceSettings?: DeviceSettingsBaseline;
    }
  | { kind: 'input'; t: number; event: ManeuverEvent }
  | { kind: 'rejected-sample'; t: number; problems: string; reason?: 'shape' | 'future-timestamp'; count?: number }
  /** Collecting the baseline window before the start, then the medians taken from it. */
  | { kind: 'baseline'; t: number; windowS: number; minSamples: number; vitals: BaselineVitals | null }
  | { kind: 'state'; t: number; state: string; step: string | null; stepIndex: number; dwellEndsAt: number | null }
  | { kind: 'command'; t: number; command: ApplyCommand }
  | { kind: 'readback'; t: number; seq: number; settings: VentSettings; matches: boolean }
  | { kind: 'apply-error'; t: number; seq: number; code: string; message: string }
  | { kind: 'guard'; t: number; abort: AbortRecord }
  | { kind: 'fault'; t: number; code: string; message: string }
  | { kind: 'operator'; t: number; action: string; note?: string }
  | { kind: 'alarm'; t: number; priority: 'high' | 'medium' | 'low'; message: string }
  | { kind: 'prompt'; t: number; message: string; settings: VentSettings }
  /** The titration decided (each method's PEEP, the deciding one, the planned limits), then the limits measured at the final step. */
  | { kind: 'titration'; t: number; stage: 'decided' | 'measured'; titration: TitrationSummary }
  | { kind: 'outcome'; t: number; summary: SessionSummary }
  /** The post-maneuver watch (after `outcome`): started, each advisory or alarm it raised, ended with its summary. */
  | { kind: 'watch'; t: number; stage: 'started'; plannedMs: number; settings: VentSettings; config: WatchConfig }
  | { kind: 'watch'; t: number; stage: 'finding'; finding: WatchFinding }
  | { kind: 'watch'; t: number; stage: 'ended'; summary: WatchSummary }
  /** The rescue-therapy advisor after a failed run (advisory only). */
  | { kind: 'advice'; t: number; advice: RunAdvice };

/** The vitals baseline and where it comes from, for the CLI, the console log and the report. */
export function describeBaselineVitals(v: BaselineVitals): string {
  const parts = [`SpO2 ${round(v.spo2Pct)}%`, `MAP ${round(v.mapMmHg)}`];
  if (v.sbpMmHg !== null) parts.push(`SBP ${round(v.sbpMmHg)}`);
  if (v.hrBpm !== null) parts.push(`HR ${round(v.hrBpm)}`);
  const w = v.window;
  const from = w ? `median of the ${Math.round((w.toMs - w.fromMs) / 1000)} s before the start (${w.samples.spo2} SpO2, ${w.samples.map} MAP samples)` : 'at the start';
  return `${parts.join(', ')}: ${from}`;
}

const round = (x: number): number => Math.round(x * 10) / 10;
