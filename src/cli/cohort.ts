/** `rmseq cohort`: a seeded virtual cohort through a maneuver, with outcome and abort statistics. */
import { cohortStats, formatCohortStats, runCohort } from '../cohort/pool.js';
import { EXIT } from './exitCodes.js';
import { intFlag, loadBaseline, loadProtocol, parseManeuver } from './inputs.js';
import type { RunIo } from './run.js';

export interface CohortFlags {
  patients?: string;
  seed?: string;
  maneuver?: string;
  protocol?: string;
  baseline?: string;
  workers?: string;
  json?: boolean;
}

export async function cohortCommand(flags: CohortFlags, io: RunIo): Promise<number> {
  const n = intFlag('patients', flags.patients, 1, 1_000_000, 100);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  const maneuver = parseManeuver(flags.maneuver ?? 'staircase');
  const protocol = loadProtocol(maneuver, flags.protocol);
  const baseline = loadBaseline(flags.baseline);
  const workers = flags.workers === undefined ? undefined : intFlag('workers', flags.workers, 0, 256, 0);
  const started = performance.now();
  const results = await runCohort({ n, seed, maneuver, protocol, baseline, ...(workers !== undefined ? { workers } : {}) });
  const wallMs = performance.now() - started;
  const stats = cohortStats(results);
  if (flags.json) io.stdout(`${JSON.stringify({ seed, maneuver, wallMs: Math.round(wallMs), ...stats }, null, 2)}\n`);
  else io.stdout(`${formatCohortStats(stats, `cohort: ${n} patients, seed ${seed}, ${maneuver}, ${(wallMs / 1000).toFixed(1)} s wall`)}\n`);
  return stats.violations.length ? EXIT.internal : EXIT.completed;
}
