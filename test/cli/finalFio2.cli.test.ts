/**
 * The FiO2 at the end after pre-oxygenation (protocol finalFio2) as the operator and the record
 * see it: the run table's wean rows, the summary line, `run --json`, the journal and the HTML report.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { readJournal } from '../../src/journal/read.js';
import { assertBuilt, runCli } from '../support/cli.js';

beforeAll(() => assertBuilt());

/**
 * A severe patient with little low-pressure recruitable lung (severe-ards as calibrated before the
 * R/I recalibration of issue 19): back near its baseline SpO2 on FiO2 0.6 after the RM, the patient
 * the wean is for. The recalibrated built-in severe-ards recruits more and tolerates FiO2 0.6.
 */
const severeFile = join(mkdtempSync(join(tmpdir(), 'rmseq-severe-')), 'severe-little-recruitable.json');
const sev = BUILTIN_PROFILES['severe-ards'];
writeFileSync(severeFile, JSON.stringify({ ...sev, lung: { ...sev.lung, recruitableFraction: 0.22, lowPressureRecruitableShare: 0 } }));

describe('final FiO2 on the CLI, in the journal and in the report', () => {
  it('severe patient (little recruitable lung) staircase seed 3: completed at the titrated PEEP, FiO2 weaned by SpO2 (0.9 too low: back to 1), shown everywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-finalfio2-'));
    const journal = join(dir, 'j.jsonl');
    const r = await runCli(['run', 'staircase', '--patient', severeFile, '--seed', '3', '--json', '--journal', journal]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.outcome).toBe('completed');
    expect(result.finalFio2).toMatchObject({ policy: 'wean', fio2: 1, baselineFio2: 0.6, fromFio2: 1, message: 'FiO2 ended at 1 (baseline 0.6): wean by SpO2' });
    expect(result.finalFio2.steps).toEqual([
      { fio2: 0.9, spo2Pct: expect.any(Number), holdMs: expect.any(Number), stepBack: false },
      { fio2: 1, spo2Pct: null, holdMs: 0, stepBack: true },
    ]);
    expect(result.finalFio2.steps[0].spo2Pct).toBeLessThan(90);
    expect(result.verifiedSettings.fio2).toBe(1);
    expect(result.steps.filter((s: { phase: string }) => s.phase === 'wean')).toHaveLength(2);
    // The journal's outcome carries the same, and every wean command is in it.
    const j = readJournal(journal);
    expect((j.outcome?.summary as { finalFio2?: unknown }).finalFio2).toEqual(result.finalFio2);
    const text = readFileSync(journal, 'utf8');
    expect(text).toMatch(/Wean FiO2 1: FiO2 0\.9 \(baseline 0\.6\)/);
    expect(text).toMatch(/FiO2 back to 1: SpO2 [\d.]+% below 90% on FiO2 0\.9/);
    // The HTML report: the outcome banner and the wean lines.
    const html = join(dir, 'r.html');
    const rep = await runCli(['report', journal, '--out', html]);
    expect(rep.code, rep.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('FiO2 ended at 1 (baseline 0.6): wean by SpO2');
    expect(page).toMatch(/wean from FiO2 1: 0\.9 \(SpO2 [\d.]+%, \d+ s\) -&gt; back to 1/);
  }, 60_000);

  it('the readable run: wean rows in the run table and the final FiO2 line', async () => {
    const r = await runCli(['run', 'high-pressure-pcv', '--patient', severeFile, '--seed', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/COMPLETED: back on baseline PEEP 10 \(verified\); FiO2 ended at 1 \(baseline 0\.6\): wean by SpO2/);
    expect(r.stdout).toMatch(/final FiO2: FiO2 ended at 1 \(baseline 0\.6\): wean by SpO2; not weaned: SpO2 [\d.]+% below 90% on FiO2 1/);
  }, 60_000);
});
