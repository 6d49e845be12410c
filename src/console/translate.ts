/**
 * From the session's telemetry to what the page shows: a chart row each second, step
 * changes placed on the plan, alarms with priority and evidence, guided prompts labelled with
 * what they are for. Pure bookkeeping: it never acts on the session.
 */
import type { GuidedPrompt } from '../../hal/guided/ventilator.js';
import { outcomeOf } from '../../machines/outcome.js';
import { screenRecommendation } from '../../machines/recruitability.js';
import { screenOf } from '../../machines/screenPlans.js';
import type { PlannedStep } from '../../machines/plans.js';
import type { ApplyCommand, ManeuverContext, MonitorSample, PreconditionIssue } from '../../machines/index.js';
import { describeBaselineVitals, type TelemetryEvent, type TitrationSummary } from '../runner/telemetry.js';
import { ABORT_TITLES } from './model.js';
import type { AlarmPriority, AlarmView, ChartRow, ConsoleEvent, PromptView, ScreenView, SessionInfo, StepView, WatchView } from './wire.js';

/** A value older than this (session clock) is not drawn: gaps show dropouts. */
const FRESH_MS = 3000;
/** One chart row per this much session time (on whichever of TICK or SAMPLE comes first). */
const ROW_EVERY_MS = 1000;
/** At most one "implausible sample" alarm per this much session time. */
const REJECTED_SAMPLE_ALARM_EVERY_MS = 30_000;

const SIGNALS = ['peakCmH2O', 'peepCmH2O', 'spo2Pct', 'mapMmHg', 'sbpMmHg', 'hrBpm', 'complianceMlPerCmH2O'] as const;
type Signal = (typeof SIGNALS)[number];

/**
 * The plan row of the current step: the `stepIndex`-th planned step of its phase, unless that
 * row says another step and exactly one row of the phase is labelled as the step is. A phase can
 * come back with its step index at 0: the recruitability screen's return to the high PEEP is a
 * second `screen` row after the release breath, and without its label it would land on the high
 * PEEP's row (its own row then read "not run" after a completed screen). A label the plan does
 * not list (the titrated PEEP, planned by its rule) keeps the step-index rule.
 */
export function planIndexOf(plan: readonly PlannedStep[], phase: string | null, stepIndex: number, label: string | null = null): number | null {
  if (phase === null) return null;
  const rows = plan.flatMap((p, i) => (p.phase === phase ? [i] : []));
  if (!rows.length) return null;
  const byIndex = rows[Math.min(Math.max(0, stepIndex), rows.length - 1)]!;
  if (label === null || plan[byIndex]!.label === label) return byIndex;
  const labelled = rows.filter((i) => plan[i]!.label === label);
  return labelled.length === 1 ? labelled[0]! : byIndex;
}

export interface TranslatorSink {
  row(row: ChartRow): void;
  event(e: ConsoleEvent, urgent?: boolean): void;
}

export class Translator {
  private readonly latest = new Map<Signal, { v: number; t: number }>();
  private lastCommand: ApplyCommand | null = null;
  private nextAlarmId = 1;
  private lastRejectedAlarmAt = -Infinity;
  private started = false;
  private lastRowAt: number | null = null;
  private lastState = 'idle';
  /** The recruitability screen of a screen session (null for a maneuver). */
  private screenView: ScreenView | null = null;

  constructor(
    private readonly info: SessionInfo,
    private readonly context: () => ManeuverContext,
    private readonly sink: TranslatorSink,
  ) {}

