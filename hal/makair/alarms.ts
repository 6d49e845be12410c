/**
 * MakAir alarms and what each one does to a maneuver, tracked from alarm traps (events, with
 * their priority) and from the alarm codes in every settings report (state, in case a trap was
 * lost to a bad CRC). An alarm that aborts is reported once when it becomes active and again
 * only after it has cleared.
 *
 * Codes, names and priorities: makair-firmware `includes/alarm_controller.h` (RCM-SW-n) and
 * makair-telemetry `src/alarm.rs` / `src/structures.rs` (10-19 and 40-49 high, 20-29 medium,
 * 30-39 low). The policy (docs/protocols/makair.md, "Alarm policy"):
 *
 * - `grace-after-step`: "plateau not reached" (12) and "PEEP not reached" (14). The firmware
 *   compares each breath's measured plateau / PEEP with the command (plateau within ±20 %, PEEP
 *   within ±2 cmH2O, `checkCycleAlarm`), and a step changes the command before the pressure has
 *   ramped to it: on a MakAir the plateau took three breaths (181 -> 248 -> 313 mmH2O) and the
 *   alarm fired meanwhile. After a PEEP or plateau step these two are expected for
 *   `STEP_GRACE.breaths` machine state snapshots (the breath in progress and three at the new
 *   settings) and never longer than `STEP_GRACE.maxMs` after each was first seen: still active
 *   when the grace ends, they abort. Without a recent step they abort at once.
 * - `abort`: every other high-priority alarm (patient unplugged, battery very low, pressure too
 *   high, minute volume, rate, leak, tidal volume, peak pressure): nothing in a pressure step
 *   explains them.
 * - `report-only`: medium and low priority (their high-priority counterparts carry the abort).
 */
import type { AlarmTrap } from './messages.js';

export type AlarmAction = 'abort' | 'grace-after-step' | 'report-only';

export interface AlarmPolicyEntry {
  /** Firmware requirement id (RCM-SW-n). */
  rcm: string;
  name: string;
  priority: 'high' | 'medium' | 'low';
  action: AlarmAction;
}

const entry = (rcm: string, name: string, priority: AlarmPolicyEntry['priority'], action: AlarmAction): AlarmPolicyEntry => ({ rcm, name, priority, action });

/** Every alarm code the firmware defines, by code. */
export const ALARM_POLICY: ReadonlyMap<number, AlarmPolicyEntry> = new Map([
  [11, entry('RCM-SW-2', 'patient unplugged', 'high', 'abort')],
  [12, entry('RCM-SW-1', 'plateau pressure not reached', 'high', 'grace-after-step')],
  [13, entry('RCM-SW-12', 'battery very low', 'high', 'abort')],
  [14, entry('RCM-SW-3', 'PEEP not reached', 'high', 'grace-after-step')],
  [17, entry('RCM-SW-18', 'pressure too high', 'high', 'abort')],
  [21, entry('RCM-SW-11', 'battery low', 'medium', 'report-only')],
  [22, entry('RCM-SW-14', 'plateau pressure not reached', 'medium', 'report-only')],
  [23, entry('RCM-SW-15', 'PEEP not reached', 'medium', 'report-only')],
  [24, entry('RCM-SW-19', 'patient unplugged', 'medium', 'report-only')],
  [31, entry('RCM-SW-16', 'mains power disconnected', 'low', 'report-only')],
  [40, entry('RCM-SW-4', 'inspiratory minute volume too low', 'high', 'abort')],
  [41, entry('RCM-SW-5', 'inspiratory minute volume too high', 'high', 'abort')],
  [42, entry('RCM-SW-6', 'expiratory minute volume too low', 'high', 'abort')],
  [43, entry('RCM-SW-7', 'expiratory minute volume too high', 'high', 'abort')],
  [44, entry('RCM-SW-8', 'respiratory rate too low', 'high', 'abort')],
  [45, entry('RCM-SW-9', 'respiratory rate too high', 'high', 'abort')],
  [46, entry('RCM-SW-10', 'leak too high', 'high', 'abort')],
  [47, entry('RCM-SW-20', 'tidal volume too low', 'high', 'abort')],
  [48, entry('RCM-SW-21', 'tidal volume too high', 'high', 'abort')],
  [49, entry('RCM-SW-22', 'peak pressure too high', 'high', 'abort')],
]);

/** How long "plateau / PEEP not reached" are expected after a pressure step. */
export const STEP_GRACE = { breaths: 4, maxMs: 45_000 } as const;

