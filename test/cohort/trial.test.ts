/**
 * Virtual trials (issue 19, item 4): every arm on the same virtual patients, the `none` arm the
 * same patient for the same virtual time, the statistics and their confidence intervals.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { every } from '../../common/clock.js';
import { defaultProtocol, type ManeuverKind } from '../../machines/index.js';
import { generateCohort, type CohortPatient } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { parseArms } from '../../src/cli/trial.js';
import { runCohortPatient } from '../../src/cohort/patient.js';
import { runTrialPatient, type TrialArm, type TrialPatientResult, type TrialTask } from '../../src/cohort/trial.js';
import { formatTrialStats, groupsOf, meanCi, tQuantile975, trialStats, wilson } from '../../src/cohort/trialStats.js';
import { renderTrialReport } from '../../src/report/trial.js';
import { main } from '../../src/cli/main.js';

const arm = (m: ManeuverKind): TrialArm => ({ name: m, kind: 'maneuver', maneuver: m, protocol: defaultProtocol(m) });
const NONE: TrialArm = { name: 'none', kind: 'none' };
const HORIZON_MS = 30 * 60_000;

describe('confidence intervals', () => {
  it('Wilson score interval for proportions (reference values)', () => {
    // 5/10: 23.66-76.34%; 0/20: 0-16.11%; 20/20: 83.89-100%.
    expect(wilson(5, 10)).toEqual({ k: 5, n: 10, pct: 50, lo: 23.66, hi: 76.34 });
    expect(wilson(0, 20)).toMatchObject({ pct: 0, lo: 0, hi: 16.11 });
    expect(wilson(20, 20)).toMatchObject({ pct: 100, lo: 83.89, hi: 100 });
    expect(wilson(0, 0)).toEqual({ k: 0, n: 0, pct: null, lo: null, hi: null });
  });

  it('Student t interval for means (reference quantiles and values)', () => {
    expect(tQuantile975(1)).toBeCloseTo(12.706, 3);
    expect(tQuantile975(10)).toBeCloseTo(2.228, 3);
    expect(tQuantile975(30)).toBeCloseTo(2.042, 3);
    expect(tQuantile975(60)).toBeCloseTo(2.0003, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.9799, 3);
    expect(tQuantile975(1e6)).toBeCloseTo(1.96, 3);
    // 1..5: mean 3, sd 1.5811, half-width 2.7764 * 1.5811 / sqrt(5) = 1.9632.
    expect(meanCi([1, 2, 3, 4, 5])).toEqual({ n: 5, mean: 3, lo: 1.04, hi: 4.96 });
    expect(meanCi([7])).toEqual({ n: 1, mean: 7, lo: null, hi: null });
    expect(meanCi([])).toEqual({ n: 0, mean: null, lo: null, hi: null });
  });
});

describe('patient groups (from the cohort archetype)', () => {
  it('recruiter, non-recruiter, high-recruiter, fluid-responsive, euvolemic, severity', () => {
    expect(groupsOf('severe/non-recruiter/fluid-responsive')).toEqual(['all', 'non-recruiter', 'fluid-responsive', 'severe']);
    expect(groupsOf('mild/high-recruiter/euvolemic')).toEqual(['all', 'recruiter', 'high-recruiter', 'euvolemic', 'mild']);
    expect(groupsOf('moderate/low-recruiter/euvolemic')).toEqual(['all', 'recruiter', 'euvolemic', 'moderate']);
  });
});

describe('--arms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmseq-arms-'));
  it('maneuver names, none and protocol files (two threshold sets of one maneuver)', () => {
    const strict = join(dir, 'strict.json');
    const lenient = join(dir, 'lenient.json');
    writeFileSync(strict, JSON.stringify({ maneuver: 'staircase', safety: { mapFloorMmHg: 70 } }));
    writeFileSync(lenient, JSON.stringify({ maneuver: 'staircase', safety: { mapFloorMmHg: 55 } }));
    const arms = parseArms(`${strict},${lenient},none,sustained-inflation`);
    expect(arms.map((a) => a.name)).toEqual(['strict', 'lenient', 'none', 'sustained-inflation']);
    expect(arms.map((a) => (a.kind === 'maneuver' ? a.protocol.safety.mapFloorMmHg : null))).toEqual([70, 55, null, 60]);
  });

  it('refuses unknown arms, an arm twice, an empty item, more than 8 arms and a bad protocol file', () => {
    expect(() => parseArms('staircase,foo')).toThrow(/unknown arm "foo"/);
    expect(() => parseArms('none,none')).toThrow(/arm "none" given twice/);
    expect(() => parseArms('staircase,,none')).toThrow(/1 to 8 comma-separated arms/);
    expect(() => parseArms(Array(9).fill('none').join(','))).toThrow(/1 to 8/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ maneuver: 'staircase', safety: { mapFloorMmHg: 10 } }));
    expect(() => parseArms(`${bad},none`)).toThrow(/mapFloorMmHg/);
  });
});

describe('every arm on the same virtual patients', () => {
  let cohort: CohortPatient[];
  let results: TrialPatientResult[];
  const task: TrialTask = { arms: [arm('staircase'), arm('sustained-inflation'), NONE], baseline: DEFAULT_SIM_BASELINE, horizonMs: HORIZON_MS };
  beforeAll(async () => {
    cohort = generateCohort({ n: 3, seed: 21 });
    results = [];
    for (const [i, p] of cohort.entries()) results.push(await runTrialPatient(i, p, task));
  }, 60_000);

  it('each arm starts from the same simulated patient (same hash of profile, seed and settings; same time-0 values)', () => {
    for (const r of results) {
      expect(r.arms.map((a) => a.arm)).toEqual(['staircase', 'sustained-inflation', 'none']);
      const first = r.arms[0];
      for (const a of r.arms) {
        expect(a.patientHash).toBe(first?.patientHash);
        expect([a.baselinePfRatio, a.baselineSao2Pct, a.baselineComplianceMlPerCmH2O]).toEqual([first?.baselinePfRatio, first?.baselineSao2Pct, first?.baselineComplianceMlPerCmH2O]);
      }
    }
    // ... and different patients differ.
    expect(new Set(results.map((r) => r.arms[0]?.patientHash)).size).toBe(results.length);
    expect(trialStats(results, ['staircase', 'sustained-inflation', 'none'], HORIZON_MS).samePatients).toBe(true);
  });

  it('the none arm is the same patient on the baseline for the same virtual time, without a maneuver', () => {
    for (const r of results) {
      const none = r.arms[2];
      expect(none).toMatchObject({ outcome: 'none', abortReason: null, maneuverMs: 0, assessedAtMs: HORIZON_MS, finalPeepCmH2O: DEFAULT_SIM_BASELINE.peepCmH2O });
      for (const a of r.arms) expect(a.assessedAtMs).toBe(Math.max(HORIZON_MS, a.maneuverMs));
    }
  });

  it('watching the patient (a reading each second on the clock, as the trial does) does not change the run: the maneuver arm decides as the plain cohort runner does', async () => {
    for (const [i, p] of cohort.entries()) {
      const plain = await runCohortPatient({ index: i, patient: p, maneuver: 'staircase', protocol: defaultProtocol('staircase'), baseline: DEFAULT_SIM_BASELINE });
      const watched = await runCohortPatient({ index: i, patient: p, maneuver: 'staircase', protocol: defaultProtocol('staircase'), baseline: DEFAULT_SIM_BASELINE, onWorld: (w, clock) => void every(clock, 1000, () => w.patient.breath()) });
      expect(watched).toEqual(plain);
      expect(results[i]?.arms[0]).toMatchObject({ outcome: plain.outcome, abortReason: plain.abortReason });
      if (plain.outcome === 'completed') expect(results[i]?.arms[0]?.finalPeepCmH2O).toBe(plain.finalPeepCmH2O);
    }
  }, 60_000);

  it('barotrauma exposure is time within the assessment window; a staircase (plateau 30-40 while recruiting) has some', () => {
    for (const r of results) {
      for (const a of r.arms) {
        expect(a.plateauAbove30S).toBeGreaterThanOrEqual(0);
        expect(a.plateauAbove30S).toBeLessThanOrEqual(a.assessedAtMs / 1000 + 1);
        expect(a.drivingPressureAbove15S).toBeLessThanOrEqual(a.assessedAtMs / 1000 + 1);
      }
      const stair = r.arms[0];
      const none = r.arms[2];
      if (stair?.outcome === 'completed') expect(stair.plateauAbove30S).toBeGreaterThan(none?.plateauAbove30S ?? 0);
    }
  });

  it('the same seed gives the same trial (deterministic), patient for patient', async () => {
    const again = await runTrialPatient(0, cohort[0] as CohortPatient, task);
    expect(again).toEqual(results[0]);
  }, 60_000);

  it('statistics: per arm and group, n, abort rates by reason, changes with CIs; paired difference from none', () => {
    const s = trialStats(results, ['staircase', 'sustained-inflation', 'none'], HORIZON_MS);
    expect(s.n).toBe(3);
    expect(s.groups.all.n).toBe(3);
    const stair = s.groups.all.arms['staircase'];
    expect(stair?.n).toBe(3);
    const aborted = results.filter((r) => r.arms[0]?.outcome === 'aborted').length;
    expect(stair?.aborted).toEqual(wilson(aborted, 3));
    const d = results.map((r) => (r.arms[0]?.finalPfRatio ?? 0) - (r.arms[0]?.baselinePfRatio ?? 0));
    expect(stair?.deltaPfRatio).toEqual(meanCi(d));
    const paired = results.map((r, i) => (d[i] ?? 0) - ((r.arms[2]?.finalPfRatio ?? 0) - (r.arms[2]?.baselinePfRatio ?? 0)));
    expect(stair?.vsNone?.deltaPfRatio).toEqual(meanCi(paired));
    expect(s.groups.all.arms['none']?.vsNone).toBeNull();
    const inGroups = (['recruiter', 'non-recruiter'] as const).reduce((k, g) => k + s.groups[g].n, 0);
    expect(inGroups).toBe(3);
    // A tampered result (another patient in one arm) is flagged.
    const tampered = structuredClone(results);
    (tampered[1]?.arms[1] as { patientHash: string }).patientHash = '0000000000000000';
    expect(trialStats(tampered, ['staircase', 'sustained-inflation', 'none'], HORIZON_MS).samePatients).toBe(false);
  });

  it('the HTML page is self-contained (no script, no external resource) with a plot per outcome', () => {
    const html = renderTrialReport(trialStats(results, ['staircase', 'sustained-inflation', 'none'], HORIZON_MS), { seed: 21 });
    expect(html).not.toMatch(/<script|<link|src="http|href="http|@import/i);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('Wilson');
    expect(html).toContain('<h3>all (n=3)</h3>');
  });
});

describe('rmseq trial shards merge to exactly the unsharded trial (in process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmseq-trial-shard-'));
  const COMMON = ['--arms', 'sustained-inflation,none', '--patients', '5', '--seed', '8', '--horizon-min', '5', '--workers', '0'];
  const cli = async (args: string[]): Promise<{ code: number; out: string }> => {
    let out = '';
    const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (out += s), isTTY: false });
    return { code, out };
  };
  const statsOf = (json: string): unknown => {
    const { wallMs: _w, ...rest } = JSON.parse(json) as { wallMs: number };
    return rest;
  };

  it('N = 1, 2, 3 and 6 (more shards than patients): the same JSON, the same table', async () => {
    const whole = await cli(['trial', ...COMMON, '--json']);
    const text = await cli(['trial', ...COMMON]);
    expect(whole.code).toBe(0);
    for (const n of [1, 2, 3, 6]) {
      const parts = [];
      for (let k = 0; k < n; k++) {
        const out = join(dir, `p-${n}-${k}.json`);
        expect((await cli(['trial', ...COMMON, '--shard', `${k}/${n}`, '--out', out])).code).toBe(0);
        parts.push(out);
      }
      const merged = await cli(['trial', 'merge', ...parts.reverse(), '--json']);
      expect(merged.code).toBe(0);
      expect(statsOf(merged.out)).toEqual(statsOf(whole.out));
      const mergedText = await cli(['trial', 'merge', ...parts]);
      expect(mergedText.out.split('\n').slice(1)).toEqual(text.out.split('\n').slice(1));
    }
  }, 120_000);
});

describe('the table', () => {
  it('shows a value that rounds to zero as 0.0, never -0.0, and positive changes with a sign', () => {
    const row = { index: 0, id: 'P00001', archetype: 'mild/high-recruiter/euvolemic', recruitableFraction: 0.2 };
    const a = (arm: string, finalPf: number) => ({ arm, outcome: 'completed', abortReason: null, patientHash: '0123456789abcdef', maneuverMs: 0, assessedAtMs: 1, baselinePfRatio: 100, finalPfRatio: finalPf, baselineSao2Pct: 90, finalSao2Pct: 90, baselineComplianceMlPerCmH2O: 30, finalComplianceMlPerCmH2O: 30, finalPeepCmH2O: 10, finalFio2: 0.4, plateauAbove30S: 0, drivingPressureAbove15S: 0, pneumothorax: false, violations: [] });
    const results = [
      { ...row, arms: [a('x', 99.99), a('none', 100)] },
      { ...row, index: 1, arms: [a('x', 100.02), a('none', 100)] },
    ];
    const text = formatTrialStats(trialStats(results, ['x', 'none'], 60_000), 'h');
    expect(text).not.toContain('-0.0');
    expect(text).toMatch(/\nx +2 0\.0 \[/);
  });
});
