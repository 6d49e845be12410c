/**
 * `rmseq screen --by-hand`: the recruitability screen as a guided procedure at the terminal for a
 * ventilator that cannot drop PEEP for one breath. Each answer is validated at once (field,
 * value, range); nothing is computed before PEEP is confirmed back at the high PEEP; every wait
 * is bounded.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { recruitabilityOf, ReleaseReadingsSchema } from '../../machines/index.js';
import { askReleaseReadings } from '../../src/cli/screenByHand.js';

/** Feeds the answers one by one, each after the previous prompt was written. */
function operator(answers: (string | null)[], options: { answerTimeoutMs?: number } = {}) {
  const lines = new Subject<string>();
  let out = '';
  let i = 0;
  const feed = () => {
    if (i >= answers.length) return;
    const a = answers[i++] as string | null;
    queueMicrotask(() => (a === null ? lines.complete() : lines.next(a)));
  };
  const write = (s: string) => {
    out += s;
    if (/(\]|\?|mL|cmH2O)( \[[^\]]*\])?: $/.test(s)) feed();
  };
  const result = askReleaseReadings({ lines$: lines, write, ...options });
  return { result, out: () => out };
}

describe('the one-breath test by hand, at the terminal', () => {
  it('walks the steps, takes the defaults on Enter, computes R/I only after PEEP is confirmed back', async () => {
    const op = operator(['', '', '400', '1000', '25', '', 'y']);
    const r = await op.result;
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.readings).toEqual({ highPeepCmH2O: 15, lowPeepCmH2O: 5, tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: null });
    expect(recruitabilityOf(r.readings).ratio).toBe(2);
    const text = op.out();
    expect(text).toMatch(/Drop PEEP from 15 to 5 cmH2O for ONE breath/);
    expect(text).toMatch(/Set PEEP back to 15 cmH2O now/);
    expect(text.indexOf('Set PEEP back')).toBeGreaterThan(text.indexOf('Airway opening pressure'));
  });

  it('asks a wrong answer again, naming the field, the value and the range, and takes the corrected one', async () => {
    const op = operator(['', '', '4000', '400', '1000', '25', 'none', 'y']);
    const r = await op.result;
    expect(r.ok && r.readings.tidalVolumeMl).toBe(400);
    expect(op.out()).toMatch(/tidalVolumeMl = "4000": must be between 100 and 1000 mL; try again/);
  });

  it.each([
    ['1e3', 'scientific notation'],
    ['0x190', 'hex'],
    ['400ml', 'trailing unit'],
    ['four hundred', 'words'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
  ])('takes no number from %j (%s)', async (typed) => {
    const op = operator(['', '', typed, '400', '1000', '25', '', 'y']);
    const r = await op.result;
    expect(r.ok && r.readings.tidalVolumeMl).toBe(400);
    expect(op.out()).toMatch(/tidalVolumeMl = .*must be a number/);
  });

  it('checks across fields as soon as both are known: low PEEP below high, plateau above low PEEP, VTe not below Vt', async () => {
    const op = operator(['12', '12', '5', '400', '300', '1000', '5', '25', '', 'y']);
    const r = await op.result;
    expect(r.ok).toBe(true);
    const text = op.out();
    expect(text).toMatch(/lowPeepCmH2O = 12: must be below highPeepCmH2O \(12 cmH2O\)/);
    expect(text).toMatch(/releaseExpiredVolumeMl = 300: the release breath expires at least the tidal volume \(400 mL\)/);
    expect(text).toMatch(/lowPlateauCmH2O = 5: must be above lowPeepCmH2O \(5 cmH2O\)/);
  });

  it('three wrong answers to one question end the procedure: bad input, nothing computed, and it says to check PEEP', async () => {
    const op = operator(['', '', 'x', '5000', '-1']);
    const r = await op.result;
    expect(r).toMatchObject({ ok: false, kind: 'bad-input' });
    expect(!r.ok && r.reason).toMatch(/3 wrong answers\): nothing computed\. Check that PEEP is back/);
  });

  it('"n" to the return question says to set PEEP back and asks again, nothing is computed until "y"', async () => {
    const op = operator(['', '', '400', '1000', '25', '', 'n', 'maybe', 'y']);
    const r = await op.result;
    expect(r.ok).toBe(true);
    expect(op.out()).toMatch(/Set PEEP to 15 cmH2O on the ventilator, then answer y\.\n.*answer y or n/s);
  });

  it('an input that ends before the return is confirmed computes nothing', async () => {
    const op = operator(['', '', '400', '1000', '25', '', null]);
    const r = await op.result;
    expect(r).toMatchObject({ ok: false, kind: 'no-answer' });
    expect(!r.ok && r.reason).toMatch(/Is PEEP back at 15 cmH2O.*nothing computed/);
  });

  it('a wait for an answer is bounded', async () => {
    const op = operator(['', ''], { answerTimeoutMs: 30 });
    const r = await op.result;
    expect(r).toMatchObject({ ok: false, kind: 'no-answer' });
    expect(!r.ok && r.reason).toMatch(/Set tidal volume, mL.*0 s passed/);
  });
});

