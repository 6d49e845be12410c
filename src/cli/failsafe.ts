/**
 * FAILSAFE at the terminal: the machine keeps retrying the restore (machines/shell.ts); this
 * watch tells the person what is going on and what to do, and ends the wait:
 * - on entering: an alarm with the baseline to set by hand and how to end (`ack` + Enter);
 * - every `summaryEveryMs` (session clock): one summary alarm (attempts, last error, last
 *   readback), instead of a line per retry;
 * - when a retry verifies the baseline (failsafe.restored): says so; a non-interactive run
 *   then ends (exit 4, "failsafe resolved"), an interactive one waits for `ack`;
 * - `ack` on stdin, or `timeoutMs` in failsafe: acknowledges for the operator, with the last
 *   known device state, so the run ends (exit 4) and never hangs.
 */
import type { Subscription } from 'rxjs';
import type { TimerHandle } from '../../common/clock.js';
import type { VentSettings } from '../../machines/index.js';
import type { Session } from '../runner/session.js';
import { clockTime, describeSettings } from './format.js';
import type { StdinLines } from './stdinLines.js';

export interface FailsafeWatchOptions {
  /** Lines typed by the operator (`ack`); null when nobody can type. */
  stdin: StdinLines | null;
  /** True when a person is at the terminal: a resolved failsafe then waits for `ack`. */
  interactive: boolean;
  /** Acknowledge for the operator after this long in failsafe (session clock); null: wait for `ack`. */
  timeoutMs: number | null;
  /** Period of the summary alarm (session clock). */
  summaryEveryMs?: number;
  /** Where the operator reads it (stderr). */
  write: (text: string) => void;
  /**
   * How the person acknowledges, in words (default: `ack` + Enter with stdin, else on the
   * device). The console says "press Acknowledge on the console".
   */
  howToAck?: string;
  /** Someone acknowledges through `ack()` (a console page): a resolved failsafe waits for it even without stdin. */
  ackElsewhere?: boolean;
}

export class FailsafeWatch {
  private readonly subs: Subscription[] = [];
  private enteredAt: number | null = null;
  private attempts = 0;
  private lastError: string | null = null;
  private lastReadback: { settings: VentSettings; t: number } | null = null;
  private measured: { peep?: number; peak?: number; t: number } | null = null;
  /** The last maneuver setting sent (not a restore), and whether the device confirmed it. */
  private lastSent: { settings: VentSettings; seq: number; t: number; confirmed: boolean } | null = null;
  private resolved = false;
  private acked = false;
  private timers: TimerHandle[] = [];
  private stopSummary: (() => void) | null = null;

  constructor(
    private readonly session: Session,
    private readonly o: FailsafeWatchOptions,
  ) {
    this.subs.push(session.telemetry$.subscribe((e) => {
      switch (e.kind) {
        case 'readback':
          this.lastReadback = { settings: e.settings, t: e.t };
          if (this.lastSent?.seq === e.seq) this.lastSent.confirmed = e.matches;
          return;
        case 'apply-error':
          this.lastError = `${e.code}: ${e.message}`;
          return;
        case 'command':
          if (e.command.purpose !== 'restore-baseline') this.lastSent = { settings: e.command.settings, seq: e.command.seq, t: e.t, confirmed: false };
          else if (this.enteredAt !== null) this.attempts++;
          return;
        case 'input':
          if (e.event.type === 'SAMPLE' && (e.event.sample.peepCmH2O !== undefined || e.event.sample.peakCmH2O !== undefined)) {
            const s = e.event.sample;
            this.measured = { ...(s.peepCmH2O !== undefined ? { peep: s.peepCmH2O } : {}), ...(s.peakCmH2O !== undefined ? { peak: s.peakCmH2O } : {}), t: e.t };
          }
          return;
        case 'state':
          if (e.state.startsWith('failsafe') && this.enteredAt === null) this.enter();
          if (e.state === 'failsafe.restored' && !this.resolved) this.resolve();
          return;
        default:
      }
    }));
    if (o.stdin) this.subs.push(o.stdin.lines$.subscribe((line) => /^ack$/i.test(line) && this.ack('acknowledged at the terminal')));
  }