  on(e: TelemetryEvent): void {
    switch (e.kind) {
      case 'input':
        if (e.event.type === 'SAMPLE') this.sample(e.event.sample);
        if (e.event.type === 'SAMPLE' || e.event.type === 'TICK') this.maybeRow(e.event.now);
        return;
      case 'state':
        this.state(e.t, e.state, e.stepIndex, e.dwellEndsAt);
        return;
      case 'command':
        this.lastCommand = e.command;
        this.log(e.t, 'info', `Command #${e.command.seq} (${e.command.purpose}): ${e.command.label}`);
        return;
      case 'readback':
        // The return to the high PEEP after the one release breath, verified (or not) by readback.
        if (this.screenView && this.lastState.startsWith('active.back')) this.updateScreen(e.t, { returnVerified: e.matches });
        if (e.matches) {
          this.sink.event({ kind: 'verified', t: e.t, settings: e.settings });
          this.log(e.t, 'info', `Verified on the ventilator (#${e.seq}): ${describeSettings(e.settings)}`);
        } else {
          this.log(e.t, 'warn', `Readback does not match (#${e.seq}): ${describeSettings(e.settings)}`);
        }
        return;
      case 'apply-error':
        // A command the machine no longer waits for (a guided instruction replaced by the
        // baseline restore of an abort, or by the next restore attempt) failing is no alarm
        // condition: nothing is wrong that the operator must act on. It goes to the log.
        if (this.context().pending?.seq !== e.seq) {
          this.log(e.t, 'info', `Command #${e.seq} withdrawn (${e.code}): ${e.message}`);
          return;
        }
        this.alarm(e.t, 'medium', 'controller', `Setting not applied (${e.code})`, e.message);
        return;
      case 'guard': {
        this.sink.event({ kind: 'abort', t: e.t, abort: e.abort }, true);
        const operator = e.abort.reason === 'operator-abort';
        // An operator's own abort is information (low); every other abort is a high-priority alarm.
        const title = `${ABORT_TITLES[e.abort.reason]}: maneuver aborted`;
        this.alarm(e.t, operator ? 'low' : 'high', operator ? 'operator' : 'guard', title, e.abort.message);
        return;
      }
      case 'fault':
        this.alarm(e.t, 'high', 'device', `Device fault: ${e.code}`, e.message);
        return;
      case 'alarm':
        this.alarm(e.t, e.priority, e.message.startsWith('Baseline restore') ? 'restore' : 'controller', alarmTitle(e.message, e.priority), e.message);
        return;
      case 'rejected-sample':
        if (e.t - this.lastRejectedAlarmAt >= REJECTED_SAMPLE_ALARM_EVERY_MS) {
          this.lastRejectedAlarmAt = e.t;
          this.alarm(e.t, 'low', 'sample', 'Implausible monitor sample dropped', e.problems);
        }
        return;
      case 'operator':
        if (e.action === 'ack') this.sink.event({ kind: 'ack', t: e.t, note: e.note ?? 'FAILSAFE acknowledged' }, true);
        this.log(e.t, 'info', `Operator: ${e.action}${e.note ? ` (${e.note})` : ''}`);
        return;
      case 'outcome':
        this.sink.event({ kind: 'outcome', t: e.t, summary: e.summary }, true);
        this.log(e.t, e.summary.outcome === 'completed' ? 'info' : 'alarm', `Session ended: ${e.summary.outcome}`);
        return;
      case 'baseline':
        this.log(e.t, 'info', e.vitals ? `Vitals baseline ${describeBaselineVitals(e.vitals)}` : `Collecting the vitals baseline: ${e.windowS} s of SpO2 and MAP before the first step`);
        return;
      case 'titration':
        this.sink.event({ kind: 'titration', t: e.t, stage: e.stage, titration: e.titration }, true);
        this.log(e.t, e.stage === 'measured' && e.titration.limitsMeasured && !e.titration.limitsMeasured.within ? 'warn' : 'info', titrationLogLine(e.stage, e.titration));
        return;
      case 'watch':
        this.watch(e);
        return;
      case 'advice':
        this.sink.event({ kind: 'advice', t: e.t, advice: e.advice }, true);
        this.log(e.t, 'warn', `Rescue-therapy advisor (advisory only): ${e.advice.trigger}; ${e.advice.options.filter((o) => o.status === 'met').map((o) => o.label).join(', ') || 'no option with its criteria met'}`);
        return;
      case 'session':
      case 'prompt':
        return;
    }
  }

  private watchView: WatchView | null = null;

