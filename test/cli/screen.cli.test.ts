/**
 * `rmseq screen` and `rmseq run staircase --screen`, end to end through the CLI on the
 * built-in simulator (virtual clock), and the guided procedure with entered numbers.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makAirCapabilities } from '../../hal/makair/index.js';
import { capabilitiesOf } from '../../hal/medibus/mapping.js';
import { codeTableFor } from '../../hal/medibus/codeTable.js';
import { SIMULATED_CAPABILITIES } from '../../hal/simulated/index.js';
import { main } from '../../src/cli/main.js';
import { oneBreathDropProblem } from '../../src/cli/run.js';

async function rmseq(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'rmseq-screen-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(content));
  return p;
};

describe('rmseq screen (simulator)', () => {
  it('runs the one-breath test, prints R/I with its values and the recommendation, ends at the verified baseline', async () => {
    const r = await rmseq('screen', '--patient', 'moderate-ards', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.maneuver).toBe('recruitability-screen');
    expect(j.outcome).toBe('completed');
    expect(j.finalSettingsVerified).toBe(true);
    expect(j.verifiedSettings).toEqual(j.baseline);
    expect(j.steps.map((s: { phase: string; settings: { peepCmH2O: number } }) => [s.phase, s.settings.peepCmH2O])).toEqual([
      ['baseline', 10],
      ['screen', 15],
      ['release', 5],
      ['screen', 15],
      ['assessment', 10],
    ]);
    const s = j.screen;
    expect(s.ratio).toBeGreaterThan(0);
    expect(s.ratio).toBeLessThan(2);
    // The published formula, recomputed from the journaled readings.
    const rd = s.readings;
    const crsLow = rd.tidalVolumeMl / (rd.lowPlateauCmH2O - rd.lowPeepCmH2O);
    const expected = (rd.releaseExpiredVolumeMl - rd.tidalVolumeMl - crsLow * 10) / 10 / crsLow;
    expect(s.ratio).toBeCloseTo(expected, 2);
    expect(s.recruitability).toBe(s.ratio >= 0.5 ? 'high' : 'low');
  });

  it('shows the values in the run table text', async () => {
    const r = await rmseq('screen', '--patient', 'moderate-ards');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/COMPLETED: R\/I [0-9.]+: (low|high) recruitability/);
    expect(r.out).toMatch(/recruitability \(R\/I, Chen 2020\)/);
    expect(r.out).toMatch(/Vrel \d+ mL, Crs,low [0-9.]+ mL\/cmH2O, Vrec -?\d+ mL/);
    expect(r.out).toMatch(/release +VC PEEP 5/);
  });

  it('journals the result (outcome line carries the screen)', async () => {
    const journal = join(dir, 'screen.jsonl');
    const r = await rmseq('screen', '--patient', 'mild-ards', '--journal', journal, '--json');
    expect(r.code).toBe(0);
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const outcome = lines.find((l) => l.event === 'outcome');
    expect(outcome.summary.screen.ratio).toBe(JSON.parse(r.out).screen.ratio);
    expect(outcome.summary.screen.readings.releaseExpiredVolumeMl).toBeGreaterThan(outcome.summary.screen.readings.tidalVolumeMl);
    // The HTML report shows the values.
    const html = join(dir, 'screen.html');
    const rep = await rmseq('report', journal, '--out', html);
    expect(rep.code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Recruitability (R/I, Chen 2020)');
    expect(page).toContain(`recruitability (R/I, Chen 2020): ${outcome.summary.screen.ratio}`);
    expect(page).toMatch(/Vrel \d+ mL, Crs,low/);
    // The journal replays to the same decisions (the release breath's expired volume is journaled with its sample).
    const replay = await rmseq('replay', journal, '--json');
    expect(replay.code, replay.err).toBe(0);
    expect(outcome.summary.maneuver).toBe('recruitability-screen');
  });

  it('rejects a screen protocol with a bad value, naming field, value and range (exit 2)', async () => {
    const r = await rmseq('screen', '--patient', 'moderate-ards', '--protocol', file('bad.json', { maneuver: 'recruitability-screen', lowPeepCmH2O: 20 }));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/lowPeepCmH2O = 20/);
    expect(r.err).toMatch(/between 0 and 15 cmH2O/);
  });
});

describe('rmseq screen --readings (the guided procedure: numbers entered)', () => {
  it('computes R/I with the published formula from the entered readings', async () => {
    const r = await rmseq('screen', '--readings', file('r.json', { tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 }), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.screen).toMatchObject({ ratio: 2, releasedVolumeMl: 600, recruitedVolumeMl: 400, recruitability: 'high' });
    expect(j.recommendation).toMatch(/proceed/);
  });

  it('journals the entered readings and result', async () => {
    const journal = join(dir, 'entered.jsonl');
    const r = await rmseq('screen', '--readings', file('r2.json', { tidalVolumeMl: 400, releaseExpiredVolumeMl: 650, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: 3 }), '--journal', journal);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/LOW/);
    const line = JSON.parse(readFileSync(journal, 'utf8').trim().split('\n').pop()!);
    expect(line.event).toBe('screen-entered');
    expect(line.result.ratio).toBe(0.25);
    expect(line.readings.airwayOpeningPressureCmH2O).toBe(3);
  });

  it('rejects bad readings naming field, value and range, and flags that do not apply', async () => {
    const bad = await rmseq('screen', '--readings', file('bad-r.json', { tidalVolumeMl: 40, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 }));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/tidalVolumeMl = 40: must be between 100 and 1000 mL/);
    const mixed = await rmseq('screen', '--readings', file('ok.json', { tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 }), '--patient', 'moderate-ards');
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/--patient does not apply/);
  });

  it('MakAir and MEDIBUS cannot drop PEEP for one breath: the screen refuses them and names the guided procedure', () => {
    expect(SIMULATED_CAPABILITIES.oneBreathPeepDrop).toBe(true);
    expect(oneBreathDropProblem(SIMULATED_CAPABILITIES, 'sim')).toBeNull();
    for (const caps of [makAirCapabilities(0.4), capabilitiesOf(codeTableFor('evita'))]) {
      expect(caps.oneBreathPeepDrop ?? false).toBe(false);
      expect(oneBreathDropProblem(caps, 'this ventilator')).toMatch(/cannot drop PEEP for a single breath.*rmseq screen --readings/);
    }
    expect(oneBreathDropProblem({ ...SIMULATED_CAPABILITIES, guided: true }, 'guided sim')).toMatch(/a person takes longer than one breath/);
  });
});

describe('rmseq run staircase --screen', () => {
  it('policy block: a low R/I stops before the staircase, exit 5, nothing more changed (the non-recruiter: R/I below 0.5)', async () => {
    const r = await rmseq('run', 'staircase', '--patient', 'non-recruiter', '--screen-protocol', file('block.json', { maneuver: 'recruitability-screen', policy: 'block' }), '--json');
    expect(r.code).toBe(5);
    const j = JSON.parse(r.out);
    expect(j.outcome).toBe('not-started');
    expect(j.screenDecision).toMatchObject({ action: 'block', policy: 'block' });
    expect(j.screen.screen.recruitability).toBe('low');
  });

  it('policy block at the default threshold (Chen 2020: 0.5): a high recruiter (moderate-ards) screens high and proceeds to the staircase', async () => {
    const r = await rmseq('run', 'staircase', '--patient', 'moderate-ards', '--screen-protocol', file('block-default.json', { maneuver: 'recruitability-screen', policy: 'block' }), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.screen.screen.recruitability).toBe('high');
    expect(j.screen.screen.ratio).toBeGreaterThanOrEqual(0.5);
    expect(j.screenDecision.action).toBe('proceed');
    expect(j.maneuver).toBe('staircase');
  });

  it('policy block with a threshold the patient exceeds: proceeds to the staircase', async () => {
    const r = await rmseq('run', 'staircase', '--patient', 'moderate-ards', '--screen-protocol', file('low-threshold.json', { maneuver: 'recruitability-screen', policy: 'block', thresholdRatio: 0.1 }), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.maneuver).toBe('staircase');
    expect(j.outcome).toBe('completed');
    expect(j.screenDecision.action).toBe('proceed');
  });

  it('policy cap: the staircase runs with every step under the cap (threshold 0.9: moderate-ards screens low)', async () => {
    const r = await rmseq('run', 'staircase', '--patient', 'moderate-ards', '--screen-protocol', file('cap.json', { maneuver: 'recruitability-screen', policy: 'cap', capPeakCmH2O: 35, thresholdRatio: 0.9 }), '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.screenDecision.action).toBe('cap');
    for (const s of j.steps) expect(s.settings.peakCmH2O).toBeLessThanOrEqual(35);
    expect(Math.max(...j.steps.map((s: { settings: { peepCmH2O: number } }) => s.settings.peepCmH2O))).toBe(20);
  });

  it('--screen applies to the staircase only', async () => {
    const r = await rmseq('run', 'sustained-inflation', '--patient', 'moderate-ards', '--screen');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--screen applies to the staircase only/);
  });
});
