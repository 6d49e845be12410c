/**
 * The journal as the CLI opens it: `--journal <file>` for writing (a regular file, new or an
 * intact rmseq journal), `--journal-key <file>` for the HMAC chain, and journals read back
 * by `replay`, `report`, `recover` and `verify`. Every problem is bad input (exit 2).
 */
import { readFileSync, statSync } from 'node:fs';
import { JournalError } from '../journal/chain.js';
import { Journal, type JournalOptions } from '../journal/journal.js';
import { readJournal, readJournalSessions, type ParsedJournal } from '../journal/read.js';
import { CliError } from './exitCodes.js';

export const KEY_BYTES = { min: 16, max: 4096 } as const;

/**
 * The HMAC key of `--journal-key <file>`: the file's bytes (a trailing newline dropped),
 * 16-4096 bytes, from a regular file.
 *
 * @example
 * const key = loadJournalKey(flags.journalKey); // Buffer | undefined
 */
export function loadJournalKey(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new CliError(`--journal-key = ${JSON.stringify(path)}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new CliError(`--journal-key = ${JSON.stringify(path)}: must be a regular file`);
  if (st.size > KEY_BYTES.max + 2) throw new CliError(`--journal-key = ${JSON.stringify(path)}: ${st.size} bytes; a key is ${KEY_BYTES.min}-${KEY_BYTES.max} bytes`);
  let key = readFileSync(path);
  while (key.length && (key[key.length - 1] === 0x0a || key[key.length - 1] === 0x0d)) key = key.subarray(0, key.length - 1);
  if (key.length < KEY_BYTES.min || key.length > KEY_BYTES.max) throw new CliError(`--journal-key = ${JSON.stringify(path)}: ${key.length} bytes; a key is ${KEY_BYTES.min}-${KEY_BYTES.max} bytes`);
  return key;
}

/**
 * Opens a journal for appending, before anything starts; a path that is not a regular file,
 * a file that is not an rmseq journal, or a journal whose chain is broken is bad input.
 *
 * @example
 * const journal = openJournalFile('--journal', 'bed4.jsonl', { durability: 'fsync' });
 */
export function openJournalFile(flag: string, path: string, options: JournalOptions): Journal {
  try {
    return Journal.open(path, options);
  } catch (e) {
    if (e instanceof JournalError) throw new CliError(`${flag} = ${JSON.stringify(path)}: ${e.message.startsWith('cannot write') ? `cannot be written: ${e.message}` : e.message}`);
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${flag} = ${JSON.stringify(path)}: cannot write journal ${path} (${code ?? (e as Error).message})`);
  }
}

/**
 * Reads a journal; an unreadable or foreign file is bad input (exit 2), and so is a broken
 * hash chain when `intact` is asked for (replay, recover).
 *
 * @example
 * const j = loadJournal('bed4.jsonl', { intact: true });
 */
export function loadJournal(path: string, options: { key?: Buffer | undefined; intact?: boolean } = {}): ParsedJournal {
  let j: ParsedJournal;
  try {
    j = readJournal(path, options.key ? { key: options.key } : {});
  } catch (e) {
    if (e instanceof JournalError) throw new CliError(e.message);
    throw e;
  }
  if (options.intact && j.integrity.problem) {
    throw new CliError(`journal ${path} cannot be trusted: ${j.integrity.problem}. Nothing was done; see rmseq verify ${path}`);
  }
  return j;
}

/**
 * Reads every session of a journal (oldest first); an unreadable or foreign file is bad input.
 *
 * @example
 * const sessions = loadJournalSessions('console.jsonl');
 */
export function loadJournalSessions(path: string, options: { key?: Buffer | undefined } = {}): ParsedJournal[] {
  try {
    return readJournalSessions(path, options.key ? { key: options.key } : {});
  } catch (e) {
    if (e instanceof JournalError) throw new CliError(e.message);
    throw e;
  }
}
