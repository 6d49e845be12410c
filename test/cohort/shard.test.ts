/**
 * `rmseq cohort --shard K/N --out part.json` and `rmseq cohort merge`: merged parts give exactly
 * the output of the unsharded run (not approximately), for several N; parts of another run,
 * another version, overlapping or missing shards are refused with exit 2 and a clear message.
 */
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseShardFlag, PART_MAX_BYTES, shardRange } from '../../src/cohort/shard.js';
import { runCohort } from '../../src/cohort/pool.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { defaultProtocol } from '../../machines/index.js';

const N_PATIENTS = 9;
const COMMON = ['--patients', String(N_PATIENTS), '--seed', '11', '--maneuver', 'sustained-inflation', '--workers', '0'];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'rmseq-shard-'));

/** Runs every shard of a split of N; returns the part paths. */
async function split(n: number, extra: string[] = [], tag = ''): Promise<string[]> {
  const paths: string[] = [];
  for (let k = 0; k < n; k++) {
    const path = join(dir, `part${tag}-${n}-${k}.json`);
    const r = await cli(['cohort', ...COMMON, ...extra, '--shard', `${k}/${n}`, '--out', path]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    paths.push(path);
  }
  return paths;
}

/** The statistics without the wall time (the one thing that is not a statistic). */
const stats = (json: string): unknown => {
  const { wallMs, ...rest } = JSON.parse(json) as { wallMs: number };
  expect(wallMs).toBeGreaterThanOrEqual(0);
  return rest;
};
const withoutHeader = (text: string): string => text.split('\n').slice(1).join('\n');

let whole: { json: string; text: string };
beforeAll(async () => {
  const json = await cli(['cohort', ...COMMON, '--json']);
  const text = await cli(['cohort', ...COMMON]);
  expect(json.code).toBe(0);
  whole = { json: json.out, text: text.out };
}, 60_000);

describe('shard ranges', () => {
  it('the shards of any split cover 0..n-1 once, contiguously, sizes differing by at most one', () => {
    for (const n of [1, 2, 9, 10, 101]) {
      for (const count of [1, 2, 3, 7, 12]) {
        const ranges = Array.from({ length: count }, (_, index) => shardRange({ index, count }, n));
        expect(ranges[0]?.start).toBe(0);
        expect(ranges.at(-1)?.end).toBe(n);
        for (let k = 1; k < count; k++) expect(ranges[k]?.start).toBe(ranges[k - 1]?.end);
        const sizes = ranges.map((r) => r.end - r.start);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('--shard is K/N with 0 <= K < N <= 10000, --out a writable file, checked before anything runs (exit 2 naming the value)', async () => {
    expect(parseShardFlag('3/7')).toEqual({ index: 3, count: 7 });
    for (const bad of ['7/7', '1', '-1/3', 'a/b', '0/0', '1/20000', '1/2/3']) {
      const r = await cli(['cohort', ...COMMON, '--shard', bad, '--out', join(dir, 'x.json')]);
      expect(r.code, bad).toBe(2);
      expect(r.err).toContain(`--shard = "${bad}"`);
    }
    for (const [out, message] of [
      [join(dir, 'no-such-folder', 'p.json'), /--out .*p\.json: cannot write in .*no-such-folder \(ENOENT\)/],
      [dir, /--out .*: exists and is not a regular file/],
    ] as const) {
      const r = await cli(['cohort', ...COMMON, '--patients', '500', '--shard', '0/2', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    }
    const noOut = await cli(['cohort', ...COMMON, '--shard', '0/2']);
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain('--shard needs --out');
  });
});

describe('a shard on worker threads', () => {
  it('runs exactly the patients of its range, each as in the whole in-process run', async () => {
    const o = { n: N_PATIENTS, seed: 11, maneuver: 'sustained-inflation' as const, protocol: defaultProtocol('sustained-inflation'), baseline: DEFAULT_SIM_BASELINE };
    const range = shardRange({ index: 1, count: 3 }, N_PATIENTS);
    const threaded = await runCohort({ ...o, workers: 1, range });
    const inProcess = await runCohort({ ...o, workers: 0 });
    expect(threaded.map((r) => r.index)).toEqual([3, 4, 5]);
    expect(threaded).toEqual(inProcess.slice(range.start, range.end));
  }, 60_000);

  it('a range outside the cohort is refused', async () => {
    const o = { n: 4, seed: 1, maneuver: 'sustained-inflation' as const, protocol: defaultProtocol('sustained-inflation'), baseline: DEFAULT_SIM_BASELINE, workers: 0 };
    await expect(runCohort({ ...o, range: { start: 2, end: 5 } })).rejects.toThrow(/not within the cohort of 4/);
    await expect(runCohort({ ...o, range: { start: 3, end: 2 } })).rejects.toThrow(/not within/);
  });
});

describe('rmseq cohort merge gives exactly the unsharded statistics', () => {
  for (const n of [1, 2, 3, 7, 12]) {
    it(`N = ${n}${n > N_PATIENTS ? ' (more shards than patients: some parts are empty)' : ''}`, async () => {
      const paths = await split(n);
      // Given in reverse order: merge orders by shard.
      const json = await cli(['cohort', 'merge', ...paths.reverse(), '--json']);
      expect(json.err).toBe('');
      expect(json.code).toBe(0);
      expect(stats(json.out)).toEqual(stats(whole.json));
      const text = await cli(['cohort', 'merge', ...paths]);
      expect(withoutHeader(text.out)).toBe(withoutHeader(whole.text));
      expect(text.out.split('\n')[0]).toMatch(new RegExp(`^cohort: ${N_PATIENTS} patients, seed 11, sustained-inflation, [\\d.]+ s wall \\(sum over ${n} shard`));
    }, 60_000);
  }

  it('the per-patient results are carried whole: every patient of the unsharded run, field for field', async () => {
    const paths = await split(2, [], 'p');
    const merged = JSON.parse((await cli(['cohort', 'merge', ...paths, '--json'])).out) as { patients: unknown[] };
    expect(merged.patients).toHaveLength(N_PATIENTS);
    expect(merged.patients).toEqual((JSON.parse(whole.json) as { patients: unknown[] }).patients);
  }, 60_000);
});

describe('rmseq cohort merge refuses parts that are not one run, cut once (exit 2)', () => {
  let parts: string[];
  beforeAll(async () => {
    parts = await split(3, [], 'r');
  }, 60_000);

  const refused = async (paths: string[], message: string | RegExp): Promise<void> => {
    const r = await cli(['cohort', 'merge', ...paths]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  };

  it('a missing shard', async () => {
    await refused([parts[0] as string, parts[2] as string], /missing shard 1 of 3/);
  });

  it('overlapping shards (the same shard twice)', async () => {
    const copy = join(dir, 'copy.json');
    writeFileSync(copy, readFileSync(parts[1] as string));
    await refused([...parts, copy], /both shard 1\/3 \(overlapping shards\)/);
  });

  it('a part of another seed', async () => {
    const [other] = await split(3, ['--seed', '12'], 'seed').then((p) => p.slice(1, 2));
    await refused([parts[0] as string, other as string, parts[2] as string], /different run .*: seed 12 vs 11/);
  }, 60_000);

  it('a part of another maneuver or another cohort size', async () => {
    const other = join(dir, 'other-maneuver.json');
    const r = await cli(['cohort', '--patients', String(N_PATIENTS), '--seed', '11', '--maneuver', 'high-pressure-pcv', '--workers', '0', '--shard', '1/3', '--out', other]);
    expect(r.code).toBe(0);
    await refused([parts[0] as string, other, parts[2] as string], /different run .*: maneuver "high-pressure-pcv" vs "sustained-inflation"/);
  }, 60_000);

  it('parts of different splits (shard counts)', async () => {
    const [half] = await split(2, [], 'half');
    await refused([half as string, ...parts.slice(1)], /is shard 1\/3 but .*parthalf-2-0\.json is of 2 shards: parts of one split only/);
  }, 60_000);

  it('a part written by another rmseq version', async () => {
    const part = JSON.parse(readFileSync(parts[1] as string, 'utf8')) as { rmseqVersion: string };
    part.rmseqVersion = '0.0.1-other';
    const path = join(dir, 'version.json');
    writeFileSync(path, JSON.stringify(part));
    await refused([parts[0] as string, path, parts[2] as string], /written by rmseq 0\.0\.1-other; this is rmseq /);
  });

  it('an edited configuration (hash no longer matches) or edited results', async () => {
    const part = JSON.parse(readFileSync(parts[1] as string, 'utf8')) as { config: { seed: number }; results: Array<{ index: number; outcome: unknown }> };
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify({ ...part, config: { ...part.config, seed: 99 } }));
    await refused([parts[0] as string, edited, parts[2] as string], /does not match its configHash/);
    const dropped = join(dir, 'dropped.json');
    writeFileSync(dropped, JSON.stringify({ ...part, results: part.results.slice(1) }));
    await refused([parts[0] as string, dropped, parts[2] as string], /must hold patients 3 to 5 in order/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...part, results: part.results.map((r, i) => (i === 0 ? { ...r, outcome: 42 } : r)) }));
    await refused([parts[0] as string, bad, parts[2] as string], /results\.0\.outcome/);
  });

  it('a file that is not a part, not JSON, too large, or the wrong command', async () => {
    const notPart = join(dir, 'not-part.json');
    writeFileSync(notPart, JSON.stringify({ hello: 1 }));
    await refused([notPart], /part .*not-part\.json: .*not a part written by this rmseq/);
    const notJson = join(dir, 'not-json.json');
    writeFileSync(notJson, '{');
    await refused([notJson], /not JSON/);
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, PART_MAX_BYTES + 1);
    await refused([huge], /over the size limit/);
    const part = JSON.parse(readFileSync(parts[0] as string, 'utf8')) as Record<string, unknown>;
    const trial = join(dir, 'trial-part.json');
    writeFileSync(trial, JSON.stringify({ ...part, command: 'trial' }));
    await refused([trial], /from `rmseq trial`, not `rmseq cohort`/);
    await refused([join(dir, 'nope.json')], /cannot read part file/);
  });

  it('cohort options given before merge are refused (the configuration comes from the parts)', async () => {
    const r = await cli(['cohort', '--seed', '3', 'merge', ...parts]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--seed given before merge');
  });
});
