/**
 * `rmseq verify <journal> [--journal-key f]`: checks the journal's hash chain line by line.
 * Exit 0: intact (a torn last line, the mark of a crash mid-write, is named but accepted);
 * exit 2: unreadable, not a journal, or the chain is broken (the first broken line named).
 */
import { JournalError, MAX_JOURNAL_BYTES } from '../journal/chain.js';
import { integrityOf } from '../journal/read.js';
import { readRegularText } from '../../common/jsonInput.js';
import { isJournalStart } from '../journal/path.js';
import { CliError, EXIT } from './exitCodes.js';
import { loadJournalKey } from './journalFiles.js';
import type { RunIo } from './run.js';

export function verifyCommand(path: string, flags: { journalKey?: string; json?: boolean }, io: RunIo): number {
  const key = loadJournalKey(flags.journalKey);
  let text: string;
  try {
    text = readRegularText(path, MAX_JOURNAL_BYTES, 'journal', JournalError);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (!isJournalStart(text.slice(0, 4096))) throw new CliError(`${path} is not an rmseq journal (its first line is not a session-start of this format)`);
  const r = integrityOf(text, key, path);
  const torn = r.torn.length ? `torn line(s) ${r.torn.join(', ')}: a write cut short by a crash (not an edit)` : null;
  if (flags.json) {
    io.stdout(`${JSON.stringify({ journal: path, intact: r.intact, verifiedLines: r.verifiedLines, head: r.head, headNote: r.headNote, keyed: r.keyed, broken: r.broken, problem: r.problem, torn: r.torn }, null, 2)}\n`);
  } else if (r.problem) {
    io.stdout(`${path}: BROKEN: ${r.problem}\n  ${r.verifiedLines} line(s) before it verify${torn ? `\n  ${torn}` : ''}\n`);
  } else {
    io.stdout(`${path}: OK, ${r.verifiedLines} line(s) verified${r.keyed ? ' (HMAC-SHA256)' : ' (SHA-256)'}; head ${r.head}${torn ? `\n  note: ${torn}` : ''}${r.headNote ? `\n  note: ${r.headNote}` : ''}\n`);
  }
  return r.problem ? EXIT.badInput : EXIT.completed;
}
