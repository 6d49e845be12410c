/**
 * Reading a maneuver snapshot: its outcome class and a flat state name, for the runner,
 * the journal and the console.
 */
export type OutcomeKind = 'running' | 'completed' | 'aborted' | 'failsafe' | 'not-started' | 'cancelled';

/** Dotted name of a state value: `active.incremental.dwelling`. */
export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
    return child === undefined ? key : `${key}.${stateName(child)}`;
  }
  return String(value);
}

/** The outcome class of a state name. */
export function outcomeOf(state: string): OutcomeKind {
  const top = state.split('.')[0];
  switch (top) {
    case 'completed':
    case 'finished':
      return 'completed';
    case 'aborted':
      return 'aborted';
    case 'failsafe':
    case 'halted':
      return 'failsafe';
    case 'notStarted':
      return 'not-started';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'running';
  }
}

