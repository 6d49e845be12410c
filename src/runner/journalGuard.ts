/**
 * A maneuver must not go on unrecorded: when the journal cannot be written (disk full, I/O
 * error) the session gets one `journal-failure` fault, so the machine aborts once, restores
 * and verifies the baseline. The journal reports its failure once and writes nothing after it,
 * so there is no storm of faults or restores.
 */
import type { Journal, JournalFailure } from '../journal/journal.js';
import type { Session } from './session.js';

/** The operator-facing sentence for a journal failure. */
export function describeJournalFailure(path: string, f: JournalFailure): string {
  const why = f.message.startsWith(f.code) ? f.message : `${f.code}: ${f.message}`;
  const kept = f.line <= 1 ? 'nothing of this session was recorded' : `nothing after line ${f.line - 1} was recorded`;
  return `journal ${path} is incomplete: writing line ${f.line} failed (${why}); ${kept}. Free the disk or choose another journal before the next maneuver`;
}

/** Wires `journal`'s failure to `session`; returns the function that unwires it. */
export function guardJournal(journal: Journal, session: Session): () => void {
  let active = true;
  journal.onFailure((f) => {
    if (!active) return;
    const message = describeJournalFailure(journal.path, f);
    // Deferred onto the session clock: the failure surfaces inside a telemetry emission, and the
    // machine must not be re-entered from its own event handling.
    session.clock.setTimeout(() => {
      session.alarm('high', message);
      session.injectFault('journal-failure', message);
    }, 0);
  });
  return () => {
    active = false;
  };
}
