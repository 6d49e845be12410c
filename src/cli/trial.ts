/**
 * `rmseq trial --arms staircase,sustained-inflation,high-pressure-pcv,none --patients N --seed S`:
 * a virtual trial, every arm on the same seeded cohort, on the cohort workers; shards and merges
 * like `rmseq cohort`.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MANEUVERS, type ManeuverKind } from '../../machines/index.js';
import { runOnPool } from '../cohort/pool.js';
import { checkPartPath, configHash, mergeParts, parseShardFlag, PART_FORMAT, PART_FORMAT_VERSION, shardRange, writePart, type PartConfig } from '../cohort/shard.js';
import { DEFAULT_TRIAL_HORIZON_MIN, runTrialPatient, type TrialArm, type TrialPatientResult, type TrialTask } from '../cohort/trial.js';
import { formatTrialStats, trialStats, TrialPatientResultSchema, type TrialStats } from '../cohort/trialStats.js';
import { renderTrialReport } from '../report/trial.js';
import { CliError, EXIT } from './exitCodes.js';
import { intFlag, loadBaseline, loadProtocol, parseManeuver, readProtocolFile } from './inputs.js';
import type { RunIo } from './run.js';
import { ownVersion } from './versions.js';

export const MAX_TRIAL_ARMS = 8;
export const TRIAL_HORIZON_MIN = { min: 5, max: 240, default: DEFAULT_TRIAL_HORIZON_MIN } as const;

export interface TrialFlags {
  arms?: string;
  patients?: string;
  seed?: string;
  baseline?: string;
  horizonMin?: string;
  workers?: string;
  json?: boolean;
  html?: string;
  shard?: string;
  out?: string;
}

/**
 * `--arms`: comma-separated maneuver names (default protocol), protocol .json files (which name
 * their maneuver; e.g. two threshold sets of one maneuver) and `none`; 1-8 arms, no name twice.
 */
export function parseArms(value: string): TrialArm[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.length < 1 || items.length > MAX_TRIAL_ARMS || items.some((s) => s === '')) {
    throw new CliError(`--arms = "${value}": must be 1 to ${MAX_TRIAL_ARMS} comma-separated arms: ${MANEUVERS.join(', ')}, none, or protocol .json files`);
  }
  const arms: TrialArm[] = items.map((item) => {
    if (item === 'none') return { name: 'none', kind: 'none' };
    if (item.endsWith('.json')) {
      const protocol = readProtocolFile(item);
      if (protocol.maneuver === 'recruitability-screen') {
        throw new CliError(`--arms: ${item} is a recruitability-screen protocol: a trial arm is a maneuver (${MANEUVERS.join(', ')}) or none`);
      }
      return { name: basename(item, '.json'), kind: 'maneuver', maneuver: protocol.maneuver, protocol };
    }
    if (!(MANEUVERS as readonly string[]).includes(item)) {
      throw new CliError(`--arms: unknown arm "${item}": must be one of ${MANEUVERS.join(', ')}, none, or a protocol .json file`);
    }
    const maneuver = parseManeuver(item);
    return { name: item, kind: 'maneuver', maneuver, protocol: loadProtocol(maneuver) };
  });
  const names = arms.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new CliError(`--arms: arm "${twice}" given twice (protocol files are named by their file name: rename one)`);
  return arms;
}

