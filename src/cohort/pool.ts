/**
 * Runs a seeded virtual cohort through a maneuver on worker threads. Each worker
 * regenerates the same cohort from (n, seed) and runs the indices it is given, so only
 * numbers cross thread boundaries and the result does not depend on the worker count.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ManeuverKind, Protocol, VentSettings } from '../../machines/index.js';
import { generateCohort, type CohortPatient } from '../../sim/index.js';
import { runCohortPatient, type CohortResult } from './patient.js';
import type { TrialTask } from './trial.js';

export interface CohortJob {
  n: number;
  seed: number;
  maneuver: ManeuverKind;
  protocol: Protocol;
  baseline: VentSettings;
  indices: number[];
  /** Set: each patient goes through every arm of this virtual trial (trial.ts) instead of `maneuver`. */
  trial?: TrialTask;
}

/** Patients `start` (inclusive) to `end` (exclusive) of the seeded cohort: one shard (src/cohort/shard.ts). */
export interface CohortRange {
  start: number;
  end: number;
}

export interface CohortOptions {
  n: number;
  seed: number;
  maneuver: ManeuverKind;
  protocol: Protocol;
  baseline: VentSettings;
  /** 0 runs in this thread (tests); default: one worker per core. */
  workers?: number;
  onResult?: (r: CohortResult) => void;
  /** Only these patients of the cohort of `n` (default: all). */
  range?: CohortRange;
}

/**
 * The worker entry: compiled, dist/src/cohort/worker.js. From the TypeScript sources (tsx,
 * vitest) a worker cannot take tsx through execArgv on Node 20, so a tiny data: module
 * registers tsx's loader in the worker and then imports worker.ts.
 */
function workerUrl(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./worker.js', here);
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', here).href;
  const boot = `const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

export async function runCohort(o: CohortOptions): Promise<CohortResult[]> {
  const job = { n: o.n, seed: o.seed, maneuver: o.maneuver, protocol: o.protocol, baseline: o.baseline };
  return runOnPool<CohortResult>(job, o, (index, patient) => runCohortPatient({ index, patient, maneuver: o.maneuver, protocol: o.protocol, baseline: o.baseline }));
}

/**
 * Runs the patients of `o.range` (default all of `job.n`) in this thread (`workers: 0`) with
 * `runHere`, or on worker threads with the job; results sorted by index. Only the prefix of the
 * cohort up to the range's end is generated (the first k patients of a cohort do not depend on n).
 */
export async function runOnPool<R extends { index: number }>(
  job: Omit<CohortJob, 'indices'>,
  o: { workers?: number; range?: CohortRange; onResult?: (r: R) => void },
  runHere: (index: number, patient: CohortPatient) => Promise<R>,
): Promise<R[]> {
  const { start, end } = o.range ?? { start: 0, end: job.n };
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= job.n)) {
    throw new RangeError(`cohort range [${start}, ${end}) is not within the cohort of ${job.n}`);
  }
  const count = end - start;
  const workers = Math.max(0, Math.min(o.workers ?? availableParallelism(), count));
  const results: R[] = [];
  const collect = (r: R): void => {
    results.push(r);
    o.onResult?.(r);
  };
  if (count === 0) return results;
  if (workers === 0) {
    const cohort = generateCohort({ n: end, seed: job.seed });
    for (let index = start; index < end; index++) collect(await runHere(index, cohort[index] as CohortPatient));
  } else {
    const url = workerUrl();
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const indices = Array.from({ length: count }, (_, i) => start + i).filter((i) => i % workers === w);
        const workerJob: CohortJob = { ...job, n: end, indices };
        return new Promise<void>((resolve, reject) => {
          const worker = new Worker(url, { workerData: workerJob });
          worker.on('message', (r: R) => collect(r));
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cohort worker ${w} exited with ${code}`))));
        });
      }),
    );
  }
  return results.sort((a, b) => a.index - b.index);
}

