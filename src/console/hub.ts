/**
 * The console hub: one session at a time, its model (for snapshots) and the pages watching
 * it. Telemetry is translated and batched to a few updates a second whatever the clock
 * speed; alarms, prompts and state changes go out at once. The session does not depend on
 * any page: it runs, and its safety monitor with it, when every page has gone.
 */
import type { Subscription } from 'rxjs';
import type { Logger } from 'pino';
import { isValidationError, parseOrThrow, type FieldProblem } from '../../common/validation.js';
import {
  applyScreenPolicy,
  CHECKLIST_IDS,
  CHECKLIST_ITEMS,
  defaultProtocol,
  MANEUVERS,
  plannedDurationMs,
  predictedBodyWeightKg,
  recruitabilityOf,
  ReleaseReadingsSchema,
  screenOf,
  screenRecommendation,
  SCREENS,
  unconfirmedItems,
  type ChecklistConfirmation,
  type RecruitabilityResult,
  type RecruitabilityScreenProtocol,
  type RunnableKind,
  type Protocol,
  type ScreenDecision,
  type StaircaseProtocol,
} from '../../machines/index.js';
import { oneBreathDropProblem } from '../cli/run.js';
import { FailsafeWatch } from '../cli/failsafe.js';
import { merge } from 'rxjs';
import { DEFAULT_WATCH_CONFIG, type WatchConfig } from '../../machines/index.js';
import { adviceAfterRun, type OperatorOxygenation } from '../runner/advice.js';
import { startWatchOn, type WatchRun } from '../runner/watch.js';
import { runSession } from '../runner/drive.js';
import type { SessionSummary } from '../runner/telemetry.js';
import { applyUpdate, newSessionModel } from './model.js';
import type { OpenedSession, SessionSource } from '../runner/source.js';
import { displayPlan, parseProtocol, previewOf, thresholdsOf } from './plans.js';
import { Translator } from './translate.js';
import type { ChartRow, ConsoleEvent, ErrorCode, ScreenDecisionView, ScreenView, ServerInfo, ServerMessage, SessionInfo, SessionModel } from './wire.js';
import { WIRE_VERSION } from './wire.js';
import { MAX_MESSAGE_BYTES } from './requests.js';

/** A page's connection, as the hub sees it. */
export interface ClientLink {
  readonly id: number;
  send(message: ServerMessage): void;
}

/** The outcome of a request: accepted, or refused with a code and a message for the page. */
export type HubResult = { ok: true } | { ok: false; code: ErrorCode; message: string; problems?: FieldProblem[] };

export interface HubOptions {
  source: SessionSource;
  logger: Logger;
  /** Batch period of telemetry updates (wall ms). */
  batchMs?: number;
  /** A heartbeat goes out when nothing else did for this long (wall ms). */
  heartbeatMs?: number;
  /** The post-maneuver watch while a completed maneuver waits for End or Repeat (default 30 min; 0: none). */
  watch?: WatchConfig;
  /** Readings of the one-breath test entered by hand, valid, with their R/I: for the audit journal (`screen-entered`). */
  onScreenEntered?: (entry: ScreenEntered) => void;
}

/** What the journal records of a recruitability screen entered by hand (as `rmseq screen --readings` does). */
export interface ScreenEntered {
  protocol: RecruitabilityScreenProtocol;
  readings: RecruitabilityResult['readings'];
  result: RecruitabilityResult;
  recommendation: string;
}

interface Run {
  info: SessionInfo;
  model: SessionModel;
  opened: OpenedSession;
  translator: Translator;
  subs: Subscription[];
  rows: ChartRow[];
  events: ConsoleEvent[];
  promptId: number | null;
  /** The FAILSAFE flow the CLI has too: entering alarm, summaries, resolution, the acknowledgement. */
  failsafe: FailsafeWatch;
  /** The post-maneuver watch while the completed maneuver waits (read-only: sample streams only). */
  watch: WatchRun | null;
  done: Promise<SessionSummary>;
  disposed: Promise<void> | null;
  /** A recruitability screen run before a staircase: the staircase to start as the screen's policy allows. */
  then: { staircase: StaircaseProtocol; screen: RecruitabilityScreenProtocol; checklist: ChecklistConfirmation | null } | null;
}

/** A start's screen options: the recruitability screen first (staircase only), with its protocol overrides. */
export interface StartScreen {
  first: boolean;
  protocol?: Record<string, unknown> | undefined;
}