function printTrial(io: RunIo, o: { n: number; seed: number; json: boolean; html?: string; wallMs: number; wallNote: string }, stats: TrialStats, results: readonly TrialPatientResult[]): number {
  const header = `trial: ${o.n} patients, seed ${o.seed}, arms ${stats.arms.join(', ')}, ${(o.wallMs / 1000).toFixed(1)} s wall${o.wallNote}`;
  if (o.html !== undefined) {
    try {
      writeFileSync(o.html, renderTrialReport(stats, { seed: o.seed }));
    } catch (e) {
      throw new CliError(`cannot write --html ${o.html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (o.json) io.stdout(`${JSON.stringify({ seed: o.seed, wallMs: Math.round(o.wallMs), ...stats, patients: results }, null, 2)}\n`);
  else io.stdout(`${formatTrialStats(stats, header)}\n${o.html !== undefined ? `HTML report written to ${o.html}\n` : ''}`);
  return stats.violations.length ? EXIT.internal : EXIT.completed;
}

export async function trialCommand(flags: TrialFlags, io: RunIo): Promise<number> {
  const arms = parseArms(flags.arms ?? 'staircase,sustained-inflation,high-pressure-pcv,none');
  const n = intFlag('patients', flags.patients, 1, 1_000_000, 100);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  const baseline = loadBaseline(flags.baseline);
  const horizonMin = intFlag('horizon-min', flags.horizonMin, TRIAL_HORIZON_MIN.min, TRIAL_HORIZON_MIN.max, TRIAL_HORIZON_MIN.default);
  const workers = flags.workers === undefined ? undefined : intFlag('workers', flags.workers, 0, 256, 0);
  const shard = flags.shard === undefined ? null : parseShardFlag(flags.shard);
  if (shard && flags.out === undefined) throw new CliError('--shard needs --out <part.json>: the part that `rmseq trial merge` reads');
  if (flags.out !== undefined && (flags.json || flags.html !== undefined)) throw new CliError('--out writes a part file; --json and --html report the whole trial: use them with merge');
  const task: TrialTask = { arms, baseline, horizonMs: horizonMin * 60_000 };
  if (flags.out !== undefined) checkPartPath(flags.out);
  const range = shard ? shardRange(shard, n) : { start: 0, end: n };
  const first = arms.find((a) => a.kind === 'maneuver');
  // The job's own maneuver fields are unused when `trial` is set; they carry the first maneuver arm for the worker's types.
  const job = { n, seed, maneuver: (first?.kind === 'maneuver' ? first.maneuver : 'staircase') as ManeuverKind, protocol: first?.kind === 'maneuver' ? first.protocol : loadProtocol('staircase'), baseline, trial: task };
  const started = performance.now();
  const results = await runOnPool<TrialPatientResult>(job, { range, ...(workers !== undefined ? { workers } : {}) }, (index, patient) => runTrialPatient(index, patient, task));
  const wallMs = performance.now() - started;
  const names = arms.map((a) => a.name);
  if (flags.out === undefined) {
    return printTrial(io, { n, seed, json: Boolean(flags.json), ...(flags.html !== undefined ? { html: flags.html } : {}), wallMs, wallNote: '' }, trialStats(results, names, task.horizonMs), results);
  }
  const config: PartConfig = { patients: n, seed, arms, baseline, horizonMs: task.horizonMs };
  const s = shard ?? { index: 0, count: 1 };
  writePart(
    flags.out,
    { format: PART_FORMAT, formatVersion: PART_FORMAT_VERSION, rmseqVersion: ownVersion(), command: 'trial', config, configHash: configHash(config), shard: { ...s, ...range }, wallMs, results },
    TrialPatientResultSchema,
  );
  const violations = results.filter((r) => r.arms.some((a) => a.violations.length)).length;
  io.stdout(`trial shard ${s.index}/${s.count}: patients ${range.start}-${range.end - 1} of ${n}, seed ${seed}, arms ${names.join(', ')}: ${results.length} run in ${(wallMs / 1000).toFixed(1)} s; part written to ${flags.out}${violations ? `; ${violations} with safety invariant violations` : ''}\n`);
  return violations ? EXIT.internal : EXIT.completed;
}

/** `rmseq trial merge part*.json`: the whole trial's statistics, recomputed from the parts' per-patient results. */
export function trialMergeCommand(paths: readonly string[], flags: { json?: boolean; html?: string }, io: RunIo): number {
  const merged = mergeParts(paths, 'trial', TrialPatientResultSchema, ownVersion());
  const c = merged.config as PartConfig & { arms: Array<{ name: string }>; horizonMs: number };
  if (!Array.isArray(c.arms) || typeof c.horizonMs !== 'number') throw new CliError(`part ${paths[0]}: config has no arms or horizonMs`);
  const stats = trialStats(merged.results, c.arms.map((a) => a.name), c.horizonMs);
  const note = ` (sum over ${merged.shards} shard${merged.shards > 1 ? 's' : ''})`;
  return printTrial(io, { n: c.patients, seed: c.seed, json: Boolean(flags.json), ...(flags.html !== undefined ? { html: flags.html } : {}), wallMs: merged.wallMs, wallNote: note }, stats, merged.results);
}