  /** The post-maneuver watch: started, each finding, ended; advisories go to the log as warnings. */
  private watch(e: Extract<TelemetryEvent, { kind: 'watch' }>): void {
    if (e.stage === 'started') {
      this.watchView = { status: 'watching', startedAt: e.t, plannedMs: e.plannedMs, setPeepCmH2O: e.settings.peepCmH2O, findings: [], summary: null };
      this.log(e.t, 'info', `Post-maneuver watch for ${Math.round(e.plannedMs / 60_000)} min at PEEP ${e.settings.peepCmH2O} cmH2O: advisory only, the controller changes nothing`);
    } else if (this.watchView && e.stage === 'finding') {
      this.watchView = { ...this.watchView, findings: [...this.watchView.findings, e.finding] };
      if (e.finding.kind === 'advisory') this.log(e.t, 'warn', `Watch advisory: ${e.finding.message}`);
    } else if (this.watchView && e.stage === 'ended') {
      this.watchView = { ...this.watchView, status: 'ended', summary: e.summary };
      this.log(e.t, 'info', `Post-maneuver watch ended (${e.summary.endedBy}): ${e.summary.derecruitmentSuspected ? 'derecruitment suspected' : 'no sign of derecruitment'}`);
    }
    if (this.watchView) this.sink.event({ kind: 'watch', t: e.t, watch: this.watchView }, true);
  }

  /** A guided instruction changed (null: none waiting). */
  prompt(p: GuidedPrompt | null): void {
    if (p && p.status !== 'waiting') {
      this.log(p.since, 'info', `Instruction #${p.id} ${p.status}: ${p.message}`);
      return;
    }
    const view: PromptView | null = p
      ? {
          id: p.id,
          message: p.message,
          changes: p.changes,
          settings: p.settings,
          since: p.since,
          deadline: this.deadlineOf(p),
          purpose: this.lastCommand?.purpose ?? null,
          label: this.lastCommand?.label ?? null,
          attempt: this.attemptOf(),
        }
      : null;
    this.sink.event({ kind: 'prompt', prompt: view }, true);
    if (p) this.log(p.since, 'info', `Instruction #${p.id}: ${p.message}`);
  }

  /** Which restore attempt a restore instruction is, of how many before FAILSAFE (null for a step). */
  private attemptOf(): PromptView['attempt'] {
    const c = this.context();
    if (c.pending?.purpose !== 'restore-baseline') return null;
    return { n: c.restore.attempts, of: c.safety.restoreAttempts };
  }

  /** The instruction's own timeout, or the machine's deadline for the command if that comes first. */
  private deadlineOf(p: GuidedPrompt): number {
    const c = this.context();
    if (!c.pending) return p.deadline;
    const limitS = c.pending.purpose === 'restore-baseline' ? c.safety.restoreTimeoutS : c.safety.applyTimeoutS;
    return Math.min(p.deadline, c.pending.requestedAt + limitS * 1000);
  }

  private sample(s: MonitorSample): void {
    for (const k of SIGNALS) {
      const v = s[k];
      if (v === undefined || !Number.isFinite(v)) continue;
      const prev = this.latest.get(k);
      if (!prev || s.t >= prev.t) this.latest.set(k, { v, t: s.t });
    }
  }

  private maybeRow(now: number): void {
    if (this.lastRowAt !== null && now - this.lastRowAt < ROW_EVERY_MS - 50) return;
    this.lastRowAt = now;
    this.sink.row(this.rowAt(now));
  }

  private rowAt(now: number): ChartRow {
    const at = (k: Signal): number | null => {
      const x = this.latest.get(k);
      return x && now - x.t <= FRESH_MS ? x.v : null;
    };
    return {
      t: Math.round(now - this.info.t0) / 1000,
      peakCmH2O: at('peakCmH2O'),
      peepCmH2O: at('peepCmH2O'),
      spo2Pct: at('spo2Pct'),
      mapMmHg: at('mapMmHg'),
      sbpMmHg: at('sbpMmHg'),
      hrBpm: at('hrBpm'),
      complianceMlPerCmH2O: at('complianceMlPerCmH2O'),
    };
  }

