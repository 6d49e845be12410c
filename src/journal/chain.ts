/**
 * The journal's hash chain. Every line is the JSON object the writer serialized, with one
 * last field added: `"chain":"<64 hex>"`, the link. The link is SHA-256 (or HMAC-SHA256 with
 * a key) over the previous line's link, a newline, and the exact bytes of the line without
 * that last field. The first line of a file chains from GENESIS. So any edit of any byte,
 * a reordered, inserted or deleted line, or appended garbage breaks the chain at the first
 * line it touches. A cut after the last line would leave an intact prefix: the writer also
 * keeps the last line number and its link in `<journal>.head`, which catches it (someone
 * who edits both files can still cut, so verify prints the head link to record elsewhere).
 *
 * A crash can tear the last line (a write cut short): a last line without its newline that
 * is a prefix of a journal line is named "torn", not "broken". A writer that later appends
 * to such a file first records the torn fragment's hash in a `journal-resumed` line, so the
 * fragment stays accounted for inside the chain.
 */
import { createHash, createHmac } from 'node:crypto';

export const JOURNAL_FORMAT = 'rm-sequencer-journal/2';
export const GENESIS = '0'.repeat(64);
/** Every line starts with this (the writer puts `time` first). */
export const LINE_PREFIX = '{"time":"';
/** The longest line a journal may hold (a header carries a protocol and a patient profile). */
export const MAX_LINE_BYTES = 1024 * 1024;
/** The largest journal file that is read back. */
export const MAX_JOURNAL_BYTES = 512 * 1024 * 1024;

const SUFFIX = /,"chain":"([0-9a-f]{64})"\}$/;

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

/** The link of `content` (a line without its chain field) after `prev`. */
export function linkOf(prev: string, content: string, key?: Buffer): string {
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  return h.update(prev).update('\n').update(content).digest('hex');
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/**
 * Serializes one journal line (without newline), chained after `prev`.
 *
 * @example
 * const { text, link } = sealLine({ time, line: 1, event: 'session-start' }, GENESIS);
 */
export function sealLine(record: Record<string, unknown>, prev: string, key?: Buffer): { text: string; link: string } {
  const content = JSON.stringify(record);
  const link = linkOf(prev, content, key);
  return { text: `${content.slice(0, -1)},"chain":"${link}"}`, link };
}

/** One line's content and link, or null when the line does not end in a chain field. */
export function splitLine(text: string): { content: string; link: string } | null {
  const m = SUFFIX.exec(text);
  if (!m) return null;
  return { content: `${text.slice(0, m.index)}}`, link: m[1]! };
}

export interface ChainReport {
  /** Every line present is chained and unaltered (a torn last line aside). */
  intact: boolean;
  /** Complete lines whose link verified. */
  verifiedLines: number;
  /** The link of the last verified line: the journal's head. */
  head: string;
  /** The first line (1-based, in the file) where the chain breaks, and why. */
  broken: { line: number; reason: string } | null;
  /** Torn lines (a crash cut a write short): the last one, or ones a later writer accounted for. */
  torn: number[];
  /** The last line is torn (a later writer must account for it before appending). */
  tornTail: { line: number; text: string } | null;
  keyed: boolean;
}

/**
 * Whether `s` can be a line cut short by a crash: a prefix of a journal line. It starts like
 * one, and nothing follows its chain field (a complete line is accepted only if its link holds).
 */
function looksTorn(s: string, prev: string, key: Buffer | undefined): boolean {
  if (s.length >= MAX_LINE_BYTES || !(s.startsWith(LINE_PREFIX) || LINE_PREFIX.startsWith(s))) return false;
  const k = s.lastIndexOf(',"chain":"');
  if (k < 0) return true;
  const rest = s.slice(k);
  if (/^,"chain":"[0-9a-f]{0,64}"?$/.test(rest)) return true;
  const parts = splitLine(s);
  return parts !== null && linkOf(prev, parts.content, key) === parts.link;
}

/**
 * Checks the chain of a whole journal text. `key` is the HMAC key the journal was written
 * with (a keyed journal checked without its key is reported broken at its first line).
 *
 * @example
 * const r = verifyChain(readFileSync('j.jsonl', 'utf8'));
 * if (!r.intact) console.log(`broken at line ${r.broken!.line}: ${r.broken!.reason}`);
 */
export function verifyChain(text: string, key?: Buffer, anchor?: HeadAnchor | null): ChainReport {
  const segments = text.split('\n');
  const endsWithNewline = segments[segments.length - 1] === '';
  if (endsWithNewline) segments.pop();
  let prev = GENESIS;
  const torn: number[] = [];
  const report = (broken: ChainReport['broken'], tornTail: ChainReport['tornTail'] = null, verified = 0): ChainReport => ({
    intact: broken === null,
    verifiedLines: verified,
    head: prev,
    broken,
    torn,
    tornTail,
    keyed: Boolean(key),
  });
  let verified = 0;
  const chained = (i: number): { content: string; link: string } | null => {
    const parts = splitLine(segments[i]!);
    const complete = i < segments.length - 1 || endsWithNewline;
    return parts && complete && linkOf(prev, parts.content, key) === parts.link ? parts : null;
  };
  for (let i = 0; i < segments.length; i++) {
    const n = i + 1;
    const s = segments[i]!;
    const ok = chained(i);
    if (ok) {
      if (anchor && n === anchor.line && ok.link !== anchor.head) {
        return report({ line: n, reason: `the line does not end in the link the head file records for it (lines replaced or deleted at the end)` }, null, verified);
      }
      prev = ok.link;
      verified++;
      continue;
    }
    const last = i === segments.length - 1;
    if (last && !endsWithNewline && looksTorn(s, prev, key)) {
      torn.push(n);
      return report(null, { line: n, text: s }, verified);
    }
    if (!last && looksTorn(s, prev, key)) {
      // A torn line inside the file is accepted only when the next line is the writer's record of it.
      const next = chained(i + 1);
      if (next && resumes(next.content, s, n)) {
        torn.push(n);
        continue;
      }
    }
    const reason = !splitLine(s)
      ? 'the line does not end in a chain link (edited, inserted, or not written by rmseq)'
      : verified === 0 && i === 0 && key
        ? 'the link does not match: the line was altered, or the key is not the one the journal was written with'
        : 'the link does not match the line and the line before it (altered, reordered, inserted, or a line before it deleted)';
    return report({ line: n, reason }, null, verified);
  }
  if (anchor && segments.length < anchor.line) {
    return report({ line: segments.length + 1, reason: `the journal ends at line ${segments.length}, but its head file records ${anchor.line} lines (lines deleted at the end)` }, null, verified);
  }
  return report(null, null, verified);
}

/** What a writer records beside the journal (`<journal>.head`) after every line: the last line and its link. */
export interface HeadAnchor {
  line: number;
  head: string;
}

export const headFileOf = (journalPath: string): string => `${journalPath}.head`;

function resumes(content: string, fragment: string, line: number): boolean {
  try {
    const r = JSON.parse(content) as { event?: unknown; torn?: { line?: unknown; sha256?: unknown } };
    return r.event === 'journal-resumed' && r.torn?.line === line && r.torn?.sha256 === sha256(fragment);
  } catch {
    return false;
  }
}