  /** What the device showed last: its last readback and the last measured pressures. */
  lastKnownDeviceState(): string {
    const now = this.session.clock.now();
    const ago = (t: number) => `${clockTime(now - t)} ago`;
    const rb = this.lastReadback ? `settings read back ${describeSettings(this.lastReadback.settings)} (${ago(this.lastReadback.t)})` : 'no settings read back';
    const m = this.measured ? `; measured PEEP ${this.measured.peep ?? '--'}, Ppeak ${this.measured.peak ?? '--'} cmH2O (${ago(this.measured.t)})` : '; no ventilator measurement';
    const sent = this.lastSent ? `; last maneuver setting sent ${describeSettings(this.lastSent.settings)} (${ago(this.lastSent.t)}, ${this.lastSent.confirmed ? 'confirmed' : 'never confirmed: the device may hold it'})` : '';
    return `${rb}${m}${sent}${this.lastError ? `; last error ${this.lastError}` : ''}`;
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    for (const t of this.timers) this.session.clock.clearTimeout(t);
    this.stopSummary?.();
  }

  private enter(): void {
    const clock = this.session.clock;
    this.enteredAt = clock.now();
    const base = describeSettings(this.session.baseline);
    const how = this.o.howToAck ?? (this.o.stdin ? 'type `ack` + Enter once you have taken over' : 'acknowledge on the device');
    const ends = this.o.timeoutMs !== null ? `; this run ends by itself in ${clockTime(this.o.timeoutMs)} (--failsafe-timeout) if nobody acknowledges` : '';
    this.o.write(`\n*** FAILSAFE: the baseline ${base} could not be verified on the ventilator. The controller keeps retrying the restore and alarming.\n*** CHECK THE VENTILATOR NOW: set ${base} by hand if it does not hold it; ${how}${ends}.\n`);
    if (this.o.timeoutMs !== null) {
      this.timers.push(clock.setTimeout(() => this.ack(`failsafe timeout (${clockTime(this.o.timeoutMs!)}): nobody acknowledged`), this.o.timeoutMs));
    }
    const every = this.o.summaryEveryMs ?? 60_000;
    const tick = (): void => {
      const h = clock.setTimeout(() => {
        if (this.acked) return;
        this.session.alarm('high', `FAILSAFE for ${clockTime(clock.now() - this.enteredAt!)}: ${this.attempts} restore attempts, ${this.resolved ? 'baseline verified' : 'none verified'}; last known device state: ${this.lastKnownDeviceState()}. ${this.resolved ? `${this.o.howToAck ?? 'Type ack + Enter'} to end.` : 'CHECK THE VENTILATOR.'}`);
        tick();
      }, every);
      this.timers.push(h);
    };
    tick();
  }

  private resolve(): void {
    this.resolved = true;
    const msg = `FAILSAFE resolved: baseline ${describeSettings(this.session.baseline)} verified by readback after ${this.attempts} restore attempts`;
    this.session.alarm('medium', msg);
    if (this.o.interactive && (this.o.stdin || this.o.ackElsewhere)) {
      this.o.write(`*** ${msg}. Check the patient, then ${this.o.howToAck ?? 'type `ack` + Enter'} to end.\n`);
    } else {
      this.o.write(`*** ${msg}; ending the run (exit 4: a failsafe happened, check the patient and the ventilator).\n`);
      this.ack('failsafe resolved: baseline verified (non-interactive run)');
    }
  }

  /** Acknowledges for the operator (ends the failsafe); once. */
  ack(note: string): void {
    if (this.acked || this.enteredAt === null || !this.session.state.startsWith('failsafe')) return;
    this.acked = true;
    const verified = this.session.baselineVerified;
    this.o.write(`*** ${note}. Baseline ${verified ? 'verified' : 'NOT verified: CHECK THE VENTILATOR'}; last known device state: ${this.lastKnownDeviceState()}\n`);
    // Deferred: the ack may come from inside a telemetry emission (the restored state).
    this.timers.push(this.session.clock.setTimeout(() => this.session.operator('ack', note), 0));
  }
}
