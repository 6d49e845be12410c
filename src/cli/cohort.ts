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
  if (flags.json) io.stdout(`${JSON.stringify({ seed, maneuver, wallMs: Math.round(wallMs), ...stats, patients: results.map(cohortPatientJson) }, null, 2)}\n`);
  else io.stdout(`${formatCohortStats(stats, `cohort: ${n} patients, seed ${seed}, ${maneuver}, ${(wallMs / 1000).toFixed(1)} s wall`)}\n`);
  return stats.violations.length ? EXIT.internal : EXIT.completed;
}
