/**
 * Which recorded steps ran. The machine records the step an abort interrupts, measured so
 * far; when the abort came before its settings were verified (a guided instruction not yet
 * carried out, say) the step never ran: its record is zero-length, and its "measurements"
 * are the previous step's. Tables list only the steps that ran and name the other apart.
 */
import type { StepRecord } from '../../machines/types.js';

/** A record of a step that was interrupted before it started (zero-length, aborted). */
export function neverRan(s: StepRecord): boolean {
  return s.aborted === true && s.endedAt <= s.startedAt;
}

/** The steps that ran, and the one (if any) the abort caught before it started. */
export function stepsThatRan(steps: readonly StepRecord[]): { ran: StepRecord[]; notStarted: StepRecord | null } {
  const ran = steps.filter((s) => !neverRan(s));
  const notStarted = steps.find(neverRan) ?? null;
  return { ran, notStarted };
}
