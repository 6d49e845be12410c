/**
 * `rmseq trial` end to end (child process, worker threads): the table, --json, --html, protocol
 * files as arms, shards merged to exactly the unsharded statistics, and bad input (exit 2).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { assertBuilt, runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rmseq-trial-'));
const COMMON = ['--arms', 'sustained-inflation,high-pressure-pcv,none', '--patients', '4', '--seed', '5', '--horizon-min', '30', '--workers', '2'];
const statsOf = (out: string): Record<string, unknown> => {
  const { wallMs, ...rest } = JSON.parse(out) as Record<string, unknown>;
  expect(typeof wallMs).toBe('number');
  return rest;
};

let whole: { code: number | null; stdout: string; stderr: string };
beforeAll(async () => {
  assertBuilt();
  whole = await runCli(['trial', ...COMMON, '--json', '--html', join(dir, 'whole.html')]);
}, 120_000);

describe('rmseq trial (child process)', () => {
  it('--json: every arm on the same patients, per arm and group, with CIs, and every patient', () => {
    expect(whole.stderr).toBe('');
    expect(whole.code).toBe(0);
    const r = JSON.parse(whole.stdout) as {
      seed: number;
      n: number;
      arms: string[];
      samePatients: boolean;
      horizonMin: number;
      groups: Record<string, { n: number; arms: Record<string, { n: number; aborted: { pct: number; lo: number; hi: number }; deltaPfRatio: { mean: number }; abortReasons: object }> }>;
      patients: Array<{ arms: Array<{ arm: string; patientHash: string }> }>;
    };
    expect(r).toMatchObject({ seed: 5, n: 4, arms: ['sustained-inflation', 'high-pressure-pcv', 'none'], samePatients: true, horizonMin: 30 });
    expect(Object.keys(r.groups)).toEqual(['all', 'recruiter', 'non-recruiter', 'high-recruiter', 'fluid-responsive', 'euvolemic', 'mild', 'moderate', 'severe']);
    expect(r.groups['all']?.arms['sustained-inflation']?.n).toBe(4);
    expect(r.groups['all']?.arms['none']?.aborted.pct).toBe(0);
    expect(r.patients).toHaveLength(4);
    for (const p of r.patients) expect(new Set(p.arms.map((a) => a.patientHash)).size).toBe(1);
  });

  it('--html writes a self-contained page with the plots', () => {
    const html = readFileSync(join(dir, 'whole.html'), 'utf8');
    expect(html).toContain('<svg ');
    expect(html).not.toMatch(/<script|src="http|href="http/i);
  });

  it('the table: a row per arm in each group, with CIs', async () => {
    const r = await runCli(['trial', ...COMMON]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^trial: 4 patients, seed 5, arms sustained-inflation, high-pressure-pcv, none, [\d.]+ s wall/);
    expect(r.stdout).toContain('same virtual patients in every arm: yes');
    expect(r.stdout).toMatch(/group all \(n=4\)\narm +n dP\/F mmHg +dCrs mL\/cmH2O +final PEEP +aborted/);
    expect(r.stdout).toMatch(/\nnone +4 .*0\.0% \[0\.0, \d+\.\d\]/);
  }, 120_000);

  it('shards merge to exactly the unsharded statistics and patients (N = 3), and the same page', async () => {
    for (const n of [3]) {
      const parts: string[] = [];
      for (let k = 0; k < n; k++) {
        const out = join(dir, `trial-${n}-${k}.json`);
        const r = await runCli(['trial', ...COMMON, '--workers', '1', '--shard', `${k}/${n}`, '--out', out]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`trial shard ${k}/${n}:`);
        parts.push(out);
      }
      const html = join(dir, `merged-${n}.html`);
      const merged = await runCli(['trial', 'merge', ...parts, '--json', '--html', html]);
      expect(merged.stderr).toBe('');
      expect(merged.code).toBe(0);
      expect(statsOf(merged.stdout)).toEqual(statsOf(whole.stdout));
      expect(readFileSync(html, 'utf8')).toBe(readFileSync(join(dir, 'whole.html'), 'utf8'));
    }
  }, 240_000);

  it('protocol files as arms: two threshold sets of one maneuver', async () => {
    writeFileSync(join(dir, 'map70.json'), JSON.stringify({ maneuver: 'sustained-inflation', safety: { mapFloorMmHg: 70 } }));
    writeFileSync(join(dir, 'map55.json'), JSON.stringify({ maneuver: 'sustained-inflation', safety: { mapFloorMmHg: 55 } }));
    const r = await runCli(['trial', '--arms', `${join(dir, 'map70.json')},${join(dir, 'map55.json')}`, '--patients', '3', '--seed', '2', '--workers', '1', '--horizon-min', '5', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { arms: string[] }).arms).toEqual(['map70', 'map55']);
  }, 120_000);

  it('bad input exits 2 naming the problem; merge refuses a cohort part and parts of another trial (in process)', async () => {
    let err = '';
    const io = { stdout: () => undefined, stderr: (t: string) => void (err += t), isTTY: false };
    const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
      err = '';
      const code = await main(args, io);
      return { code, stderr: err };
    };
    const cases: Array<[string[], RegExp]> = [
      [['trial', '--arms', 'staircase,foo'], /unknown arm "foo"/],
      [['trial', '--arms', 'none,none'], /given twice/],
      [['trial', '--horizon-min', '1'], /--horizon-min = "1": must be a whole number between 5 and 240/],
      [['trial', '--patients', '0'], /--patients = "0"/],
      [['trial', '--shard', '2/2', '--out', join(dir, 'x.json')], /--shard = "2\/2"/],
      [['trial', '--shard', '0/2'], /--shard needs --out/],
      [['trial', '--out', join(dir, 'y.json'), '--json'], /--out writes a part file/],
      [['trial', '--patients', '500', '--out', join(dir, 'nope', 'y.json')], /--out .*y\.json: cannot write in .*nope/],
      [['trial', '--seed', '4', 'merge', join(dir, 'any.json')], /--seed given before merge/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const cohortPart = join(dir, 'cohort-part.json');
    expect((await run(['cohort', '--patients', '2', '--maneuver', 'sustained-inflation', '--workers', '0', '--out', cohortPart])).code).toBe(0);
    const r = await run(['trial', 'merge', cohortPart]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/from `rmseq cohort`, not `rmseq trial`/);
    const other = join(dir, 'other.json');
    expect((await run(['trial', '--arms', 'sustained-inflation,none', '--patients', '4', '--seed', '5', '--horizon-min', '30', '--workers', '0', '--shard', '1/3', '--out', other])).code).toBe(0);
    const mine = join(dir, 'mine-0.json');
    expect((await run(['trial', ...COMMON, '--workers', '0', '--shard', '0/3', '--out', mine])).code).toBe(0);
    const mixed = await run(['trial', 'merge', mine, other]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/different run .*: arms/);
  }, 120_000);
});
