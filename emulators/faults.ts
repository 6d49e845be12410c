/**
 * Switchable faults of a device emulator, shared by the MakAir and MEDIBUS emulators: the
 * link dropped (nothing in, nothing out), a stall (nothing out for a while; what arrives is
 * handled afterwards), refusals (MakAir: acknowledged with the value kept; MEDIBUS: NAK),
 * answers that never come, and damage to outgoing frames (bad CRC/checksum, duplicated,
 * truncated), and a leak (settings acknowledged and reported as set, but the airway pressures
 * the device measures fall short by so many cmH2O). Counts are consumed one frame or command
 * at a time; durations run on the clock.
 */
import { Subject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../common/clock.js';

/** What happens to the next outgoing frame. */
export type OutgoingFault = 'none' | 'corrupt' | 'duplicate' | 'truncate';

export interface FaultStatus {
  /** The link is down: until this clock time, or `Infinity` until cleared; null when up. */
  droppedUntil: number | null;
  /** No frame goes out until this clock time; null when not stalled. */
  stalledUntil: number | null;
  /** Commands still to refuse (MakAir: ack with the value kept; MEDIBUS: NAK). */
  refuse: number;
  /** Commands still to leave unanswered (and, on the MakAir, not applied). */
  noAnswer: number;
  corrupt: number;
  duplicate: number;
  truncate: number;
  /** cmH2O the measured airway pressures (PEEP, peak, plateau) fall short of the delivered ones; 0 when no leak. */
  leakCmH2O: number;
}

/** The largest leak the switch takes, in cmH2O. */
export const MAX_LEAK_CMH2O = 30;

export type FaultChange = { kind: 'link-down' | 'link-up' | 'stall-start' | 'stall-end' | 'set' | 'cleared'; t: number; detail: string };

const count = (name: string, n: number): number => {
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new RangeError(`${name} count must be a whole number 0-1000000 (got ${n})`);
  return n;
};
const leakOf = (cmH2O: number): number => {
  if (!Number.isFinite(cmH2O) || cmH2O < 0 || cmH2O > MAX_LEAK_CMH2O) throw new RangeError(`leak must be 0-${MAX_LEAK_CMH2O} cmH2O (got ${cmH2O})`);
  return cmH2O;
};
const duration = (name: string, ms: number): number => {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new RangeError(`${name} duration must be a positive number of milliseconds (got ${ms})`);
  return ms;
};

/**
 * @example
 * emulator.faults.refuse(3);      // the next three setting changes are refused
 * emulator.faults.drop(8000);     // the cable is pulled for 8 s
 * emulator.faults.corrupt(5);     // the next five frames carry a bad CRC
 * emulator.faults.leak(8);        // settings confirmed as set, measured PEEP and peak 8 cmH2O short
 * emulator.faults.clear();
 */
export class FaultSwitches {
  private readonly changes = new Subject<FaultChange>();
  /** Link state changes and switch settings, for the emulator and its log. */
  readonly changes$: Observable<FaultChange> = this.changes.asObservable();
  private st: FaultStatus = FaultSwitches.none();
  private dropTimer: TimerHandle | null = null;
  private stallTimer: TimerHandle | null = null;

  constructor(private readonly clock: Clock) {}

  private static none(): FaultStatus {
    return { droppedUntil: null, stalledUntil: null, refuse: 0, noAnswer: 0, corrupt: 0, duplicate: 0, truncate: 0, leakCmH2O: 0 };
  }

  /** A copy of the switches. */
  status(): FaultStatus {
    return { ...this.st };
  }

  /** True while the link is down (bytes in are lost, nothing goes out). */
  get dropped(): boolean {
    return this.st.droppedUntil !== null;
  }

  /** True while the device is stalled (nothing goes out; input waits). */
  get stalled(): boolean {
    return this.st.stalledUntil !== null;
  }

  /** Pulls the cable: for `ms`, or until `clear()` / `restoreLink()` when omitted. */
  drop(ms?: number): void {
    this.cancel('drop');
    const until = ms === undefined ? Infinity : this.clock.now() + duration('drop', ms);
    const wasDown = this.dropped;
    this.st.droppedUntil = until;
    if (ms !== undefined) this.dropTimer = this.clock.setTimeout(() => this.restoreLink(), ms);
    if (!wasDown) this.emit('link-down', ms === undefined ? 'link dropped until cleared' : `link dropped for ${ms / 1000} s`);
  }

  /** Plugs the cable back in. */
  restoreLink(): void {
    this.cancel('drop');
    if (!this.dropped) return;
    this.st.droppedUntil = null;
    this.emit('link-up', 'link restored');
  }

  /** Nothing goes out for `ms`; input arriving meanwhile is handled when the stall ends. */
  stall(ms: number): void {
    this.cancel('stall');
    this.st.stalledUntil = this.clock.now() + duration('stall', ms);
    this.stallTimer = this.clock.setTimeout(() => this.endStall(), ms);
    this.emit('stall-start', `stalled for ${ms / 1000} s`);
  }

  refuse(n: number): void {
    this.st.refuse = count('refuse', n);
    this.emit('set', `refuse the next ${n} command(s)`);
  }

  noAnswer(n: number): void {
    this.st.noAnswer = count('no-answer', n);
    this.emit('set', `leave the next ${n} command(s) unanswered`);
  }

  corrupt(n: number): void {
    this.st.corrupt = count('corrupt', n);
    this.emit('set', `corrupt the CRC/checksum of the next ${n} frame(s)`);
  }

  duplicate(n: number): void {
    this.st.duplicate = count('duplicate', n);
    this.emit('set', `send the next ${n} frame(s) twice`);
  }

  truncate(n: number): void {
    this.st.truncate = count('truncate', n);
    this.emit('set', `truncate the next ${n} frame(s)`);
  }

  /**
   * The device leaks `cmH2O` (0 ends it): it acknowledges and reports the settings as set, but
   * the PEEP, peak and plateau it measures (and sends) are that much lower, never below 0.
   */
  leak(cmH2O: number): void {
    this.st.leakCmH2O = leakOf(cmH2O);
    this.emit('set', cmH2O === 0 ? 'no leak' : `leak of ${cmH2O} cmH2O: measured pressures ${cmH2O} cmH2O short of the delivered ones`);
  }

  /** cmH2O the measured airway pressures fall short by (0: no leak). */
  get leakCmH2O(): number {
    return this.st.leakCmH2O;
  }

  /** Every switch off (the leak too); a dropped link comes back and a stall ends now. */
  clear(): void {
    const wasDown = this.dropped;
    const wasStalled = this.stalled;
    this.cancel('drop');
    this.cancel('stall');
    this.st = FaultSwitches.none();
    if (wasDown) this.emit('link-up', 'link restored');
    if (wasStalled) this.emit('stall-end', 'stall ended');
    this.emit('cleared', 'all faults cleared');
  }

  /** Consumes one refusal, if any is armed. */
  takeRefusal(): boolean {
    if (this.st.refuse <= 0) return false;
    this.st.refuse--;
    return true;
  }

  /** Consumes one unanswered command, if any is armed. */
  takeNoAnswer(): boolean {
    if (this.st.noAnswer <= 0) return false;
    this.st.noAnswer--;
    return true;
  }

  /** What to do with the next outgoing frame (consumes one of the armed counts). */
  takeOutgoing(): OutgoingFault {
    if (this.st.corrupt > 0) {
      this.st.corrupt--;
      return 'corrupt';
    }
    if (this.st.truncate > 0) {
      this.st.truncate--;
      return 'truncate';
    }
    if (this.st.duplicate > 0) {
      this.st.duplicate--;
      return 'duplicate';
    }
    return 'none';
  }

  /** Stops the timers and completes `changes$`. */
  dispose(): void {
    this.cancel('drop');
    this.cancel('stall');
    this.changes.complete();
  }

  private endStall(): void {
    this.cancel('stall');
    if (!this.stalled) return;
    this.st.stalledUntil = null;
    this.emit('stall-end', 'stall ended');
  }

  private cancel(which: 'drop' | 'stall'): void {
    const t = which === 'drop' ? this.dropTimer : this.stallTimer;
    if (t) this.clock.clearTimeout(t);
    if (which === 'drop') this.dropTimer = null;
    else this.stallTimer = null;
  }

  private emit(kind: FaultChange['kind'], detail: string): void {
    this.changes.next({ kind, t: this.clock.now(), detail });
  }
}
