/**
 * The journal's hash chain, on a real journal from a simulated run: any single-byte edit of
 * any line is detected, and so are edits of the header, thresholds, timestamps, line order,
 * appended garbage and deleted lines; a torn last line is named as such.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyChain, sealLine } from '../../src/journal/chain.js';
import { Journal } from '../../src/journal/journal.js';
import { integrityOf, readJournal } from '../../src/journal/read.js';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'rmseq-chain-'));
const quiet = { stdout: () => undefined, stderr: () => undefined, isTTY: false };
let journalText = '';

beforeAll(async () => {
  const path = join(dir, 'run.jsonl');
  const protocol = join(dir, 'short.json');
  // assessS 10: with 0 the final step has no reading of its own and its lung-protective check
  // reads the previous step's (the re-recruitment at PEEP 20 / peak 35, plateau ~34), an abort.
  writeFileSync(protocol, JSON.stringify({ maneuver: 'staircase', incrementalPeepsCmH2O: [20], incrementalDwellS: 30, decremental: { startPeepCmH2O: 20, floorPeepCmH2O: 15, stepCmH2O: 5, dwellS: 60 }, reRecruit: { peepCmH2O: 20, dwellS: 30 }, assessS: 10, measureWindowS: 10 }));
  expect(await main(['run', 'staircase', '--patient', 'moderate-ards', '--protocol', protocol, '--journal', path, '--json'], quiet)).toBe(0);
  journalText = readFileSync(path, 'utf8');
}, 60_000);

const lines = (): string[] => journalText.trimEnd().split('\n');
const withLines = (ls: string[]): string => `${ls.join('\n')}\n`;
const editField = (line: string, from: RegExp, to: string): string => {
  const out = line.replace(from, to);
  expect(out).not.toBe(line);
  return out;
};

describe('journal hash chain', () => {
  it('a journal from a simulated run verifies, line by line', () => {
    const r = verifyChain(journalText);
    expect(r.intact).toBe(true);
    expect(r.verifiedLines).toBe(lines().length);
    expect(r.torn).toEqual([]);
  });

  it('any single-byte edit of any line is detected', () => {
    const bytes = Buffer.from(journalText, 'utf8');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const edited = Buffer.from(bytes);
        edited[at] = (edited[at]! + delta) % 256;
        const r = verifyChain(edited.toString('utf8'));
        expect(r.intact, `byte ${at} changed by ${delta}`).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('detects edits of the header, thresholds, timestamps, line order, appended garbage and deleted lines', () => {
    const ls = lines();
    const cases: [string, string, number][] = [
      ['header', withLines([editField(ls[0]!, /"maneuver":"staircase"/, '"maneuver":"staircase" '), ...ls.slice(1)]), 1],
      ['threshold', withLines([editField(ls[0]!, /"spo2FloorPct":\d+/, '"spo2FloorPct":70'), ...ls.slice(1)]), 1],
      ['timestamp', withLines([ls[0]!, editField(ls[1]!, /"time":"[^"]+"/, '"time":"2020-01-01T00:00:00.000Z"'), ...ls.slice(2)]), 2],
      ['line order', withLines([ls[0]!, ls[2]!, ls[1]!, ...ls.slice(3)]), 2],
      ['deleted line', withLines([ls[0]!, ...ls.slice(2)]), 2],
      ['appended garbage', `${journalText}garbage\n`, ls.length + 1],
      ['appended line of another chain', `${journalText}${ls[1]}\n`, ls.length + 1],
    ];
    for (const [what, text, line] of cases) {
      const r = verifyChain(text);
      expect(r.intact, what).toBe(false);
      expect(r.broken?.line, what).toBe(line);
    }
  });

  it('names a torn last line (a crash mid-write) without calling it an edit', () => {
    const cut = journalText.slice(0, journalText.length - 40);
    const r = verifyChain(cut);
    expect(r.intact).toBe(true);
    expect(r.tornTail?.line).toBe(lines().length);
    expect(r.torn).toEqual([lines().length]);
  });

  it('a writer appending after a torn line accounts for it: the chain continues across sessions', () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, journalText.slice(0, journalText.length - 40));
    const j = Journal.open(path);
    j.write('note', { message: 'next session' });
    j.close();
    const text = readFileSync(path, 'utf8');
    const r = verifyChain(text);
    expect(r.intact).toBe(true);
    expect(r.torn).toEqual([lines().length]);
    expect(text).toMatch(/"event":"journal-resumed"/);
    // A torn-looking line nobody accounted for, in the middle, is an edit.
    const forged = text.replace(/\n[^\n]*"event":"journal-resumed"[^\n]*\n/, '\n');
    expect(verifyChain(forged).intact).toBe(false);
  });

  it('with a key the chain is an HMAC: checked without the key or with another key it does not verify', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const path = join(dir, 'keyed.jsonl');
    const j = Journal.open(path, { key });
    j.write('note', { a: 1 });
    j.write('note', { a: 2 });
    j.close();
    const text = readFileSync(path, 'utf8');
    expect(verifyChain(text, key).intact).toBe(true);
    expect(verifyChain(text).intact).toBe(false);
    expect(verifyChain(text, Buffer.from('another key, sixteen bytes or more')).intact).toBe(false);
    // Re-chaining an edited line without the key cannot produce the keyed links.
    const [first, second] = text.trimEnd().split('\n');
    const c = JSON.parse(second!) as Record<string, unknown>;
    delete c['chain'];
    c['a'] = 3;
    const prev = /"chain":"([0-9a-f]{64})"/.exec(first!)![1]!;
    expect(verifyChain(`${first}\n${sealLine(c, prev).text}\n`, key).intact).toBe(false);
  });

  it('readJournal reports a broken chain and the line', () => {
    const path = join(dir, 'broken.jsonl');
    writeFileSync(path, journalText.replace('"event":"state"', '"event":"state" '));
    const j = readJournal(path);
    expect(j.integrity.problem).toMatch(/hash chain broken at line \d+/);
    appendFileSync(path, '');
  });
});

describe('journal head file', () => {
  it('a cut at the end of the journal (last lines deleted) is detected against the head file', () => {
    const path = join(dir, 'cut.jsonl');
    const j = Journal.open(path);
    for (let i = 0; i < 5; i++) j.write('note', { i });
    j.close();
    const text = readFileSync(path, 'utf8');
    expect(integrityOf(text, undefined, path).problem).toBeNull();
    const cut = `${text.trimEnd().split('\n').slice(0, 4).join('\n')}\n`;
    writeFileSync(path, cut);
    expect(verifyChain(cut).intact).toBe(true); // the chain alone cannot see it
    expect(integrityOf(cut, undefined, path).problem).toMatch(/ends at line 4, but its head file records 5 lines/);
    expect(() => Journal.open(path)).toThrow(/refusing to append/);
  });

  it('with a key, a head file rewritten without the key is detected', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const path = join(dir, 'cut-keyed.jsonl');
    const j = Journal.open(path, { key });
    for (let i = 0; i < 3; i++) j.write('note', { i });
    j.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${lines.slice(0, 2).join('\n')}\n`);
    writeFileSync(`${path}.head`, JSON.stringify({ line: 2, head: /"chain":"([0-9a-f]{64})"/.exec(lines[1]!)![1] }));
    expect(integrityOf(readFileSync(path, 'utf8'), key, path).problem).toMatch(/head file was altered/);
  });
});