/** What the policy did, as the page shows it (with the capped pressures when it capped). */
export function decisionView(d: ScreenDecision, screen: RecruitabilityScreenProtocol): ScreenDecisionView {
  const p = d.protocol;
  return {
    action: d.action,
    policy: screen.policy,
    message: d.message,
    capped:
      d.action === 'cap' && p
        ? { capPeakCmH2O: screen.capPeakCmH2O, peakLimitCmH2O: p.peakLimitCmH2O, incrementalPeepsCmH2O: [...p.incrementalPeepsCmH2O], decrementalStartPeepCmH2O: p.decremental.startPeepCmH2O, reRecruitPeepCmH2O: p.reRecruit.peepCmH2O }
        : null,
  };
}

/** A screen view of R/I entered by hand (the one-breath test done at the ventilator). */
export function enteredScreenView(result: RecruitabilityResult, screen: RecruitabilityScreenProtocol, t: number): ScreenView {
  return {
    source: 'entered',
    stage: 'done',
    abortedIn: null,
    highPeepCmH2O: result.readings.highPeepCmH2O,
    lowPeepCmH2O: result.readings.lowPeepCmH2O,
    returnVerified: null,
    result,
    recommendation: screenRecommendation(result),
    policy: screen.policy,
    capPeakCmH2O: screen.capPeakCmH2O,
    decision: null,
    t,
  };
}

const refuse = (code: ErrorCode, message: string, problems?: FieldProblem[]): HubResult => ({ ok: false, code, message, ...(problems ? { problems } : {}) });
const OK: HubResult = { ok: true };

export class ConsoleHub {
  readonly clients = new Set<ClientLink>();
  private run: Run | null = null;
  private starting = false;
  private sessionCount = 0;
  private lastSentAt = Date.now();
  private flushScheduled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly source: SessionSource;
  private readonly log: Logger;
  private readonly heartbeatMs: number;
  private readonly watchConfig: WatchConfig;
  private readonly onScreenEntered: ((entry: ScreenEntered) => void) | undefined;
  /** What the operator entered for the advisor (PaO2, displayed MAWP); reset at each start. */
  private operatorOxygenation: OperatorOxygenation = {};
  /** A screen's staircase is being decided and opened: no other start meanwhile. */
  private chaining = false;
  private stopping = false;
  /** What the last session on the device said about one-breath PEEP drops (null: not known yet). */
  private oneBreathDrop: boolean | null;
  /** The recruitability screen entered by hand (the procedure at the ventilator), for a staircase that follows. */
  enteredScreen: ScreenView | null = null;

  constructor(options: HubOptions) {
    this.source = options.source;
    this.watchConfig = options.watch ?? DEFAULT_WATCH_CONFIG;
    this.onScreenEntered = options.onScreenEntered;
    this.log = options.logger;
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    // A guided source never can (a person takes longer than one breath); the simulator can; a
    // device says so when its session opens.
    this.oneBreathDrop = this.source.guided ? false : this.source.simulated ? true : null;
    this.timer = setInterval(() => this.tick(), options.batchMs ?? 200);
    this.timer.unref();
  }

  get serverInfo(): ServerInfo {
    const defaults = Object.fromEntries([...MANEUVERS, ...SCREENS].map((m) => [m, defaultProtocol(m)])) as Record<RunnableKind, Protocol>;
    return {
      wire: WIRE_VERSION,
      speed: this.source.speed,
      guided: this.source.guided,
      source: this.source.description,
      simulated: this.source.simulated,
      maneuvers: MANEUVERS,
      screens: SCREENS,
      defaults,
      oneBreathDrop: this.oneBreathDrop,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      checklist: { required: this.source.checklistRequired, items: CHECKLIST_ITEMS },
    };
  }

  /** The session's model as of the last update sent (what a new page starts from). */
  snapshot(): SessionModel | null {
    return this.run?.model ?? null;
  }

  /** Whether a maneuver session is open and not finished. */
  get live(): boolean {
    return this.run !== null && !this.run.opened.session.isFinished;
  }

  /** The current session's state name, or null. */
  get state(): string | null {
    return this.run ? this.run.opened.session.state : null;
  }

