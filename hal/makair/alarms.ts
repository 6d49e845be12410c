/**
 * High-priority MakAir alarms, tracked from alarm traps (events, with their priority) and from
 * the alarm codes in every settings report (state, in case a trap was lost to a bad CRC). Each
 * alarm is reported once when it becomes active and again only after it has cleared.
 *
 * Priority by code, from makair-telemetry `src/structures.rs` (`AlarmPriority::try_from`):
 * 10-19 and 40-49 high, 20-29 medium, 30-39 low.
 */
import type { AlarmTrap } from './messages.js';

/**
 * Whether an alarm code is of high priority.
 *
 * @example
 * isHighPriorityAlarmCode(12); // true (RCM-SW-12 family)
 * isHighPriorityAlarmCode(22); // false (medium)
 */
export function isHighPriorityAlarmCode(code: number): boolean {
  return (code >= 10 && code <= 19) || (code >= 40 && code <= 49);
}

/**
 * @example
 * const alarms = new HighPriorityAlarms();
 * const message = alarms.onTrap(trap); // a message when a high-priority alarm starts, else null
 */
export class HighPriorityAlarms {
  private readonly active = new Set<number>();

  /** A trap: returns a message when it starts a high-priority alarm. */
  onTrap(trap: AlarmTrap): string | null {
    if (!trap.triggered) {
      this.active.delete(trap.alarmCode);
      return null;
    }
    if (trap.alarmPriority !== 'high' || this.active.has(trap.alarmCode)) return null;
    this.active.add(trap.alarmCode);
    return `MakAir high-priority alarm ${trap.alarmCode} (expected ${trap.expected}, measured ${trap.measured})`;
  }

  /** The codes a report lists as active: returns a message per high-priority alarm that just started. */
  onCodes(codes: readonly number[]): string[] {
    for (const code of [...this.active]) if (!codes.includes(code)) this.active.delete(code);
    const started: string[] = [];
    for (const code of codes) {
      if (isHighPriorityAlarmCode(code) && !this.active.has(code)) {
        this.active.add(code);
        started.push(`MakAir high-priority alarm ${code} active`);
      }
    }
    return started;
  }

  clear(): void {
    this.active.clear();
  }
}
