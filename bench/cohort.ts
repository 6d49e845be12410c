/** Seeded cohorts through a staircase on worker threads. */
import { availableParallelism } from 'node:os';
import { defaultProtocol } from '../machines/index.js';
import { DEFAULT_SIM_BASELINE } from '../src/cli/inputs.js';
import { cohortStats, runCohort } from '../src/cohort/pool.js';
import { fmt, type BenchRow } from './stats.js';

export async function benchCohort(n: number, targetS: number, workers = 2): Promise<{ row: BenchRow; stats: ReturnType<typeof cohortStats> }> {
  const t = performance.now();
  const results = await runCohort({ n, seed: 1, maneuver: 'staircase', protocol: defaultProtocol('staircase'), baseline: DEFAULT_SIM_BASELINE, workers });
  const wallS = (performance.now() - t) / 1000;
  const stats = cohortStats(results);
  return {
    row: {
      name: `${n.toLocaleString('en')}-patient cohort, staircase, ${workers} worker threads (${availableParallelism()} cores here)`,
      figure: `${fmt(wallS, 1)} s (${fmt((wallS * 1000 * workers) / n, 1)} ms/patient/core)`,
      target: `< ${targetS} s`,
      ratio: targetS / wallS,
      note: `invariant violations: ${stats.violations.length}`,
    },
    stats,
  };
}
