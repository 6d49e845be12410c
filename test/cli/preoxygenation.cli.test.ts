/**
 * Pre-oxygenation and the single-step titration hand-over as the operator sees them (issue 15,
 * items 7 and 8): the run table, the readable summary, --json, the HTML report and the console.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultProtocol, ProtocolSchema } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { displayPlan } from '../../src/console/plans.js';
import { assertBuilt, runCli } from '../support/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'rmseq-preox-'));

beforeAll(() => assertBuilt());

describe('pre-oxygenation on the CLI and in the report', () => {
  it('severe-ards at the default baseline: the run table shows the pre-oxygenation holds on FiO2 1.00, the summary says what it did', async () => {
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'severe-ards', '--seed', '1']);
    // Completed (0) or aborted for a clinical reason (3) after the holds: never refused (2) or not started (5).
    expect([0, 3], r.stderr).toContain(r.code);
    expect(r.stdout).toMatch(/preoxygenation +VC PEEP 10, Vt 420 mL +1\.00/);
    expect(r.stdout).toMatch(/pre-oxygenation: FiO2 0\.6 -> 1 \(baseline SpO2 [\d.]+% below 90%\); SpO2 settled at [\d.]+%: the SpO2 limits measure from it/);
    expect(r.stdout).toMatch(/warning: SpO2 [\d.]+% below the 85% floor: pre-oxygenation with FiO2 1 first/);
  }, 60_000);

  it('--json carries the pre-oxygenation and the abort restore target; the HTML report shows the step and the line', async () => {
    const dir = tmp();
    const journal = join(dir, 'j.jsonl');
    const r = await runCli(['run', 'staircase', '--patient', 'severe-ards', '--seed', '2', '--json', '--journal', journal]);
    expect([0, 3], r.stderr).toContain(r.code);
    const result = JSON.parse(r.stdout);
    expect(result.outcome).not.toBe('not-started');
    expect(result.preoxygenation).toMatchObject({ fio2: 1 });
    expect(result.restoreSettings).toEqual({ ...result.baseline, fio2: 1 });
    expect(result.steps.filter((s: { phase: string }) => s.phase === 'preoxygenation').length).toBeGreaterThanOrEqual(2);
    const html = join(dir, 'r.html');
    const rep = await runCli(['report', journal, '--out', html]);
    expect(rep.code, rep.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('preoxygenation');
    expect(page).toMatch(/pre-oxygenation: FiO2 0\.6 -&gt; 1/);
  }, 60_000);

  it('a sustained inflation handing over to the titration: the FiO2 step and the methods are in the summary', async () => {
    const dir = tmp();
    const file = join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ maneuver: 'sustained-inflation', postRmPeep: { mode: 'titration' } }));
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--seed', '1', '--protocol', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/COMPLETED: titrated PEEP [\d.]+ cmH2O/);
    expect(r.stdout).toMatch(/spo2 +PEEP [\d.]+/);
    expect(r.stdout).toMatch(/final step: plateau [\d.]+ \(limit 30\)/);
    expect(r.stdout).toMatch(/\n\s*\d+\s+decremental /);
  }, 60_000);

  it('the console plan lists the pre-oxygenation holds (if needed) and a single-step RM\'s titration steps', () => {
    const plan = displayPlan(defaultProtocol('sustained-inflation'), DEFAULT_SIM_BASELINE);
    expect(plan.filter((s) => s.phase === 'preoxygenation').every((s) => s.conditional && s.settings.fio2 === 1)).toBe(true);
    const handover = displayPlan(ProtocolSchema.parse({ maneuver: 'high-pressure-pcv', postRmPeep: { mode: 'titration' } }), DEFAULT_SIM_BASELINE);
    expect(handover.map((s) => s.phase)).toEqual(expect.arrayContaining(['high-pressure', 'fio2', 'decremental', 're-recruit', 'final']));
    expect(handover.at(-1)?.label).toBe('Titrated PEEP: derecruitment PEEP + 2.5 cmH2O, assessed for 60 s');
  });
});
