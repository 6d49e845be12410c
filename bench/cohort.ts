/**
 * Seeded cohorts through a staircase on worker threads, against what the patient model alone
 * needs for the same patients over the same virtual time (the simulation-alone bound), and how
 * the cost grows: time per patient at each size (linear scaling shows as a flat per-patient
 * time) and the live heap of one worker's loop (flat: nothing accumulates per patient).
 */
import { availableParallelism } from 'node:os';
import { defaultProtocol } from '../machines/index.js';
import { generateCohort, SimMonitor, SimPatient, type CohortPatient } from '../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../src/cli/inputs.js';
import { withTitratedFio2 } from '../src/cohort/fio2.js';
import { DEFAULT_FIO2_TARGET_SAO2_PCT, runCohortPatient, type CohortResult } from '../src/cohort/patient.js';
import { cohortStats, runCohort } from '../src/cohort/pool.js';
import { heapCensus, type HeapCensus } from '../test/support/heapCensus.js';
import { fmt, type BenchRow } from './stats.js';

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * The patient model alone for one cohort patient over its session's virtual time: 1 s steps,
 * one monitor reading each (as the staircase bench's reference row). The session's virtual time
 * is the maneuver's duration plus the baseline window before the start.
 */
function simAloneMs(patient: CohortPatient, virtualMs: number): number {
  const settings = withTitratedFio2(patient.profile, patient.seed, DEFAULT_SIM_BASELINE, DEFAULT_FIO2_TARGET_SAO2_PCT);
  const p = new SimPatient(patient.profile, { seed: patient.seed, settings });
  const m = new SimMonitor(p, { seed: patient.seed * 7919 + 17 });
  const t = performance.now();
  for (let k = 0; k < virtualMs / 1000; k++) {
    p.advance(1000);
    m.vitals(p.timeMs);
  }
  return performance.now() - t;
}

export interface CohortBench {
  rows: BenchRow[];
  results: CohortResult[];
  stats: ReturnType<typeof cohortStats>;
  wallS: number;
  msPerPatient: number;
}

export async function benchCohort(n: number, targetS: number | null, workers = 2): Promise<CohortBench> {
  const protocol = defaultProtocol('staircase');
  const t = performance.now();
  const results = await runCohort({ n, seed: 1, maneuver: 'staircase', protocol, baseline: DEFAULT_SIM_BASELINE, workers });
  const wallS = (performance.now() - t) / 1000;
  const stats = cohortStats(results);
  const msPerPatient = (wallS * 1000 * workers) / n;
  const rows: BenchRow[] = [
    {
      name: `${n.toLocaleString('en')}-patient cohort, staircase, ${workers} worker threads (${availableParallelism()} cores here)`,
      figure: `${fmt(wallS, 1)} s (${fmt(msPerPatient, 1)} ms/patient/core)`,
      target: targetS === null ? 'reference (scaling)' : `< ${targetS} s`,
      ratio: targetS === null ? Number.NaN : targetS / wallS,
      note: `invariant violations: ${stats.violations.length}`,
    },
  ];
  return { rows, results, stats, wallS, msPerPatient };
}

/**
 * The simulation-alone bound of a cohort run: the patient model alone for every `every`-th
 * patient of the same seeded cohort over that patient's virtual time, scaled to the cohort and
 * divided by the workers. The cohort's wall time over this bound is the figure (target <= 4x).
 */
export function benchCohortBound(results: readonly CohortResult[], wallS: number, workers = 2, every = 50): BenchRow {
  const n = results.length;
  const cohort = generateCohort({ n, seed: 1 });
  const windowMs = defaultProtocol('staircase').safety.baselineWindowS * 1000;
  let simMs = 0;
  let sampled = 0;
  let virtualMs = 0;
  for (let i = 0; i < n; i += every) {
    const r = results[i]!;
    const v = r.durationMs + windowMs;
    simMs += simAloneMs(cohort[i]!, v);
    virtualMs += v;
    sampled++;
  }
  const boundS = (simMs / sampled) * n / workers / 1000;
  const x = wallS / boundS;
  return {
    name: `${n.toLocaleString('en')}-patient cohort on ${workers} workers / simulation-alone bound (patient model alone for every ${every}th patient over its session's virtual time, scaled to ${n.toLocaleString('en')}, / ${workers})`,
    figure: `${fmt(x, 1)} x (${fmt(wallS, 1)} s / ${fmt(boundS, 2)} s; mean virtual time ${fmt(virtualMs / sampled / 60000, 1)} min/patient)`,
    target: '<= 4 x',
    ratio: 4 / x,
  };
}

/** Per-patient time across cohort sizes: linear scaling keeps it flat (largest / smallest ~ 1). */
export function scalingRow(sizes: Array<{ n: number; msPerPatient: number }>): BenchRow {
  const first = sizes[0]!;
  const last = sizes[sizes.length - 1]!;
  const growth = last.msPerPatient / first.msPerPatient;
  return {
    name: `cohort cost growth: ms/patient/core at ${sizes.map((s) => s.n.toLocaleString('en')).join(', ')} patients`,
    figure: `${sizes.map((s) => fmt(s.msPerPatient, 1)).join(' / ')} ms (largest / smallest size: ${fmt(growth, 2)} x per patient)`,
    target: 'linear: <= 1.25 x per patient',
    ratio: 1.25 / growth,
  };
}

/**
 * One worker's loop (the same code as src/cohort/worker.ts, in this thread so its heap can be
 * read after a full GC): live heap after `warm` patients and after `n`, per patient in between.
 */
export async function benchWorkerMemory(n = 1000, warm = 100): Promise<BenchRow> {
  const cohort = generateCohort({ n, seed: 1 });
  const protocol = defaultProtocol('staircase');
  let heapWarm = 0;
  let censusWarm: HeapCensus | null = null;
  for (let index = 0; index < n; index++) {
    await runCohortPatient({ index, patient: cohort[index]!, maneuver: 'staircase', protocol, baseline: DEFAULT_SIM_BASELINE });
    if (index + 1 === warm) {
      gc();
      heapWarm = process.memoryUsage().heapUsed;
      censusWarm = heapCensus();
    }
  }
  gc();
  const heapEnd = process.memoryUsage().heapUsed;
  // Structural: the JavaScript values reachable (heap snapshots), apart from V8's compiled code
  // and caches, which make heapUsed move with JIT warm-up (test/support/heapCensus.ts).
  const censusEnd = heapCensus();
  const valuesKb = (censusEnd.valueBytes - censusWarm!.valueBytes) / (n - warm) / 1024;
  const engineKb = (censusEnd.engineBytes - censusWarm!.engineBytes) / (n - warm) / 1024;
  const perPatientKb = (heapEnd - heapWarm) / (n - warm) / 1024;
  const growthMb = (heapEnd - heapWarm) / 1e6;
  return {
    name: `memory of one cohort worker loop, ${n.toLocaleString('en')} patients (values reachable, from heap snapshots; live heap after a full GC)`,
    figure: `values ${fmt(valuesKb, 3)} kB/patient (${fmt(censusEnd.values - censusWarm!.values, 0)} values from patient ${warm} to ${n}); V8 code and metadata ${fmt(engineKb, 2)} kB/patient; live heap ${fmt(growthMb, 2)} MB (${fmt(perPatientKb, 2)} kB/patient; heap ${fmt(heapEnd / 1e6, 1)} MB)${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: noisy)'}`,
    target: 'flat: values < 1 kB/patient',
    ratio: 1 / Math.max(0.01, Math.abs(valuesKb)),
  };
}
