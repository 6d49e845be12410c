/**
 * The console's wire format, server -> browser: types only, shared by the server and the
 * page (the page imports them with `import type`, so nothing here reaches the bundle but
 * the version constant). Browser -> server messages are in requests.ts (zod).
 *
 * Times: `t`, `now`, `dwellEndsAt`, `deadline` are milliseconds on the session clock (which
 * may run faster than real time, see `ServerInfo.speed`); chart rows carry seconds since the
 * session opened.
 */
import type { ManeuverKind, Protocol, RunnableKind, ScreenKind } from '../../machines/config/protocols.js';
import type { RecruitabilityResult, ScreenDecision, ScreenPolicy } from '../../machines/recruitability.js';
import type { OutcomeKind } from '../../machines/outcome.js';
import type { PlannedStep } from '../../machines/plans.js';
import type { AbortRecord, BaselineVitals, StepPhase, VentSettings } from '../../machines/types.js';
import type { FieldProblem } from '../../common/validation.js';
import type { SessionSummary, TitrationSummary } from '../runner/telemetry.js';
import type { WatchFinding, WatchSummary } from '../../machines/watch.js';
import type { RunAdvice } from '../../machines/advisor.js';

/** Bumped whenever a message shape changes incompatibly. */
export const WIRE_VERSION = 1;

/** One chart row per second of session clock: the latest value of each signal, null when none is fresh (3 s). */
export interface ChartRow {
  /** Seconds since the session opened. */
  t: number;
  peakCmH2O: number | null;
  peepCmH2O: number | null;
  spo2Pct: number | null;
  mapMmHg: number | null;
  sbpMmHg: number | null;
  hrBpm: number | null;
  complianceMlPerCmH2O: number | null;
}

/** The safety monitor's limits, as the charts draw them. */
export interface Thresholds {
  /** The protocol's peak pressure limit (no step is commanded above it). */
  peakLimitCmH2O: number;
  /** Measured peak above this aborts (limit + tolerance). */
  peakAbortCmH2O: number;
  spo2FloorPct: number;
  spo2FallMaxPts: number;
  mapFloorMmHg: number;
  mapFallMaxPct: number;
  sbpFloorMmHg: number;
  hrMinBpm: number;
  hrMaxBpm: number;
  vitalsStaleS: number;
  /** Alarm-condition delay of each guard (s): a condition must hold this long before it aborts. */
  persistenceS: { desaturation: number; hypotension: number; heartRate: number; overdistention: number };
  /** Below (peak: above) these the abort is immediate. */
  critical: { spo2Pct: number; mapMmHg: number; hrBpm: number; peakCmH2O: number };
}

export type AlarmPriority = 'high' | 'medium' | 'low';

/** An alarm condition as the page shows it (IEC 60601-1-8 style: priority, symbol, text). */
export interface AlarmView {
  id: number;
  t: number;
  priority: AlarmPriority;
  /** Short, e.g. "Hypotension: maneuver aborted". */
  title: string;
  /** The evidence, e.g. "MAP 52 mmHg below 60". */
  detail: string;
  source: 'guard' | 'device' | 'controller' | 'precondition' | 'sample' | 'operator' | 'restore';
  /**
   * Session clock when the condition ended (a missed restore deadline, once the baseline is
   * verified after all): the alarm bar shows only conditions still true; the list keeps it, marked.
   */
  resolvedAt?: number;
}

/** A guided-mode instruction waiting for the therapist. */
export interface PromptView {
  id: number;
  message: string;
  changes: string[];
  settings: VentSettings;
  since: number;
  /** Unanswered past this (session clock), the instruction fails and the maneuver aborts. */
  deadline: number;
  /** What the command is for: a maneuver step, or the baseline restore of an abort. */
  purpose: 'step' | 'final' | 'restore-baseline' | null;
  label: string | null;
  /** A restore instruction: its attempt number, of how many before FAILSAFE (null otherwise). */
  attempt: { n: number; of: number } | null;
}

/** Where the maneuver is now. */
export interface StepView {
  /** Dotted machine state, e.g. `active.incremental.dwelling`. */
  state: string;
  outcome: OutcomeKind;
  phase: StepPhase | null;
  label: string | null;
  stepIndex: number;
  /** Index into `SessionInfo.plan`, when the current step is a planned one. */
  planIndex: number | null;
  /** End of the current dwell (session clock), when dwelling. */
  dwellEndsAt: number | null;
  settings: VentSettings | null;
}