  attach(client: ClientLink): void {
    this.clients.add(client);
    client.send({ type: 'welcome', server: this.serverInfo });
    client.send({ type: 'snapshot', session: this.snapshot() });
    client.send({ type: 'entered-screen', screen: this.enteredScreen });
  }

  detach(client: ClientLink): void {
    this.clients.delete(client);
  }

  preview(maneuver: RunnableKind, overrides: Record<string, unknown> | undefined): Extract<ServerMessage, { type: 'preview' }> {
    return previewOf(maneuver, overrides, this.run?.info.baseline ?? this.source.baseline ?? null);
  }

  /** Opens and begins a session, unless one is running. */
  async start(maneuver: RunnableKind, overrides: Record<string, unknown> | undefined, checklist?: { items: readonly string[]; by?: string | undefined }, screen?: StartScreen): Promise<HubResult> {
    if (this.starting || this.chaining || this.live) return refuse('busy', 'a maneuver is already running: abort or end it first');
    const parsed = parseProtocol(maneuver, overrides);
    if ('problems' in parsed) return refuse('invalid-protocol', 'the protocol has errors: see the fields marked', parsed.problems);
    let screenFirst: RecruitabilityScreenProtocol | null = null;
    if (screen?.first) {
      if (maneuver !== 'staircase') return refuse('invalid-protocol', `the recruitability screen goes before the staircase only (not ${maneuver})`, [{ field: 'screenFirst', value: true, message: 'staircase only' }]);
      const sp = parseProtocol('recruitability-screen', screen.protocol);
      if ('problems' in sp) return refuse('invalid-protocol', 'the screen protocol has errors: see the fields marked', sp.problems.map((p) => ({ ...p, field: `screen.${p.field}` })));
      screenFirst = screenOf(sp.protocol);
    }
    if (maneuver === 'recruitability-screen' && this.oneBreathDrop === false) return refuse('screen-needs-readings', this.byHand());
    // The session's precondition ('checklist-not-confirmed') blocks such a start too; refusing
    // here opens nothing and tells the page at once.
    const open = unconfirmedItems(checklist?.items ?? []);
    if (this.source.checklistRequired && open.length > 0) {
      return refuse('checklist-not-confirmed', `operator checklist not confirmed: ${open.map((i) => i.id).join(', ')}: tick every item before Start`);
    }
    const confirmation: ChecklistConfirmation | null = checklist
      ? { items: CHECKLIST_IDS.filter((id) => checklist.items.includes(id)), by: checklist.by ?? null, at: Date.now() }
      : null;
    // A staircase after a screen entered by hand: the entered R/I and the policy decide, no screen runs.
    let staircase = parsed.protocol;
    let screenView: ScreenView | null = null;
    if (screenFirst && this.oneBreathDrop === false) {
      const entered = this.enteredScreen;
      if (!entered?.result) return refuse('screen-needs-readings', `${this.byHand()}; then start the staircase`);
      const d = applyScreenPolicy(parsed.protocol as StaircaseProtocol, entered.result, screenFirst.policy, screenFirst.capPeakCmH2O);
      screenView = { ...entered, policy: screenFirst.policy, capPeakCmH2O: screenFirst.capPeakCmH2O, decision: decisionView(d, screenFirst), t: Date.now() };
      this.setEnteredScreen(screenView);
      this.log.info({ action: d.action, ratio: entered.result.ratio }, `console: entered recruitability screen -> staircase: ${d.message}`);
      if (!d.protocol) return refuse('screen-blocked', d.message);
      staircase = d.protocol;
      screenFirst = null;
    }
    this.starting = true;
    this.operatorOxygenation = {};
    try {
      if (this.run) await this.dispose(this.run);
      const kind: RunnableKind = screenFirst ? 'recruitability-screen' : maneuver;
      const opened = await this.openSession(kind, screenFirst ?? staircase, confirmation);
      if ('code' in opened) return opened;
      this.begin(kind, opened, screenView, screenFirst ? { staircase: parsed.protocol as StaircaseProtocol, screen: screenFirst, checklist: confirmation } : null);
      if (screenFirst) this.chaining = true;
      return OK;
    } finally {
      this.starting = false;
    }
  }

  /** What to do where the ventilator cannot drop PEEP for one breath. */
  private byHand(): string {
    return `${this.source.description} cannot drop PEEP for a single breath on command: do the one-breath test by hand (the guided procedure) and enter its readings`;
  }

