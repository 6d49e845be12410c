/** Process exit codes of `rmseq` (documented in the README). */
import type { OutcomeKind } from '../../machines/outcome.js';

export const EXIT = {
  /** Maneuver completed; the resulting settings are verified. */
  completed: 0,
  /** Internal error (a bug): the baseline was restored if a maneuver was running. */
  internal: 1,
  /** Bad input (flags, files, configuration): nothing was started. */
  badInput: 2,
  /** Maneuver aborted by a guard, a fault or the operator; baseline restored and verified. */
  aborted: 3,
  /** Failsafe: the baseline could not be verified. A person must check the ventilator. */
  failsafe: 4,
  /** Preconditions not met (or cancelled before the start): nothing was changed. */
  notStarted: 5,
  /** Replay found different decisions. */
  replayMismatch: 6,
} as const;

export function exitCodeFor(outcome: OutcomeKind): number {
  switch (outcome) {
    case 'completed':
      return EXIT.completed;
    case 'aborted':
      return EXIT.aborted;
    case 'failsafe':
      return EXIT.failsafe;
    case 'not-started':
    case 'cancelled':
      return EXIT.notStarted;
    case 'running':
      return EXIT.internal;
  }
}

/** An error that should end the process with a given code and a plain message (no stack). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