export interface LogEntry {
  t: number;
  level: 'info' | 'warn' | 'alarm';
  text: string;
}

/** What the server says about itself (in `welcome`). */
export interface ServerInfo {
  wire: number;
  /** Session clock speed relative to real time (1 at the bedside, e.g. 50 for demos). */
  speed: number;
  guided: boolean;
  /** e.g. "simulated patient moderate-ards (seed 1)". */
  source: string;
  simulated: boolean;
  maneuvers: readonly ManeuverKind[];
  /** The screens the console runs before a maneuver (the recruitability screen). */
  screens: readonly ScreenKind[];
  defaults: Record<RunnableKind, Protocol>;
  /**
   * Whether this ventilator drops PEEP for one breath on command (the recruitability screen
   * runs itself); false: the screen is the procedure by hand with the readings entered; null:
   * known once a session opens on the device.
   */
  oneBreathDrop: boolean | null;
  /** Messages longer than this are refused. */
  maxMessageBytes: number;
  /** The operator checklist the page shows before Start (machines/checklist.ts), and whether a start needs it. */
  checklist: { required: boolean; items: ReadonlyArray<{ id: string; text: string }> };
}

/** A session as opened: what the page needs to draw its frame. */
export interface SessionInfo {
  id: number;
  maneuver: RunnableKind;
  protocol: Protocol;
  plan: PlannedStep[];
  plannedMs: number;
  baseline: VentSettings;
  device: { vendor: string; model: string; protocol: string };
  guided: boolean;
  /** Session clock when the session opened: chart time zero. */
  t0: number;
  thresholds: Thresholds;
  /** Height, sex and predicted body weight, when given (the Vt/kg limit is per kg PBW). */
  patient: { heightCm: number; sex: 'male' | 'female'; pbwKg: number } | null;
  /** A staircase the recruitability screen ran (or was entered) before: its result and what its policy did. Absent: none. */
  screen?: ScreenView | null;
}

/** What the screen's policy did to the staircase that follows it (machines/recruitability.ts `applyScreenPolicy`). */
export interface ScreenDecisionView {
  action: ScreenDecision['action'];
  policy: ScreenPolicy;
  message: string;
  /** With `cap`: the staircase as it runs (null otherwise). */
  capped: { capPeakCmH2O: number; peakLimitCmH2O: number; incrementalPeepsCmH2O: number[]; decrementalStartPeepCmH2O: number; reRecruitPeepCmH2O: number } | null;
}

/** The recruitability screen (R/I, Chen 2020) as the page shows it. */
export interface ScreenView {
  /** Measured by the controller's one-breath test, or entered by hand after the procedure. */
  source: 'measured' | 'entered';
  /** Where a measured screen is: at the high PEEP, the release breath, back at the high PEEP, at the baseline; then done, or aborted. */
  stage: 'waiting' | 'high' | 'release' | 'back' | 'assessment' | 'done' | 'aborted';
  /** Where an aborted screen was when it aborted (null otherwise). */
  abortedIn: 'waiting' | 'high' | 'release' | 'back' | 'assessment' | null;
  highPeepCmH2O: number;
  lowPeepCmH2O: number;
  /** The high PEEP verified by readback after the one breath (null: not yet). */
  returnVerified: boolean | null;
  result: RecruitabilityResult | null;
  recommendation: string | null;
  /** The policy for a staircase that follows (the screen protocol's). */
  policy: ScreenPolicy;
  capPeakCmH2O: number;
  /** What the policy did to a staircase that follows (null: none follows, or not decided yet). */
  decision: ScreenDecisionView | null;
  /** Session clock (or wall clock, for entered readings) of the last change. */
  t: number;
}

