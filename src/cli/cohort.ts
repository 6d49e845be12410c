/** `rmseq cohort`: a seeded virtual cohort through a maneuver, with outcome and abort statistics. */
import { cohortStats, formatCohortStats, runCohort } from '../cohort/pool.js';
import type { CohortResult } from '../cohort/patient.js';

/** One patient of `cohort --json`: outcome, final PEEP, the deciding method, each method's PEEP and the final limits. */
export function cohortPatientJson(r: CohortResult) {
  return {
    id: r.id,
    archetype: r.archetype,
    outcome: r.outcome,
    abortReason: r.abortReason,
    abortGuard: r.abortGuard,
    finalPeepCmH2O: r.finalPeepCmH2O,
    decidedBy: r.decidedBy,
    derecruitmentSeen: r.derecruitmentSeen,
    methodPeeps: r.methodPeeps,
    methodsDisagree: r.methodsDisagree,
    baselineFio2: r.baselineFio2,
    fio2TitratedTo: r.fio2TitratedTo,
    spo2Blind: r.spo2Blind,
    fallback: r.fallback,
    finalPlateauCmH2O: r.finalPlateauCmH2O,
    finalDrivingPressureCmH2O: r.finalDrivingPressureCmH2O,
    finalTidalVolumeMlPerKg: r.finalTidalVolumeMlPerKg,
    finalWithinLimits: r.finalWithinLimits,
    preoxygenated: r.preoxygenated ?? false,
    preoxSpo2Pct: r.preoxSpo2Pct ?? null,
  };
}
import { EXIT, CliError } from './exitCodes.js';
import { intFlag, loadBaseline, loadProtocol, parseManeuver } from './inputs.js';
import type { RunIo } from './run.js';
import { ownVersion } from './versions.js';
import { checkPartPath, CohortResultSchema, configHash, mergeParts, parseShardFlag, PART_FORMAT, PART_FORMAT_VERSION, shardRange, writePart, type PartConfig } from '../cohort/shard.js';
import type { ManeuverKind } from '../../machines/index.js';

export interface CohortFlags {
  patients?: string;
  seed?: string;
  maneuver?: string;
  protocol?: string;
  baseline?: string;
  workers?: string;
  json?: boolean;
  shard?: string;
  out?: string;
}

/** What `cohort` prints for a whole cohort: the same for one run and for merged parts. */
function printCohort(io: RunIo, o: { n: number; seed: number; maneuver: ManeuverKind; wallMs: number; json: boolean; wallNote: string }, results: readonly CohortResult[]): number {
  const stats = cohortStats(results);
  if (o.json) io.stdout(`${JSON.stringify({ seed: o.seed, maneuver: o.maneuver, wallMs: Math.round(o.wallMs), ...stats, patients: results.map(cohortPatientJson) }, null, 2)}\n`);
  else io.stdout(`${formatCohortStats(stats, `cohort: ${o.n} patients, seed ${o.seed}, ${o.maneuver}, ${(o.wallMs / 1000).toFixed(1)} s wall${o.wallNote}`)}\n`);
  return stats.violations.length ? EXIT.internal : EXIT.completed;
}

export async function cohortCommand(flags: CohortFlags, io: RunIo): Promise<number> {
  const n = intFlag('patients', flags.patients, 1, 1_000_000, 100);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  const maneuver = parseManeuver(flags.maneuver ?? 'staircase');
  const protocol = loadProtocol(maneuver, flags.protocol);
  const baseline = loadBaseline(flags.baseline);
  const workers = flags.workers === undefined ? undefined : intFlag('workers', flags.workers, 0, 256, 0);
  const shard = flags.shard === undefined ? null : parseShardFlag(flags.shard);
  if (shard && flags.out === undefined) throw new CliError('--shard needs --out <part.json>: the part that `rmseq cohort merge` reads');
  if (flags.out !== undefined && flags.json) throw new CliError('--out writes a part file; --json prints the whole cohort: use one (merge prints --json)');
  if (flags.out !== undefined) checkPartPath(flags.out);
  const range = shard ? shardRange(shard, n) : { start: 0, end: n };
  const started = performance.now();
  const results = await runCohort({ n, seed, maneuver, protocol, baseline, range, ...(workers !== undefined ? { workers } : {}) });
  const wallMs = performance.now() - started;
  if (flags.out === undefined) return printCohort(io, { n, seed, maneuver, wallMs, json: Boolean(flags.json), wallNote: '' }, results);
  const config: PartConfig = { patients: n, seed, maneuver, protocol, baseline };
  const s = shard ?? { index: 0, count: 1 };
  writePart(
    flags.out,
    { format: PART_FORMAT, formatVersion: PART_FORMAT_VERSION, rmseqVersion: ownVersion(), command: 'cohort', config, configHash: configHash(config), shard: { ...s, ...range }, wallMs, results },
    CohortResultSchema,
  );
  const violations = results.filter((r) => r.violations.length).length;
  io.stdout(`cohort shard ${s.index}/${s.count}: patients ${range.start}-${range.end - 1} of ${n}, seed ${seed}, ${maneuver}: ${results.length} run in ${(wallMs / 1000).toFixed(1)} s; part written to ${flags.out}${violations ? `; ${violations} with safety invariant violations` : ''}\n`);
  return violations ? EXIT.internal : EXIT.completed;
}

/** `rmseq cohort merge part*.json`: the statistics of the whole cohort, recomputed from the parts' per-patient results. */
export function cohortMergeCommand(paths: readonly string[], flags: { json?: boolean }, io: RunIo): number {
  const merged = mergeParts(paths, 'cohort', CohortResultSchema, ownVersion());
  const c = merged.config as PartConfig & { maneuver: ManeuverKind };
  return printCohort(io, { n: c.patients, seed: c.seed, maneuver: c.maneuver, wallMs: merged.wallMs, json: Boolean(flags.json), wallNote: ` (sum over ${merged.shards} shard${merged.shards > 1 ? 's' : ''})` }, merged.results);
}
