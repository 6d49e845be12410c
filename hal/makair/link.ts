/**
 * Telemetry link watchdog on the injected clock. A MakAir talks continuously (data snapshots
 * every 10 ms while ventilating, stopped messages every 100 ms otherwise), so silence longer
 * than the timeout means the link is lost. Each frame only records the time; the single timer
 * re-arms itself for the remainder, so 100 frames a second cost no timer churn.
 */
import type { Clock, TimerHandle } from '../../common/clock.js';

/**
 * @example
 * const link = new LinkWatchdog(clock, 1000, (silentMs) => faults.next({ code: 'link-lost', ... }));
 * link.start();
 * frames$.subscribe(() => link.seen());
 */
export class LinkWatchdog {
  private lastSeen = 0;
  private timer: TimerHandle | null = null;
  private isUp = false;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onLost: (silentMs: number) => void,
  ) {}

  /** Starts watching, counting from now. */
  start(): void {
    this.running = true;
    this.lastSeen = this.clock.now();
    this.isUp = true;
    this.arm(this.timeoutMs);
  }

  /** Records a frame. Returns true when this frame brings a lost link back. */
  seen(): boolean {
    if (!this.running) return false;
    this.lastSeen = this.clock.now();
    if (this.isUp) return false;
    this.isUp = true;
    this.arm(this.timeoutMs);
    return true;
  }

  get up(): boolean {
    return this.isUp;
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.isUp = false;
  }

  private arm(ms: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = null;
    const silentMs = this.clock.now() - this.lastSeen;
    if (silentMs < this.timeoutMs) {
      this.arm(this.timeoutMs - silentMs);
      return;
    }
    this.isUp = false;
    this.onLost(silentMs);
  }
}
