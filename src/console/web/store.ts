/**
 * The page's state: the server's description, the session model (built from the snapshot
 * and the same updates the server applies), the link status and what the operator is doing.
 */
import type { FieldProblem } from '../../../common/validation.js';
import type { PlannedStep } from '../../../machines/plans.js';
import { applyUpdate } from '../model.js';
import type { ErrorCode, ScreenView, ServerInfo, ServerMessage, SessionModel } from '../wire.js';
import type { LinkStatus } from './connection.js';

export interface Notice {
  level: 'error' | 'info';
  text: string;
  at: number;
}

export class Store {
  server: ServerInfo | null = null;
  session: SessionModel | null = null;
  link: LinkStatus = 'connecting';
  everConnected = false;
  lostSince: number | null = null;
  retryInMs: number | null = null;
  /** Whether this page's token allows control (null until the server said). */
  controls: boolean | null = null;
  /** The page sent a token and the server did not accept it (said on screen, not silently view-only). */
  tokenRejected = false;
  /** The server refused this page outright (too many pages), with its reason. */
  refusal: string | null = null;
  /** Whether the last hello carried a token (set by the page when it says hello). */
  helloHadToken = false;
  /** Session clock and the page's clock when it was read: for countdowns between updates. */
  private sync = { now: 0, at: 0 };
  /** The operator pressed Abort and the machine has not reacted yet. */
  abortSentAt: number | null = null;
  /** Show the protocol form (no session yet, or "New maneuver" after one ended). */
  setupOpen = true;
  problems: FieldProblem[] = [];
  preview: { plan: PlannedStep[]; plannedMs: number; problems: FieldProblem[] } | null = null;
  notice: Notice | null = null;
  /** The recruitability screen entered by hand on this console (null: none). */
  enteredScreen: ScreenView | null = null;
  /** What the server found wrong with the last readings entered (empty: none). */
  readingsProblems: FieldProblem[] = [];
  /** What the setup form has chosen (the screen panel shows entered readings with the screen). */
  setupManeuver: string | null = null;
  /** Confirmations refused or not sent so far (the prompt redraws its Done button on each). */
  confirmFailures = 0;
  rowsChanged = true;
  private listeners: (() => void)[] = [];

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  changed(): void {
    for (const fn of this.listeners) fn();
    this.rowsChanged = false;
  }

  /** The session clock now, extrapolated from the last update (at most 3 s ahead). */
  sessionNow(): number {
    const speed = this.server?.speed ?? 1;
    const elapsed = Math.min(3000, performance.now() - this.sync.at);
    return this.sync.now + elapsed * speed;
  }

  receive(m: ServerMessage): void {
    switch (m.type) {
      case 'welcome':
        this.server = m.server;
        this.refusal = null;
        break;
      case 'snapshot':
        this.session = m.session;
        // After a reconnect nothing is known about an abort sent before: the button must work again.
        this.abortSentAt = null;
        this.rowsChanged = true;
        if (m.session) this.syncClock(m.session.now);
        if (m.session && !m.session.closed) this.setupOpen = false;
        else if (!m.session) this.setupOpen = true;
        break;
      case 'session':
        this.session = m.session;
        this.rowsChanged = true;
        this.setupOpen = false;
        this.problems = [];
        this.abortSentAt = null;
        this.syncClock(m.session.now);
        break;
      case 'update':
        if (!this.session || this.session.info.id !== m.sessionId) return;
        applyUpdate(this.session, m.now, m.rows, m.events);
        if (m.rows.length) this.rowsChanged = true;
        this.syncClock(m.now);
        if (m.events.some((e) => e.kind === 'state' && !e.step.state.startsWith('active'))) this.abortSentAt = null;
        break;
      case 'heartbeat':
        if (m.now !== null && this.session?.info.id === m.sessionId) this.syncClock(m.now);
        return;
      case 'hello':
        this.controls = m.controls;
        this.tokenRejected = !m.controls && this.helloHadToken;
        break;
      case 'accepted':
        if (m.request === 'start') this.problems = [];
        if (m.request === 'screen-readings') this.readingsProblems = [];
        break;
      case 'entered-screen':
        this.enteredScreen = m.screen;
        break;
      case 'preview':
        this.preview = { plan: m.plan, plannedMs: m.plannedMs, problems: m.problems };
        this.problems = m.problems;
        break;
      case 'error':
        this.onError(m.code, m.message, m.request, m.problems);
        break;
    }
    this.changed();
  }

  note(level: Notice['level'], text: string): void {
    this.notice = { level, text, at: Date.now() };
    this.changed();
  }

  private onError(code: ErrorCode, message: string, request: string | undefined, problems: FieldProblem[] | undefined): void {
    if (code === 'invalid-protocol' && problems) this.problems = problems;
    if (code === 'invalid-readings') this.readingsProblems = problems ?? [];
    if (code === 'unauthorized') {
      this.controls = false;
      this.tokenRejected = true;
    }
    if (code === 'too-many-pages') this.refusal = message;
    if (request === 'abort') this.abortSentAt = null;
    if (request === 'confirm') this.confirmFailures++;
    this.notice = { level: 'error', text: `${request ? `${request}: ` : ''}${message}`, at: Date.now() };
  }

  private syncClock(now: number): void {
    this.sync = { now, at: performance.now() };
  }
}
