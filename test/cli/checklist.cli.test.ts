import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKLIST_IDS } from '../../machines/index.js';
import { askChecklist, parseChecklistFlag } from '../../src/cli/checklist.js';
import { assertBuilt, runCli } from '../support/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rmseq-checklist-'));
const header = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'session-start');

beforeAll(() => assertBuilt());

describe('rmseq run: the operator checklist', () => {
  it('refuses a wall-clock run without the checklist, naming every unconfirmed item (exit 5, nothing changed)', async () => {
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--speed', '50', '--json'], { input: '' });
    expect(r.code).toBe(5);
    const result = JSON.parse(r.stdout);
    expect(result.outcome).toBe('not-started');
    const issue = result.preconditionIssues.find((i: { code: string }) => i.code === 'checklist-not-confirmed');
    expect(issue.severity).toBe('block');
    for (const id of CHECKLIST_IDS) expect(issue.message).toContain(id);
    expect(result.steps).toEqual([]);
    expect(r.stderr).toMatch(/--confirm-checklist/);
  }, 20_000);

  it('runs with --confirm-checklist all, and the journal records who confirmed which items and when', async () => {
    const journal = join(tmp(), 'j.jsonl');
    const before = Date.now();
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--speed', '50', '--json', '--confirm-checklist', 'all', '--journal', journal], { input: '' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outcome).toBe('completed');
    const h = header(journal);
    expect(h.checklist.items).toEqual([...CHECKLIST_IDS]);
    expect(typeof h.checklist.by === 'string' || h.checklist.by === null).toBe(true);
    expect(Date.parse(h.checklist.at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(h.checklist.at)).toBeLessThanOrEqual(Date.now());
  }, 20_000);

  it('a partial --confirm-checklist names only the missing items', async () => {
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--speed', '50', '--json', '--confirm-checklist', 'sedation,no-pneumothorax,no-raised-icp'], { input: '' });
    expect(r.code).toBe(5);
    const issue = JSON.parse(r.stdout).preconditionIssues.find((i: { code: string }) => i.code === 'checklist-not-confirmed');
    expect(issue.message).toContain('stable-vasopressors');
    expect(issue.message).not.toContain('sedation');
  }, 20_000);

  it('virtual-clock simulator runs need no checklist; one given is checked and journaled all the same', async () => {
    const free = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--json']);
    expect(free.code).toBe(0);
    const journal = join(tmp(), 'v.jsonl');
    const partial = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--json', '--confirm-checklist', 'sedation', '--journal', journal]);
    expect(partial.code).toBe(5);
    expect(header(journal).checklist.items).toEqual(['sedation']);
  }, 20_000);

  describe('bad --confirm-checklist input exits 2', () => {
    it.each([
      [['--confirm-checklist', 'sedation,foo'], /--confirm-checklist = "sedation,foo": unknown item "foo"; allowed: all, sedation, no-pneumothorax, no-raised-icp, stable-vasopressors/],
      [['--confirm-checklist', ''], /--confirm-checklist = "": /],
      [['--confirm-checklist', 'sedation,,no-raised-icp'], /--confirm-checklist = "sedation,,no-raised-icp": empty item/],
      [['--confirm-checklist', 'all,sedation'], /"all" stands alone/],
    ])('bad input %j: exit 2 before anything starts', async (extra, message) => {
      const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--speed', '50', ...extra], { input: '' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  });
});

describe('checklist flag and prompt (unit)', () => {
  it('parses ids in any order, duplicates once, into checklist order', () => {
    expect(parseChecklistFlag('stable-vasopressors,sedation,sedation')).toEqual(['sedation', 'stable-vasopressors']);
    expect(parseChecklistFlag(' all ')).toEqual([...CHECKLIST_IDS]);
  });

  it('asks one line per item; y/yes confirm, n/no do not, anything else asks again', async () => {
    const lines = new Subject<string>();
    let out = '';
    const answers = askChecklist(lines, (s) => (out += s));
    const feed = ['y', 'maybe', 'yes', 'n', 'Y'];
    for (const l of feed) {
      await Promise.resolve();
      lines.next(l);
    }
    await expect(answers).resolves.toEqual(['sedation', 'no-pneumothorax', 'stable-vasopressors']);
    expect(out).toMatch(/pneumothorax/);
    expect(out).toMatch(/answer y or n/);
    expect(out).toMatch(/not confirmed: no-raised-icp/);
  });

  it('an ended input confirms nothing more', async () => {
    const lines = new Subject<string>();
    const answers = askChecklist(lines, () => undefined);
    await Promise.resolve();
    lines.next('y');
    lines.complete();
    await expect(answers).resolves.toEqual(['sedation']);
  });
});