export interface CohortStats {
  n: number;
  outcomes: Record<string, number>;
  abortReasons: Record<string, number>;
  abortGuards: Record<string, number>;
  byArchetype: Record<string, { n: number; outcomes: Record<string, number> }>;
  finalPeep: { n: number; mean: number | null; min: number | null; max: number | null };
  /** Completed runs by final PEEP (cmH2O -> count). */
  finalPeepDistribution: Record<string, number>;
  /** Completed staircases: how many were decided by a method that saw derecruitment, and by which method. */
  titration: {
    completed: number;
    derecruitmentSeen: number;
    decidedBy: Record<string, number>;
    methodsDisagree: number;
    fallback: number;
    spo2Blind: number;
    /**
     * The same by recruitability class (Gattinoni 2006: below 3 % of the lung recruitable a
     * non-recruiter, whose lung has next to nothing to derecruit; below 9 % low): completed
     * staircases and derecruitment seen by the deciding method.
     */
    byRecruiterClass: Record<string, { completed: number; derecruitmentSeen: number }>;
  };
  /** Completed runs whose measured final settings exceed a lung-protective limit (target 0), and the largest values. */
  limits: { exceeded: number; unmeasured: number; maxPlateauCmH2O: number | null; maxDrivingPressureCmH2O: number | null; maxTidalVolumeMlPerKg: number | null };
  /** Pre-oxygenated runs (issue 15, item 8), by outcome. */
  preoxygenation?: { n: number; outcomes: Record<string, number> };
  violations: Array<{ id: string; violations: string[] }>;
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

export function cohortStats(results: readonly CohortResult[]): CohortStats {
  const s: CohortStats = {
    n: results.length,
    outcomes: {},
    abortReasons: {},
    abortGuards: {},
    byArchetype: {},
    finalPeep: { n: 0, mean: null, min: null, max: null },
    finalPeepDistribution: {},
    titration: { completed: 0, derecruitmentSeen: 0, decidedBy: {}, methodsDisagree: 0, fallback: 0, spo2Blind: 0, byRecruiterClass: {} },
    limits: { exceeded: 0, unmeasured: 0, maxPlateauCmH2O: null, maxDrivingPressureCmH2O: null, maxTidalVolumeMlPerKg: null },
    preoxygenation: { n: 0, outcomes: {} },
    violations: [],
  };
  const peeps: number[] = [];
  const max = (a: number | null, b: number | null): number | null => (b === null ? a : a === null ? b : Math.max(a, b));
  for (const r of results) {
    bump(s.outcomes, r.outcome);
    if (r.abortReason) bump(s.abortReasons, r.abortReason);
    if (r.abortGuard) bump(s.abortGuards, r.abortGuard);
    const a = (s.byArchetype[r.archetype] ??= { n: 0, outcomes: {} });
    a.n++;
    bump(a.outcomes, r.outcome);
    if (r.outcome === 'completed' && r.finalPeepCmH2O !== null) {
      peeps.push(r.finalPeepCmH2O);
      bump(s.finalPeepDistribution, String(r.finalPeepCmH2O));
    }
    if (r.outcome === 'completed') {
      if (r.finalWithinLimits === false) s.limits.exceeded++;
      if (r.finalWithinLimits === null) s.limits.unmeasured++;
      s.limits.maxPlateauCmH2O = max(s.limits.maxPlateauCmH2O, r.finalPlateauCmH2O);
      s.limits.maxDrivingPressureCmH2O = max(s.limits.maxDrivingPressureCmH2O, r.finalDrivingPressureCmH2O);
      s.limits.maxTidalVolumeMlPerKg = max(s.limits.maxTidalVolumeMlPerKg, r.finalTidalVolumeMlPerKg);
      if (r.decidedBy !== null) {
        s.titration.completed++;
        if (r.derecruitmentSeen) s.titration.derecruitmentSeen++;
        bump(s.titration.decidedBy, r.decidedBy);
        if (r.methodsDisagree) s.titration.methodsDisagree++;
        if (r.fallback) s.titration.fallback++;
        if (r.spo2Blind) s.titration.spo2Blind++;
        const cls = recruiterClassOf(r.archetype);
        if (cls !== null) {
          const c = (s.titration.byRecruiterClass[cls] ??= { completed: 0, derecruitmentSeen: 0 });
          c.completed++;
          if (r.derecruitmentSeen) c.derecruitmentSeen++;
        }
      }
    }
    if (r.preoxygenated) {
      s.preoxygenation!.n++;
      bump(s.preoxygenation!.outcomes, r.abortGuard?.startsWith('preoxygenation') ? `no RM (${r.abortGuard})` : r.outcome);
    }
    if (r.violations.length) s.violations.push({ id: r.id, violations: r.violations });
  }
  if (peeps.length) {
    s.finalPeep = { n: peeps.length, mean: Math.round((peeps.reduce((x, y) => x + y, 0) / peeps.length) * 10) / 10, min: Math.min(...peeps), max: Math.max(...peeps) };
  }
  return s;
}

/** The recruitability class of a cohort archetype (`severity/class/volume status`), null for another label. */
function recruiterClassOf(archetype: string): string | null {
  const cls = archetype.split('/')[1];
  return cls === 'non-recruiter' || cls === 'low-recruiter' || cls === 'high-recruiter' ? cls : null;
}

const pct = (k: number, n: number): string => `${((100 * k) / Math.max(1, n)).toFixed(1)}%`;

const CLASS_ORDER = ['high-recruiter', 'low-recruiter', 'non-recruiter'];

export function formatCohortStats(s: CohortStats, header: string): string {
  const lines = [header, `patients: ${s.n}`, 'outcomes:'];
  for (const [k, v] of Object.entries(s.outcomes).sort()) lines.push(`  ${k.padEnd(12)} ${String(v).padStart(6)}  ${pct(v, s.n)}`);
  lines.push('abort reasons (share of all patients):');
  for (const [k, v] of Object.entries(s.abortReasons).sort((a, b) => b[1] - a[1])) lines.push(`  ${k.padEnd(16)} ${String(v).padStart(6)}  ${pct(v, s.n)}`);
  lines.push('by archetype:');
  for (const [k, v] of Object.entries(s.byArchetype).sort()) {
    lines.push(`  ${k.padEnd(18)} n=${String(v.n).padStart(5)}  ${Object.entries(v.outcomes).map(([o, c]) => `${o} ${pct(c, v.n)}`).join(', ')}`);
  }
  if (s.finalPeep.n) {
    lines.push(`final PEEP (completed): mean ${s.finalPeep.mean}, range ${s.finalPeep.min}-${s.finalPeep.max} cmH2O`);
    const dist = Object.entries(s.finalPeepDistribution).sort((a, b) => Number(a[0]) - Number(b[0]));
    lines.push(`  distribution: ${dist.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  }
  const t = s.titration;
  if (t.completed) {
    lines.push(`titration (completed staircases: ${t.completed}): derecruitment seen by the deciding method ${t.derecruitmentSeen} (${pct(t.derecruitmentSeen, t.completed)})`);
    const classes = Object.entries(t.byRecruiterClass).sort((a, b) => CLASS_ORDER.indexOf(a[0]) - CLASS_ORDER.indexOf(b[0]));
    if (classes.length) {
      const recruitable = classes.filter(([k]) => k !== 'non-recruiter').reduce((a, [, v]) => ({ completed: a.completed + v.completed, seen: a.seen + v.derecruitmentSeen }), { completed: 0, seen: 0 });
      lines.push(`  by recruitability: ${classes.map(([k, v]) => `${k} ${v.derecruitmentSeen}/${v.completed} (${pct(v.derecruitmentSeen, v.completed)})`).join(', ')}; with recruitable lung (>= 3 %): ${recruitable.seen}/${recruitable.completed} (${pct(recruitable.seen, recruitable.completed)})`);
    }
    lines.push(`  decided by: ${Object.entries(t.decidedBy).map(([k, v]) => `${k} ${v}`).join(', ')}; methods disagree > 1 step: ${t.methodsDisagree}; desaturation fallback: ${t.fallback}; SpO2 blind after FiO2 titration: ${t.spo2Blind}`);
  }
  const l = s.limits;
  lines.push(`final settings beyond the lung-protective limits (completed): ${l.exceeded}${l.unmeasured ? ` (${l.unmeasured} not measured)` : ''}; max plateau ${l.maxPlateauCmH2O ?? '-'}, driving pressure ${l.maxDrivingPressureCmH2O ?? '-'} cmH2O, Vt ${l.maxTidalVolumeMlPerKg ?? '-'} mL/kg PBW`);
  const po = s.preoxygenation;
  if (po?.n) lines.push(`pre-oxygenated first: ${po.n} (${pct(po.n, s.n)}): ${Object.entries(po.outcomes).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`safety invariant violations: ${s.violations.length}`);
  for (const v of s.violations.slice(0, 10)) lines.push(`  ${v.id}: ${v.violations.join('; ')}`);
  return lines.join('\n');
}
