/**
 * One `apply`: send a control frame per changed setting, collect the matching control acks
 * (resending unacknowledged frames with backoff), then wait for a settings report that shows
 * the whole target. Everything is timed on the injected clock.
 *
 * Frames go in stages: a stage is sent once every frame of the one before is acknowledged and
 * `STAGE_SETTLE_MS` has passed, so an ack the firmware sends for a setting it moved by itself
 * (the peak alarm threshold after a plateau change) arrives before the frame that sets it back.
 * An ack only counts against a frame still waiting for one; an ack for any other setting is the
 * firmware's own business. A restore (`reassert`) sends again, at most `MAX_REASSERTS` times, a
 * setting that a report after all acks still does not show (moved again after its ack).
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
/** Pause between two stages, for the firmware's own acks of a stage to arrive first. */
export const STAGE_SETTLE_MS = 250;
/** How often a restore sends a setting again that a later report does not show. */
export const MAX_REASSERTS = 2;

export class ApplyTransaction {
  readonly done: Promise<SettingsReport>;
  private resolveDone!: (r: SettingsReport) => void;
  private rejectDone!: (e: VentilatorError) => void;
  private readonly unacked = new Map<number, PlannedCommand>();
  private readonly stages: PlannedCommand[][];
  private readonly reasserted = new Map<number, number>();
  private retryTimer: TimerHandle | null = null;
  private deadlineTimer: TimerHandle | null = null;
  private stageTimer: TimerHandle | null = null;
  private attempts = 1;
  private settled = false;

  /**
   * @param stages frames to send, stage by stage (a single array is one stage)
   * @param all every setting the confirming report must show
   */
  constructor(
    stages: readonly PlannedCommand[] | readonly (readonly PlannedCommand[])[],
    private readonly all: readonly PlannedCommand[],
    private readonly write: (cmd: PlannedCommand) => Promise<void>,
    private readonly clock: Clock,
    private readonly timing: ApplyTiming,
    private readonly options: { reassert?: boolean } = {},
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    const list = stages as ReadonlyArray<PlannedCommand | readonly PlannedCommand[]>;
    this.stages = list.length > 0 && Array.isArray(list[0]) ? (list as readonly (readonly PlannedCommand[])[]).map((x) => [...x]) : [[...(list as readonly PlannedCommand[])]];
  }

  /** Sends the first stage and starts the clocks. */
  start(): void {
    this.deadlineTimer = this.clock.setTimeout(() => this.fail(this.timeoutError()), this.timing.deadlineMs);
    this.nextStage();
  }

  /** A control ack arrived. Only a frame still waiting for its ack can be refused by it. */
  onAck(setting: number, value: number): void {
    const cmd = this.unacked.get(setting);
    if (this.settled || !cmd) return;
    if (value !== cmd.value) {
      this.fail(new RefusedError(`the MakAir acknowledged ${cmd.label} with value ${value}: it did not take ${cmd.value}`));
      return;
    }
    this.unacked.delete(setting);
    if (this.unacked.size === 0 && this.stages.length > 0) {
      this.stageTimer = this.clock.setTimeout(() => {
        this.stageTimer = null;
        this.nextStage();
      }, STAGE_SETTLE_MS);
    }
  }

  /** A settings report arrived; it confirms only once every stage was sent and acknowledged. */
  onReport(report: SettingsReport): void {
    if (this.settled || this.unacked.size > 0 || this.stages.length > 0 || this.stageTimer) return;
    const missing = this.all.filter((c) => !c.shows(report));
    if (missing.length === 0) {
      this.settle(() => this.resolveDone(report));
      return;
    }
    if (!this.options.reassert) return;
    const again = missing.filter((c) => (this.reasserted.get(c.setting) ?? 0) < MAX_REASSERTS);
    if (again.length === 0) return;
    for (const c of again) this.reasserted.set(c.setting, (this.reasserted.get(c.setting) ?? 0) + 1);
    this.stages.push(again);
    this.nextStage();
  }

  /** Sends the next non-empty stage (with its resend timer); with none left, waits for the confirming report. */
  private nextStage(): void {
    if (this.settled) return;
    let stage = this.stages.shift();
    while (stage && stage.length === 0) stage = this.stages.shift();
    if (!stage) return;
    for (const c of stage) this.unacked.set(c.setting, c);
    this.transmit(stage);
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.scheduleRetry(this.timing.ackTimeoutMs);
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
    if (this.stageTimer) this.clock.clearTimeout(this.stageTimer);
    this.retryTimer = null;
    this.deadlineTimer = null;
    this.stageTimer = null;
    finish();
  }
}
