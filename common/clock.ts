/**
 * The injected clock. Everything that waits (the runner's tick, device reply delays, HAL
 * timeouts, the simulated monitor) schedules on a `Clock`, so the same code runs on the wall
 * clock at the bedside and on a virtual clock in tests and batch runs.
 */

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** Milliseconds on this clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Repeats `fn` every `ms` on `clock`; returns a function that stops it. */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let handle: TimerHandle | null = null;
  let stopped = false;
  const loop = (): void => {
    if (stopped) return;
    handle = clock.setTimeout(() => {
      if (stopped) return;
      fn();
      loop();
    }, ms);
  };
  loop();
  return () => {
    stopped = true;
    if (handle) clock.clearTimeout(handle);
  };
}

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Real time for devices, --realtime and --speed runs: monotonic, so a system clock step
 * (NTP, a manual change, a VM resume) neither freezes nor shortens a step. `now()` reads
 * `performance.now()` (monotonic) from an origin taken once from the calendar clock, so the
 * numbers still read as epoch milliseconds in journals; optionally `speed` times faster than
 * real time. Node's timers are monotonic too.
 */
export class WallClock implements Clock {
  private readonly origin: number;
  private readonly monoOrigin: number;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;
  /** `monotonic` and `epochMs` are injectable for tests (defaults: performance.now, Date.now). */
  constructor(
    private readonly speed = 1,
    private readonly monotonic: () => number = () => performance.now(),
    epochMs: () => number = Date.now,
  ) {
    if (!(speed > 0)) throw new TypeError(`WallClock speed must be > 0 (got ${speed})`);
    this.origin = epochMs();
    this.monoOrigin = monotonic();
  }
  now(): number {
    return this.origin + (this.monotonic() - this.monoOrigin) * this.speed;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms / this.speed));
    this.timers.set(id, t);
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
  }
  /** Cancels every timer (used when a session closes). */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A virtual clock: time moves only when told to. Timers fire in time order (ties in the
 * order they were set). A 25-minute maneuver runs in milliseconds.
 *
 * @example
 * const clock = new VirtualClock();
 * clock.setTimeout(() => console.log(clock.now()), 1000);
 * clock.advanceBy(5000); // prints 1000
 */
export class VirtualClock implements Clock {
  private t: number;
  private nextId = 1;
  // Binary min-heap on (at, id).
  private heap: VirtualTimer[] = [];
  private cancelled = new Set<number>();

  constructor(startMs = 0) {
    this.t = startMs;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.push({ id, at: this.t + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.cancelled.add(handle.id);
  }
  /** Time of the next live timer, or null when none is scheduled. */
  nextAt(): number | null {
    this.dropCancelled();
    return this.heap[0]?.at ?? null;
  }
  /** Runs the next timer (moving time to it). Returns false when no timer is left. */
  runNext(): boolean {
    this.dropCancelled();
    const timer = this.pop();
    if (!timer) return false;
    this.t = Math.max(this.t, timer.at);
    timer.fn();
    return true;
  }
  /** Runs every timer due up to `t`, then sets the time to `t`. */
  advanceTo(t: number): void {
    for (;;) {
      const at = this.nextAt();
      if (at === null || at > t) break;
      this.runNext();
    }
    this.t = Math.max(this.t, t);
  }
  advanceBy(ms: number): void {
    this.advanceTo(this.t + ms);
  }
  /** Number of live timers. */
  pending(): number {
    return this.heap.filter((h) => !this.cancelled.has(h.id)).length;
  }

  private dropCancelled(): void {
    while (this.heap.length && this.cancelled.has(this.heap[0]!.id)) {
      this.cancelled.delete(this.heap[0]!.id);
      this.pop();
    }
  }
  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.at < b.at || (a.at === b.at && a.id < b.id);
  }
  private push(timer: VirtualTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