  /** Opens a session; a screen on a device that cannot drop PEEP for one breath is closed again, saying why. */
  private async openSession(kind: RunnableKind, protocol: Protocol, confirmation: ChecklistConfirmation | null): Promise<OpenedSession | Extract<HubResult, { ok: false }>> {
    let opened: OpenedSession;
    try {
      opened = await this.source.open(kind, protocol, confirmation ? { checklist: confirmation } : {});
      if (confirmation) this.log.info({ checklist: confirmation }, 'console: operator checklist confirmed');
    } catch (e) {
      this.log.error({ err: e }, 'console: session could not be opened');
      return { ok: false, code: 'start-failed', message: `could not open the session: ${(e as Error).message}` };
    }
    if (kind === 'recruitability-screen') {
      const problem = oneBreathDropProblem(opened.session.device.capabilities, opened.description);
      if (problem !== null) {
        await opened.dispose().catch((e: unknown) => this.log.error({ err: e }, 'console: closing the session failed'));
        this.oneBreathDrop = false;
        // The pages learn that the screen is done by hand here.
        for (const c of this.clients) c.send({ type: 'welcome', server: this.serverInfo });
        return { ok: false, code: 'screen-needs-readings', message: problem };
      }
      this.oneBreathDrop = true;
    }
    return opened;
  }

  /**
   * The one-breath test done by hand: its readings (ReleaseReadingsSchema, as `rmseq screen
   * --readings`) give R/I, shown to every page and kept for a staircase that follows. Invalid
   * readings change nothing: every field at fault is named with its value and allowed range.
   */
  screenReadings(readings: Record<string, unknown>, screenOverrides: Record<string, unknown> | undefined): HubResult {
    const sp = parseProtocol('recruitability-screen', screenOverrides);
    if ('problems' in sp) return refuse('invalid-protocol', 'the screen protocol has errors: see the fields marked', sp.problems.map((p) => ({ ...p, field: `screen.${p.field}` })));
    const screen = screenOf(sp.protocol);
    let parsedReadings;
    try {
      parsedReadings = parseOrThrow(ReleaseReadingsSchema, readings, 'readings');
    } catch (e) {
      if (!isValidationError(e)) throw e;
      return refuse('invalid-readings', `the readings have errors: ${e.problems.map((p) => `${p.field} = ${JSON.stringify(p.value)}: ${p.message}`).join('; ')}; nothing was applied`, [...e.problems]);
    }
    const result = recruitabilityOf(parsedReadings, screen.thresholdRatio);
    try {
      this.onScreenEntered?.({ protocol: screen, readings: parsedReadings, result, recommendation: screenRecommendation(result) });
    } catch (e) {
      this.log.error({ err: e }, 'console: the entered recruitability screen could not be journaled');
      return refuse('internal', `the readings could not be written to the journal (${(e as Error).message}): nothing was applied`);
    }
    this.log.info({ readings: parsedReadings, ratio: result.ratio, recruitability: result.recruitability }, 'console: recruitability screen entered by hand');
    this.setEnteredScreen(enteredScreenView(result, screen, Date.now()));
    return OK;
  }

  private setEnteredScreen(view: ScreenView | null): void {
    this.enteredScreen = view;
    this.broadcast({ type: 'entered-screen', screen: view });
  }

  /**
   * After a screen that ran before a staircase: its policy decides (proceed, warn, cap: the
   * staircase opens, capped for cap; block: it does not). A screen that did not complete
   * starts nothing.
   */
  private async afterScreen(run: Run, summary: SessionSummary): Promise<void> {
    const then = run.then!;
    try {
      await this.afterScreenDecide(run, summary, then);
    } finally {
      // The screen's session is closed whatever follows (its ports freed before the staircase opens them).
      await this.dispose(run);
      this.chaining = false;
    }
  }