  private state(t: number, state: string, stepIndex: number, dwellEndsAt: number | null): void {
    const c = this.context();
    const phase = c.current?.phase ?? null;
    const step: StepView = {
      state,
      outcome: outcomeOf(state),
      phase,
      label: c.current?.label ?? null,
      stepIndex,
      planIndex: state.startsWith('active') ? planIndexOf(this.info.plan, phase, stepIndex, c.current?.label ?? null) : null,
      dwellEndsAt: state.endsWith('dwelling') ? dwellEndsAt : null,
      settings: c.current?.settings ?? null,
    };
    this.lastState = state;
    if (this.info.maneuver === 'recruitability-screen') this.screenState(t, state);
    const entersActive = state.startsWith('active') && !this.started;
    if (entersActive) {
      this.started = true;
      this.sink.event({ kind: 'started', t: c.run.startedAt ?? t, baselineVitals: c.run.baselineVitals }, true);
      for (const issue of c.run.preconditionIssues) this.precondition(t, issue);
    }
    // A repeat starts the maneuver again from `completed`.
    if (state === 'completed') this.started = false;
    if (state === 'notStarted') for (const issue of c.run.preconditionIssues) this.precondition(t, issue);
    this.sink.event({ kind: 'state', t, step }, true);
    this.log(t, 'info', `State ${state}${step.label && state.startsWith('active') ? `: ${step.label}` : ''}`);
  }

  /** A recruitability screen session: its stage from the machine state, its result once computed. */
  private screenState(t: number, state: string): void {
    const stage: ScreenView['stage'] = /^active\.(high|release|back|assessment)\b/.exec(state)?.[1] as ScreenView['stage'] | undefined
      ?? (state === 'completed' || state === 'ended' ? 'done' : /^(aborting|aborted|failsafe|notStarted|cancelled)/.test(state) ? 'aborted' : 'waiting');
    const result = this.context().run.screen?.result ?? null;
    const before = this.screenView?.stage ?? 'waiting';
    const abortedIn = stage === 'aborted' && before !== 'aborted' && before !== 'done' ? before : (this.screenView?.abortedIn ?? null);
    this.updateScreen(t, { stage, abortedIn, result, recommendation: result ? screenRecommendation(result) : null });
  }

  private updateScreen(t: number, change: Partial<ScreenView>): void {
    const fresh = this.screenView === null;
    if (!this.screenView) {
      const p = screenOf(this.info.protocol);
      this.screenView = { source: 'measured', stage: 'waiting', abortedIn: null, highPeepCmH2O: p.highPeepCmH2O, lowPeepCmH2O: p.lowPeepCmH2O, returnVerified: null, result: null, recommendation: null, policy: p.policy, capPeakCmH2O: p.capPeakCmH2O, decision: null, t };
    }
    const next: ScreenView = { ...this.screenView, ...change };
    // A finished screen stays finished (a later state, e.g. `ended`, is not a new stage).
    if (this.screenView.stage === 'done' || this.screenView.stage === 'aborted') next.stage = this.screenView.stage;
    const { t: _before, ...a } = this.screenView;
    const { t: _after, ...b } = next;
    if (!fresh && JSON.stringify(a) === JSON.stringify(b)) return;
    this.screenView = { ...next, t };
    this.sink.event({ kind: 'screen', t, screen: this.screenView }, true);
    if (change.result && !this.screenLogged) {
      this.screenLogged = true;
      this.log(t, change.result.recruitability === 'high' ? 'info' : 'warn', `Recruitability screen: ${change.result.detail}; ${screenRecommendation(change.result)}`);
    }
  }

  private screenLogged = false;

  /** The screen's policy decided what the staircase that follows does (the hub applies it). */
  screenDecision(t: number, decision: ScreenView['decision']): ScreenView | null {
    if (this.info.maneuver !== 'recruitability-screen') return null;
    this.updateScreen(t, { decision });
    if (decision) this.log(t, decision.action === 'block' ? 'warn' : 'info', `Recruitability screen -> staircase: ${decision.action.toUpperCase()}: ${decision.message}`);
    return this.screenView;
  }