/** Everything the page shows about a session; rebuilt from the snapshot after a reload. */
export interface SessionModel {
  info: SessionInfo;
  now: number;
  step: StepView;
  /** Session clock at START (null until the maneuver starts). */
  startedAt: number | null;
  baselineVitals: BaselineVitals | null;
  /** Plan indices entered so far in this run (the others before the current one were skipped). */
  visited: number[];
  rows: ChartRow[];
  alarms: AlarmView[];
  log: LogEntry[];
  prompt: PromptView | null;
  /** Settings last verified on the ventilator. */
  verified: VentSettings | null;
  /** Why the maneuver is aborting or aborted (null otherwise). */
  abort: AbortRecord | null;
  summary: SessionSummary | null;
  /**
   * What the PEEP titration decided (each method's PEEP, the deciding one, the FiO2 step),
   * then the lung-protective limits measured at the final step (null until it decided).
   */
  titration: { stage: 'decided' | 'measured'; t: number; summary: TitrationSummary } | null;
  /** The FAILSAFE acknowledgement (who, when), once given. */
  acknowledged: { t: number; note: string } | null;
  /** When the session is finished and its devices are closed. */
  closed: boolean;
  /** The post-maneuver watch while a completed maneuver waits (null: none). Absent in older snapshots. */
  watch?: WatchView | null;
  /** The rescue-therapy advisor after a failed run (advisory only; null: not called for). */
  advice?: RunAdvice | null;
  /** The recruitability screen of this session (a screen session), or the one before this staircase. */
  screen?: ScreenView | null;
}

/** The post-maneuver watch as the page shows it. */
export interface WatchView {
  status: 'watching' | 'ended';
  startedAt: number;
  plannedMs: number;
  setPeepCmH2O: number;
  findings: WatchFinding[];
  summary: WatchSummary | null;
}

/** A change to the session model (see model.ts for how each applies). */
export type ConsoleEvent =
  | { kind: 'state'; t: number; step: StepView }
  | { kind: 'started'; t: number; baselineVitals: BaselineVitals | null }
  | { kind: 'alarm'; alarm: AlarmView }
  | { kind: 'abort'; t: number; abort: AbortRecord }
  | { kind: 'prompt'; prompt: PromptView | null }
  | { kind: 'log'; entry: LogEntry }
  | { kind: 'verified'; t: number; settings: VentSettings }
  | { kind: 'outcome'; t: number; summary: SessionSummary }
  /** The titration decided (after the decremental phase), then its limits measured at the final step. */
  | { kind: 'titration'; t: number; stage: 'decided' | 'measured'; titration: TitrationSummary }
  | { kind: 'closed'; t: number }
  /** The FAILSAFE acknowledgement: who (in the note) and when. */
  | { kind: 'ack'; t: number; note: string }
  | { kind: 'watch'; t: number; watch: WatchView }
  | { kind: 'advice'; t: number; advice: RunAdvice | null }
  /** The recruitability screen moved on (step, verified return, result, the policy's decision). */
  | { kind: 'screen'; t: number; screen: ScreenView };

export type ErrorCode =
  | 'bad-json'
  | 'too-large'
  | 'invalid-message'
  | 'unknown-type'
  | 'unauthorized'
  | 'rate-limited'
  | 'busy'
  | 'no-session'
  | 'not-now'
  | 'invalid-protocol'
  | 'start-failed'
  | 'checklist-not-confirmed'
  | 'invalid-readings'
  | 'screen-needs-readings'
  | 'screen-blocked'
  | 'too-many-pages'
  | 'internal';

export type ServerMessage =
  | { type: 'welcome'; server: ServerInfo }
  | { type: 'snapshot'; session: SessionModel | null }
  /** A new session opened: the page starts a fresh model. */
  | { type: 'session'; session: SessionModel }
  /** Batched changes (a few per second whatever the clock speed). */
  | { type: 'update'; sessionId: number; now: number; rows: ChartRow[]; events: ConsoleEvent[] }
  /** Sent when nothing else was for a while: the page knows the link is alive. */
  | { type: 'heartbeat'; sessionId: number | null; now: number | null }
  /** Answer to `hello`: whether this client's token allows control. */
  | { type: 'hello'; id?: string | number; controls: boolean }
  | { type: 'accepted'; request: string; id?: string | number }
  /** The recruitability screen entered by hand (null: none yet); sent on connect and when it changes. */
  | { type: 'entered-screen'; screen: ScreenView | null }
  | { type: 'preview'; id?: string | number; maneuver: RunnableKind; plan: PlannedStep[]; plannedMs: number; problems: FieldProblem[] }
  | { type: 'error'; code: ErrorCode; message: string; request?: string; id?: string | number; problems?: FieldProblem[] };