  private async afterScreenDecide(run: Run, summary: SessionSummary, then: NonNullable<Run['then']>): Promise<void> {
    {
      const t = run.opened.session.clock.now();
      const result = summary.screen ?? null;
      if (summary.outcome !== 'completed' || !result) {
        const message = `the recruitability screen did not complete (${summary.outcome}): the staircase is not started`;
        this.screenEvent(run, t, { action: 'block', policy: then.screen.policy, message, capped: null });
        return;
      }
      const d = applyScreenPolicy(then.staircase, result, then.screen.policy, then.screen.capPeakCmH2O);
      const view = this.screenEvent(run, t, decisionView(d, then.screen));
      this.log.info({ action: d.action, ratio: result.ratio }, `console: recruitability screen -> staircase: ${d.message}`);
      // The screen's session closes (its 'closed' goes to the pages, its ports are freed) before the staircase opens.
      await this.dispose(run);
      if (!d.protocol || this.stopping) return;
      const opened = await this.openSession('staircase', d.protocol, then.checklist);
      if ('code' in opened) {
        this.log.error({ why: opened.message }, 'console: the staircase after the screen could not be opened');
        // Said on every page: the screen's model is still the one they show.
        run.model.log.push({ t, level: 'alarm', text: `The staircase after the screen could not be opened: ${opened.message}` });
        this.broadcast({ type: 'update', sessionId: run.info.id, now: run.model.now, rows: [], events: [{ kind: 'log', entry: { t, level: 'alarm', text: `The staircase after the screen could not be opened: ${opened.message}` } }] });
        return;
      }
      if (this.stopping) {
        await opened.dispose();
        return;
      }
      this.begin('staircase', opened, view, null);
    }
  }

  private screenEvent(run: Run, t: number, decision: ScreenDecisionView): ScreenView | null {
    const view = run.translator.screenDecision(t, decision);
    this.flush();
    return view;
  }

  /** An operator action on the running session. */
  async control(action: 'confirm' | 'abort' | 'ack' | 'repeat' | 'end', args: { promptId?: number; note?: string; by?: string } = {}): Promise<HubResult> {
    const run = this.run;
    if (!run || run.opened.session.isFinished) return refuse('no-session', 'no maneuver is running');
    const session = run.opened.session;
    const state = session.state;
    switch (action) {
      case 'abort':
        session.operator('abort', args.note ?? 'console');
        return OK;
      case 'confirm': {
        const guided = run.opened.guided;
        if (guided && run.promptId !== null) {
          if (args.promptId !== undefined && args.promptId !== run.promptId) {
            return refuse('not-now', `instruction #${args.promptId} is no longer current (now #${run.promptId})`);
          }
          this.log.info({ session: run.info.id, prompt: run.promptId }, 'console: guided instruction confirmed by the operator');
          await guided.confirm(run.promptId);
          return OK;
        }
        if (state.endsWith('confirming')) {
          session.operator('confirm');
          return OK;
        }
        return refuse('not-now', 'nothing is waiting for a confirmation');
      }
      case 'ack':
        if (!state.startsWith('failsafe')) return refuse('not-now', 'acknowledge is for the failsafe alarm only');
        if (!args.by) return refuse('invalid-message', 'say who acknowledges (by: your name or initials)');
        // As at the terminal (FailsafeWatch): the acknowledgement names who and carries the
        // last known device state; the session journals it as an operator action.
        run.failsafe.ack(`FAILSAFE acknowledged on the console by ${args.by}`);
        return OK;
      case 'end':
        if (state !== 'completed') return refuse('not-now', 'End is for a completed maneuver; to stop a running one, use Abort');
        session.operator('end');
        return OK;
      case 'repeat':
        if (state !== 'completed') return refuse('not-now', 'Repeat is possible only after a completed maneuver');
        session.operator('repeat');
        if (session.state === 'completed') return refuse('not-now', `repeat not allowed now: ${repeatRefusal(run)}`);
        return OK;
    }
  }

  /**
   * The operator's PaO2 and displayed mean airway pressure for the rescue-therapy advisor
   * (advisory only: nothing reaches the ventilator). Kept for the session's end; once it has
   * ended, its advice is recomputed with them at once.
   */
  oxygenation(values: OperatorOxygenation): HubResult {
    const run = this.run;
    if (!run) return refuse('no-session', 'no session: start a maneuver first');
    this.operatorOxygenation = values;
    this.log.info({ session: run.info.id, ...values }, 'console: oxygenation entered for the advisor');
    const summary = run.model.summary;
    if (summary) {
      run.events.push({ kind: 'advice', t: run.model.now, advice: adviceAfterRun(summary, values) });
      this.flushSoon();
    }
    return OK;
  }

