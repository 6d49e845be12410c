/**
 * The head file beside a journal (`<journal>.head`): the number of the last line written and
 * its link, rewritten (atomically, by rename) after every line. A journal cut at its end
 * still has a valid chain; against its head file it does not. With a key the head carries an
 * HMAC, so it cannot be rewritten to match a cut journal without the key.
 */
import { renameSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { headFileOf, type HeadAnchor } from './chain.js';

const HeadSchema = z.object({ line: z.number().int().min(1), head: z.string().regex(/^[0-9a-f]{64}$/), mac: z.string().optional() }).strict();

const macOf = (a: HeadAnchor, key: Buffer): string => createHmac('sha256', key).update(`head:${a.line}:${a.head}`).digest('hex');

/** Records the journal's last line and link. */
export function writeHead(journalPath: string, a: HeadAnchor, key?: Buffer): void {
  const file = headFileOf(journalPath);
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ ...a, ...(key ? { mac: macOf(a, key) } : {}) })}\n`);
  renameSync(`${file}.tmp`, file);
}

export type HeadState = { anchor: HeadAnchor; problem: null; altered?: false } | { anchor: null; problem: string; altered?: boolean };

/**
 * The head a journal's writer recorded, or why there is none to check against.
 *
 * @example
 * const h = readHead('bed4.jsonl'); if (h.anchor) verifyChain(text, key, h.anchor);
 */
export function readHead(journalPath: string, key?: Buffer): HeadState {
  const file = headFileOf(journalPath);
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > 1024) return { anchor: null, problem: `${file} is not a head file` };
    const parsed = HeadSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) return { anchor: null, problem: `${file} is not a valid head file` };
    const a = { line: parsed.data.line, head: parsed.data.head };
    if (key && parsed.data.mac !== macOf(a, key)) return { anchor: null, problem: `${file} does not carry this key's MAC (altered, or another key)`, altered: true };
    return { anchor: a, problem: null };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { anchor: null, problem: code === 'ENOENT' ? `no head file ${file}: a cut at the end of the journal cannot be detected` : `${file} cannot be read` };
  }
}