describe('entered readings: a release breath that expired less than its tidal volume', () => {
  it('is refused by the readings schema (a leak or a mistyped number), naming the field', () => {
    const r = ReleaseReadingsSchema.safeParse({ tidalVolumeMl: 400, releaseExpiredVolumeMl: 350, lowPlateauCmH2O: 25 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['releaseExpiredVolumeMl']);
  });

  it('is not assessable in the formula (never a negative R/I), whatever the source', () => {
    const r = recruitabilityOf({ highPeepCmH2O: 15, lowPeepCmH2O: 5, tidalVolumeMl: 400, releaseExpiredVolumeMl: 350, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: null });
    expect(r.recruitability).toBe('not-assessable');
    expect(r.ratio).toBeNull();
    expect(r.detail).toMatch(/expired 350 mL, less than the tidal volume 400 mL/);
  });
});

describe('rmseq screen --by-hand (the built CLI, answers on stdin)', () => {
  const bin = join(process.cwd(), 'bin', 'rmseq.js');
  const dir = mkdtempSync(join(tmpdir(), 'rmseq-byhand-'));

  it('prints the steps and R/I, journals the readings and the confirmed return', () => {
    const journal = join(dir, 'bed4.jsonl');
    const r = spawnSync(process.execPath, [bin, 'screen', '--by-hand', '--journal', journal], { input: '\n\n400\n1000\n25\n\ny\n', encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/recruitability \(R\/I, Chen 2020\): 2 \(threshold 0\.5\): HIGH/);
    expect(r.stderr).toMatch(/Drop PEEP from 15 to 5 cmH2O for ONE breath/);
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const entry = lines.find((l) => l.event === 'screen-entered');
    expect(entry).toMatchObject({ source: 'by-hand', readings: { tidalVolumeMl: 400 }, result: { ratio: 2 } });
    expect(typeof entry.returnConfirmedAt).toBe('string');
  });

  it('an answer that never comes right: exit 2, nothing computed or journaled as a result', () => {
    const journal = join(dir, 'bad.jsonl');
    const r = spawnSync(process.execPath, [bin, 'screen', '--by-hand', '--journal', journal], { input: '\n\nabc\n0\n99999\n', encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/tidalVolumeMl = "99999": must be between 100 and 1000 mL \(3 wrong answers\)/);
    expect(r.stdout).not.toMatch(/R\/I/);
  });

  it('stdin closed before the end: exit 5 (nothing computed)', () => {
    const r = spawnSync(process.execPath, [bin, 'screen', '--by-hand'], { input: '\n\n400\n', encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(/nothing computed/);
  });

  it('--by-hand with --readings or a run target is bad input', () => {
    const a = spawnSync(process.execPath, [bin, 'screen', '--by-hand', '--patient', 'moderate-ards'], { input: '', encoding: 'utf8', timeout: 30_000 });
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--by-hand.*--patient does not apply/);
    const b = spawnSync(process.execPath, [bin, 'screen', '--by-hand', '--readings', 'x.json'], { input: '', encoding: 'utf8', timeout: 30_000 });
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--by-hand and --readings/);
  });
});

describe('StdinLines: the end of the input', () => {
  it('completes lines$ when the input ends, so a question waiting for an answer ends (no hang on a closed stdin)', async () => {
    const { PassThrough } = await import('node:stream');
    const { StdinLines } = await import('../../src/cli/stdinLines.js');
    const { askChecklist } = await import('../../src/cli/checklist.js');
    const input = new PassThrough();
    const stdin = new StdinLines(input);
    const got: string[] = [];
    const asked = askChecklist(stdin.lines$, () => undefined);
    stdin.lines$.subscribe((l) => got.push(l));
    input.write('y\n');
    input.end();
    await expect(asked).resolves.toEqual(['sedation']);
    expect(got).toEqual(['y']);
  });
});

describe('entered readings: one problem named once', () => {
  it('an out-of-range release volume is named by its range only, not also as below the tidal volume', () => {
    const r = ReleaseReadingsSchema.safeParse({ tidalVolumeMl: 400, releaseExpiredVolumeMl: 50, lowPlateauCmH2O: 25 });
    expect(r.error?.issues.map((i) => i.message)).toEqual(['must be between 100 and 3000 mL']);
  });
});

describe('the journal of an entered screen is a journal of this tool', () => {
  const bin = join(process.cwd(), 'bin', 'rmseq.js');
  const dir = mkdtempSync(join(tmpdir(), 'rmseq-entered-journal-'));
  const run = (args: string[], input = '') => spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });

  it.each([
    ['--readings', (j: string, f: string) => run(['screen', '--readings', f, '--journal', j])],
    ['--by-hand', (j: string) => run(['screen', '--by-hand', '--journal', j], '\n\n400\n1000\n25\n\ny\n')],
  ])('%s: verifies, the staircase that follows appends to it, and recover finds nothing to restore', (_mode, screen) => {
    const journal = join(dir, `bed4${_mode}.jsonl`);
    const readings = join(dir, 'r.json');
    writeFileSync(readings, JSON.stringify({ tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 }));
    expect(screen(journal, readings).status).toBe(0);
    const first = JSON.parse(readFileSync(journal, 'utf8').split('\n')[0]!);
    expect(first).toMatchObject({ event: 'session-start', maneuver: 'recruitability-screen' });
    const v = run(['verify', journal]);
    expect(v.status, v.stderr).toBe(0);
    const rec = run(['recover', journal]);
    expect(rec.status, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/nothing to recover/);
    // The bedside journal: the staircase after the screen appends to the same file, and the chain still verifies.
    const after = run(['run', 'staircase', '--patient', 'moderate-ards', '--journal', journal, '--watch-min', '0']);
    expect(after.status, after.stderr).toBe(0);
    expect(run(['verify', journal]).status).toBe(0);
  });
});