  /**
   * Ends the service: aborts a running maneuver through the machine (baseline restored and
   * verified) and waits for it, then falls back to a direct restore on the device. A
   * completed maneuver waiting for End or Repeat is ended: its verified settings stay.
   */
  async stop(reason: string, limitMs?: number): Promise<SessionSummary | null> {
    this.stopping = true;
    const run = this.run;
    let summary: SessionSummary | null = null;
    if (run && !run.opened.session.isFinished) {
      const session = run.opened.session;
      if (session.state === 'completed') {
        this.log.warn({ reason }, 'console: stopping after a completed maneuver, ending it (verified settings kept)');
        session.operator('end', reason);
      } else {
        this.log.warn({ reason, state: session.state }, 'console: stopping during a maneuver, aborting first');
        session.operator('abort', reason);
      }
      const s = session.context.safety;
      // As long as the machine's own restore attempts can take (clock time), in real time.
      limitMs ??= Math.max(2000, ((s.restoreTimeoutS + s.restoreRetryDelayS) * 1000 * (s.restoreAttempts + 1)) / this.source.speed);
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), limitMs).unref());
      summary = await Promise.race([run.done, timeout]);
      if (!summary) {
        const ok = await session.emergencyRestore(`${reason}: machine did not finish the restore in time`);
        summary = { ...session.summary(), outcome: ok ? 'aborted' : 'failsafe', baselineVerified: ok };
      }
    }
    clearInterval(this.timer);
    this.flush();
    if (run) await this.dispose(run);
    return summary;
  }

  /**
   * Last resort (a second signal, a crash): restores the baseline directly on the device,
   * bypassing the machine. Null when no maneuver is running.
   */
  async emergencyRestore(reason: string): Promise<boolean | null> {
    const run = this.run;
    if (!run || run.opened.session.isFinished) return null;
    this.log.error({ reason }, 'console: emergency restore of the baseline');
    return run.opened.session.emergencyRestore(reason);
  }

  private begin(maneuver: RunnableKind, opened: OpenedSession, screen: ScreenView | null = null, then: Run['then'] = null): void {
    const { session } = opened;
    const protocol = session.options.protocol;
    const info: SessionInfo = {
      id: ++this.sessionCount,
      maneuver,
      protocol,
      plan: displayPlan(protocol, session.baseline),
      plannedMs: plannedDurationMs(protocol, session.baseline, { fio2Steps: true }),
      baseline: session.baseline,
      device: { vendor: session.device.vendor, model: session.device.model, protocol: session.device.protocol },
      guided: opened.guided !== null,
      t0: session.clock.now(),
      thresholds: thresholdsOf(protocol),
      patient: session.options.patient ? { ...session.options.patient, pbwKg: predictedBodyWeightKg(session.options.patient) } : null,
      ...(screen ? { screen } : {}),
    };
    const model = newSessionModel(info);
    const run: Run = {
      info,
      model,
      opened,
      subs: [],
      rows: [],
      events: [],
      promptId: null,
      watch: null,
      done: session.done,
      disposed: null,
      then,
      translator: null as unknown as Translator,
      failsafe: null as unknown as FailsafeWatch,
    };
    run.translator = new Translator(info, () => session.context, {
      row: (row) => run.rows.push(row),
      event: (e, urgent) => {
        run.events.push(e);
        if (urgent) this.flushSoon();
      },
    });
    this.run = run;
    this.broadcast({ type: 'session', session: model });
    this.log.info({ session: info.id, maneuver, guided: info.guided, source: this.source.description }, 'console: session opened');
    run.subs.push(session.telemetry$.subscribe((e) => run.translator.on(e)));
    if (maneuver === 'recruitability-screen') {
      // A screen has nothing to repeat or watch: once completed (at the verified baseline) it ends.
      run.subs.push(session.telemetry$.subscribe((e) => e.kind === 'state' && e.state === 'completed' && setImmediate(() => session.state === 'completed' && session.operator('end', 'recruitability screen complete'))));
    } else {
      run.subs.push(session.telemetry$.subscribe((e) => e.kind === 'state' && this.followWatch(run, e.state)));
    }
    run.failsafe = new FailsafeWatch(session, {
      stdin: null,
      interactive: true,
      timeoutMs: null,
      ackElsewhere: true,
      howToAck: 'press Acknowledge on the console with your name',
      write: (text) => {
        for (const line of text.split('\n').map((l) => l.replace(/^\*\*\* ?/, '').trim()).filter(Boolean)) run.translator.note(session.clock.now(), 'alarm', line);
      },
    });
    if (opened.guided) {
      run.subs.push(
        opened.guided.prompts$.subscribe((p) => {
          if (p === null || p.status === 'waiting') run.promptId = p?.id ?? null;
          run.translator.prompt(p);
        }),
      );
    }
    run.done = runSession(session);
    run.done.then(
      (summary) => {
        run.watch?.end('session ended');
        // Advisory only: shown, not journaled (the outcome stays the session's last line; the
        // report computes the same advice from it); nothing reaches the ventilator.
        // A screen is not a maneuver: no rescue-therapy advice follows it (the staircase it precedes may).
        const advice = maneuver === 'recruitability-screen' ? null : adviceAfterRun(summary, this.operatorOxygenation);
        if (advice) run.translator.on({ kind: 'advice', t: session.clock.now(), advice });
        this.log.info({ session: info.id, outcome: summary.outcome, abort: summary.abort?.reason ?? null, baselineVerified: summary.baselineVerified }, 'console: session ended');
        if (run.then) void this.afterScreen(run, summary);
        else void this.dispose(run);
      },
      (err: unknown) => {
        if (run.then) this.chaining = false;
        this.log.error({ err, session: info.id }, 'console: session failed; restoring the baseline directly');
        void session.emergencyRestore('session error').finally(() => void this.dispose(run));
      },
    );
  }

  /**
   * The post-maneuver watch runs while a completed maneuver waits for End or Repeat, and ends
   * when the session leaves `completed` (Repeat: the controller changes settings again; End).
   */
  private followWatch(run: Run, state: string): void {
    const session = run.opened.session;
    if (state === 'completed' && (!run.watch || run.watch.state.status === 'ended')) {
      const { ventilator, vitals, protocol, clock } = session.options;
      run.watch = startWatchOn({ clock, samples$: merge(ventilator.samples$, vitals.samples$), telemetry: session.telemetry$, protocol }, { ...session.summary(), outcome: 'completed' }, this.watchConfig);
    } else if (state !== 'completed' && run.watch && run.watch.state.status !== 'ended') {
      run.watch.end(state.startsWith('active') ? 'maneuver repeated' : `session ${state}`);
    }
  }

  private dispose(run: Run): Promise<void> {
    run.disposed ??= (async () => {
      run.watch?.end('session closed');
      run.failsafe.stop();
      this.flush();
      for (const s of run.subs) s.unsubscribe();
      try {
        await run.opened.dispose();
      } catch (e) {
        this.log.error({ err: e, session: run.info.id }, 'console: closing the session failed');
      }
      run.events.push({ kind: 'closed', t: run.opened.session.clock.now() });
      this.flush();
    })();
    return run.disposed;
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private tick(): void {
    this.flush();
    if (Date.now() - this.lastSentAt >= this.heartbeatMs) {
      const run = this.run;
      this.broadcast({ type: 'heartbeat', sessionId: run?.info.id ?? null, now: run && !run.model.closed ? run.opened.session.clock.now() : null });
    }
  }

  /** Applies what is pending to the model and sends it to every page. */
  private flush(): void {
    const run = this.run;
    if (!run || (!run.rows.length && !run.events.length)) return;
    const rows = run.rows.splice(0);
    const events = run.events.splice(0);
    const now = run.model.closed ? run.model.now : run.opened.session.clock.now();
    applyUpdate(run.model, now, rows, events);
    this.broadcast({ type: 'update', sessionId: run.info.id, now, rows, events });
  }

  private broadcast(message: ServerMessage): void {
    this.lastSentAt = Date.now();
    for (const c of this.clients) c.send(message);
  }
}

function repeatRefusal(run: Run): string {
  const c = run.opened.session.context;
  const policy = c.protocol.repeat;
  if (c.run.response?.met !== true) return `the maneuver produced no response${c.run.response ? ` (${c.run.response.detail})` : ''}`;
  if (c.run.repeats >= policy.maxRepeats) return `the protocol allows ${policy.maxRepeats} repeat(s)`;
  const waitMs = (c.run.completedAt ?? c.now) + policy.minIntervalS * 1000 - c.now;
  if (waitMs > 0) return `wait ${Math.ceil(waitMs / 1000)} s more (minimum interval ${policy.minIntervalS} s)`;
  return 'preconditions are not met (check SpO2 and MAP)';
}
