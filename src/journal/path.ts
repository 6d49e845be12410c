/**
 * What `--journal <file>` may name: a regular file that is new (or empty), or an intact
 * journal of this tool, recognised by its first line (a `session-start` of a known format).
 * Nothing but a regular file is ever read (a device such as /dev/full or /dev/zero would
 * hang or never end), and nothing is appended to a file that is not a journal (a patient
 * profile, a protocol).
 */
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { GENESIS, JOURNAL_FORMAT, JournalError, LINE_PREFIX, MAX_JOURNAL_BYTES, verifyChain, type ChainReport } from './chain.js';
import { readRegularText } from '../../common/jsonInput.js';
import { readHead } from './head.js';

export interface JournalFileState {
  /** Lines already in the file (the next line written is lines + 1). */
  lines: number;
  /** The link the next line chains from. */
  head: string;
  tornTail: ChainReport['tornTail'];
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The first bytes of a regular file (bounded: never reads the whole of a large file). */
function firstBytes(path: string, n: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a journal path before anything is written: returns where the chain continues, or
 * throws a `JournalError` naming the problem.
 *
 * @example
 * inspectJournalPath('/dev/full'); // throws: /dev/full is a character device, not a regular file
 */
export function inspectJournalPath(path: string, key?: Buffer): JournalFileState {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return probeNew(path);
    throw new JournalError(`cannot write journal ${path}: ${code ?? (e as Error).message}`);
  }
  if (!st.isFile()) throw new JournalError(`journal ${path} is ${kindOf(st)}: the journal must be a regular file, new or written by rmseq`);
  if (st.size === 0) return probeNew(path);
  if (st.size > MAX_JOURNAL_BYTES) throw new JournalError(`journal ${path} is ${st.size} bytes, over the limit of ${MAX_JOURNAL_BYTES}: start a new journal`);
  const head = firstBytes(path, 4096);
  if (!isJournalStart(head)) {
    throw new JournalError(`${path} exists and is not an rmseq journal (its first line is not a session-start of format ${JOURNAL_FORMAT}): refusing to append to it; name a new file`);
  }
  const text = readRegularText(path, MAX_JOURNAL_BYTES, 'journal', JournalError);
  const r = verifyChain(text, key, readHead(path, key).anchor);
  if (r.broken) {
    throw new JournalError(`journal ${path}: hash chain broken at line ${r.broken.line} (${r.broken.reason}); refusing to append. Check it with rmseq verify${key ? ' --journal-key' : ''}; start a new journal`);
  }
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return { lines, head: r.head, tornTail: r.tornTail };
}

/** Whether a file's first line is a session-start of this tool's format (a prefix is enough). */
export function isJournalStart(head: string): boolean {
  if (!head.startsWith(LINE_PREFIX)) return false;
  const first = head.split('\n')[0]!;
  return first.includes('"event":"session-start"') && first.includes(`"format":"${JOURNAL_FORMAT}"`);
}

function probeNew(path: string): JournalFileState {
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new JournalError(`cannot write journal ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { lines: 0, head: GENESIS, tornTail: null };
}