/**
 * Whether an alarm code is of high priority.
 *
 * @example
 * isHighPriorityAlarmCode(12); // true (RCM-SW-1)
 * isHighPriorityAlarmCode(22); // false (medium)
 */
export function isHighPriorityAlarmCode(code: number): boolean {
  return (code >= 10 && code <= 19) || (code >= 40 && code <= 49);
}

/** What an alarm code does: from the table, else by its priority range (an unknown high code aborts). */
export function alarmAction(code: number): AlarmAction {
  return ALARM_POLICY.get(code)?.action ?? (isHighPriorityAlarmCode(code) ? 'abort' : 'report-only');
}

const describe = (code: number): string => `MakAir high-priority alarm ${code} (${ALARM_POLICY.get(code)?.name ?? 'unknown'})`;

/**
 * @example
 * const alarms = new HighPriorityAlarms();
 * alarms.stepChanged(clock.now()); // a PEEP or plateau frame went out
 * alarms.onCodes(state.currentAlarmCodes, clock.now(), true); // messages of alarms that abort now
 * alarms.expire(clock.now()); // at a grace deadline
 */
export class HighPriorityAlarms {
  private readonly active = new Set<number>();
  /** Expected transients: code -> when first seen (the grace of each is bounded from there). */
  private readonly pending = new Map<number, number>();
  /** Machine state snapshots since the last step; null: no step yet, or its grace is over. */
  private breathsSinceStep: number | null = null;

  /** A PEEP or plateau change was sent: plateau / PEEP not reached are expected for a while. */
  stepChanged(_now: number): void {
    this.breathsSinceStep = 0;
  }

  /** A trap: returns a message when it starts an alarm that aborts now. */
  onTrap(trap: AlarmTrap, now = 0): string | null {
    const code = trap.alarmCode;
    if (!trap.triggered) {
      this.active.delete(code);
      this.pending.delete(code);
      return null;
    }
    if (trap.alarmPriority !== 'high' || this.active.has(code) || this.pending.has(code)) return null;
    if (this.inGrace(code)) {
      this.pending.set(code, now);
      return null;
    }
    this.active.add(code);
    return `${describe(code)} (expected ${trap.expected}, measured ${trap.measured})`;
  }

  /**
   * The codes a report lists as active (`breath`: a machine state snapshot, which ends a
   * breath): returns a message per alarm that aborts now.
   */
  onCodes(codes: readonly number[], now = 0, breath = false): string[] {
    for (const code of [...this.active]) if (!codes.includes(code)) this.active.delete(code);
    for (const code of [...this.pending.keys()]) if (!codes.includes(code)) this.pending.delete(code);
    if (breath && this.breathsSinceStep !== null) this.breathsSinceStep += 1;
    const out: string[] = [];
    if (this.breathsSinceStep !== null && this.breathsSinceStep > STEP_GRACE.breaths) {
      this.breathsSinceStep = null;
      for (const code of [...this.pending.keys()]) out.push(this.promote(code, `still active ${STEP_GRACE.breaths} breaths after the step change`));
    }
    for (const code of codes) {
      if (!isHighPriorityAlarmCode(code) || this.active.has(code) || this.pending.has(code)) continue;
      if (this.inGrace(code)) {
        this.pending.set(code, now);
        continue;
      }
      this.active.add(code);
      out.push(`${describe(code)} active`);
    }
    return [...out, ...this.expire(now)];
  }

  /** Expected transients seen more than `STEP_GRACE.maxMs` ago and still active: they abort now. */
  expire(now: number): string[] {
    const out: string[] = [];
    for (const [code, since] of [...this.pending]) {
      if (now - since >= STEP_GRACE.maxMs) out.push(this.promote(code, `still active ${Math.round((now - since) / 1000)} s after it started during a step change`));
    }
    return out;
  }

  /** The earliest time `expire` could report something, or null. */
  nextDeadline(): number | null {
    const since = [...this.pending.values()];
    return since.length ? Math.min(...since) + STEP_GRACE.maxMs : null;
  }

  clear(): void {
    this.active.clear();
    this.pending.clear();
    this.breathsSinceStep = null;
  }

  private inGrace(code: number): boolean {
    return alarmAction(code) === 'grace-after-step' && this.breathsSinceStep !== null && this.breathsSinceStep <= STEP_GRACE.breaths;
  }

  private promote(code: number, why: string): string {
    this.pending.delete(code);
    this.active.add(code);
    return `${describe(code)} ${why} (grace: ${STEP_GRACE.breaths} breaths, at most ${STEP_GRACE.maxMs / 1000} s)`;
  }
}
