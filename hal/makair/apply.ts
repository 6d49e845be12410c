/**
 * One `apply`: send a control frame per changed setting, collect the matching control acks
 * (resending unacknowledged frames with backoff), then wait for a settings report that shows
 * the whole target. Everything is timed on the injected clock.
 *
 * Outcomes: the confirming report; `RefusedError` when the device acknowledges a different
 * value (the firmware clamps or ignores what it will not take and acks what it kept);
 * `TimeoutError` at the deadline; whatever `fail()` is given (the adapter passes
 * `DisconnectedError` when the link drops).
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { DisconnectedError, RefusedError, TimeoutError, isVentilatorError, type VentilatorError } from '../errors.js';
import type { PlannedCommand } from './mapping.js';
import type { SettingsReport } from './messages.js';

export interface ApplyTiming {
  /** Whole transaction, from the first frame to the confirming report. */
  deadlineMs: number;
  /** Wait for an ack before the first resend; doubles after each resend. */
  ackTimeoutMs: number;
  /** Ceiling of the doubled wait. */
  maxAckTimeoutMs: number;
}

/**
 * @example
 * const tx = new ApplyTransaction(plan.send, plan.all, (cmd) => transport.write(frameOf(cmd)), clock, timing);
 * tx.start();
 * // route telemetry: tx.onAck(setting, value), tx.onReport(report)
 * const confirmed = await tx.done;
 */
export class ApplyTransaction {
  readonly done: Promise<SettingsReport>;
  private resolveDone!: (r: SettingsReport) => void;
  private rejectDone!: (e: VentilatorError) => void;
  private readonly unacked = new Map<number, PlannedCommand>();
  private readonly ours = new Map<number, PlannedCommand>();
  private retryTimer: TimerHandle | null = null;
  private deadlineTimer: TimerHandle | null = null;
  private attempts = 1;
  private settled = false;

  constructor(
    private readonly send: readonly PlannedCommand[],
    private readonly all: readonly PlannedCommand[],
    private readonly write: (cmd: PlannedCommand) => Promise<void>,
    private readonly clock: Clock,
    private readonly timing: ApplyTiming,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    for (const c of send) {
      this.unacked.set(c.setting, c);
      this.ours.set(c.setting, c);
    }
  }

  /** Sends every frame and starts the clocks. */
  start(): void {
    this.deadlineTimer = this.clock.setTimeout(() => this.fail(this.timeoutError()), this.timing.deadlineMs);
    this.transmit(this.send);
    this.scheduleRetry(this.timing.ackTimeoutMs);
  }

  /** A control ack arrived. */
  onAck(setting: number, value: number): void {
    const cmd = this.ours.get(setting);
    if (this.settled || !cmd) return;
    if (value !== cmd.value) {
      this.fail(new RefusedError(`the MakAir acknowledged ${cmd.label} with value ${value}: it did not take ${cmd.value}`));
      return;
    }
    this.unacked.delete(setting);
  }

  /** A settings report arrived; it confirms only once every frame was acknowledged. */
  onReport(report: SettingsReport): void {
    if (this.settled || this.unacked.size > 0) return;
    if (this.all.every((c) => c.shows(report))) this.settle(() => this.resolveDone(report));
  }

  fail(error: VentilatorError): void {
    this.settle(() => this.rejectDone(error));
  }

  private transmit(cmds: readonly PlannedCommand[]): void {
    // In order, one at a time: the firmware reads one 11-byte frame per loop iteration.
    void cmds.reduce((prev, c) => prev.then(() => (this.settled ? undefined : this.write(c))), Promise.resolve()).catch((e: unknown) => {
      this.fail(isVentilatorError(e) ? e : new DisconnectedError(`writing to the MakAir failed: ${String(e)}`, { cause: e }));
    });
  }

  // A hand-written retry loop rather than an RxJS retry: its timers must run on the injected
  // Clock so that tests (VirtualClock) and the bedside (WallClock) share one code path.
  private scheduleRetry(delayMs: number): void {
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      if (this.settled || this.unacked.size === 0) return;
      this.attempts += 1;
      this.transmit([...this.unacked.values()]);
      this.scheduleRetry(Math.min(delayMs * 2, this.timing.maxAckTimeoutMs));
    }, delayMs);
  }

  private timeoutError(): TimeoutError {
    const ms = this.timing.deadlineMs;
    if (this.unacked.size > 0) {
      const missing = [...this.unacked.values()].map((c) => c.label).join(', ');
      return new TimeoutError(`no MakAir control ack for ${missing} within ${ms} ms (${this.attempts} attempts)`);
    }
    return new TimeoutError(`MakAir acknowledged ${this.all.map((c) => c.label).join(', ')} but its telemetry did not show them within ${ms} ms`);
  }

  private settle(finish: () => void): void {
    if (this.settled) return;
    this.settled = true;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    if (this.deadlineTimer) this.clock.clearTimeout(this.deadlineTimer);
    this.retryTimer = null;
    this.deadlineTimer = null;
    finish();
  }
}