  private precondition(t: number, issue: PreconditionIssue): void {
    const title = issue.severity === 'block' ? 'Cannot start' : 'Check before titrating';
    this.alarm(t, issue.severity === 'block' ? 'medium' : 'low', 'precondition', title, issue.message);
  }

  private alarm(t: number, priority: AlarmPriority, source: AlarmView['source'], title: string, detail: string): void {
    const alarm: AlarmView = { id: this.nextAlarmId++, t, priority, title, detail, source };
    this.sink.event({ kind: 'alarm', alarm }, true);
    this.log(t, 'alarm', `${priority.toUpperCase()} ${title}: ${detail}`);
  }

  /** A line for the event log from around the session (the FAILSAFE watch). */
  note(t: number, level: 'info' | 'warn' | 'alarm', text: string): void {
    this.log(t, level, text);
  }

  private log(t: number, level: 'info' | 'warn' | 'alarm', text: string): void {
    this.sink.event({ kind: 'log', entry: { t, level, text } });
  }
}

/** A short title for the session's own alarms (their message is the detail). */
function alarmTitle(message: string, priority: AlarmPriority): string {
  if (message.startsWith('FAILSAFE resolved')) return 'FAILSAFE resolved: baseline verified; acknowledge';
  if (message.startsWith('FAILSAFE')) return 'FAILSAFE: check the ventilator now';
  if (message.startsWith('emergency restore')) return 'Emergency restore of the baseline';
  if (message.startsWith('Baseline restore not confirmed')) return 'Baseline restore not confirmed in time';
  if (message.startsWith('Baseline restore failed')) return 'Baseline restore failed';
  if (message.startsWith('machine error')) return 'Controller error: restoring the baseline';
  return priority === 'high' ? 'Controller alarm' : 'Controller notice';
}

/** "PCV PEEP 30 / peak 45 cmH2O, rate 20, FiO2 0.6". */
export function describeSettings(s: { mode: string; peepCmH2O: number; peakCmH2O: number; rateBpm: number; fio2: number; tidalVolumeMl?: number }): string {
  const pressures = s.mode === 'CPAP' ? `CPAP ${s.peepCmH2O} cmH2O` : `${s.mode} PEEP ${s.peepCmH2O} / ${s.mode === 'VC' ? 'limit' : 'peak'} ${s.peakCmH2O} cmH2O`;
  const vt = s.mode === 'VC' && s.tidalVolumeMl !== undefined ? `, Vt ${s.tidalVolumeMl} mL` : '';
  return `${pressures}${vt}, rate ${s.rateBpm}, FiO2 ${s.fio2}`;
}

/** The event log's line for a titration event: who decided what, or the limits measured. */
export function titrationLogLine(stage: 'decided' | 'measured', t: TitrationSummary): string {
  if (stage === 'measured') {
    const m = t.limitsMeasured;
    if (!m) return 'Final step: lung-protective limits not measured';
    const v = (x: number | null): string => (x === null ? '-' : String(x));
    return `Final step measured: plateau ${v(m.plateauCmH2O)} (limit ${m.limits.plateauMaxCmH2O}), driving pressure ${v(m.drivingPressureCmH2O)} (limit ${m.limits.drivingPressureMaxCmH2O}) cmH2O, Vt ${v(m.tidalVolumeMlPerKg)} mL/kg PBW (limit ${m.limits.tidalVolumeMaxMlPerKg}): ${m.within ? 'within the limits' : `BEYOND: ${m.exceeded.join(', ')}`}`;
  }
  const methods = t.methods.map((m) => `${m.method} ${m.peepCmH2O ?? '-'}${m.method === t.decidedBy ? ' (decides)' : ''}`).join(', ');
  return `Titration decided: ${methods || 'no method had data'}${t.decisionNote ? `; ${t.decisionNote}` : ''}${t.methodsDisagree ? '; the methods disagree by more than one step' : ''}`;
}
