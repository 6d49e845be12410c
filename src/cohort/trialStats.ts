/**
 * Statistics of a virtual trial, per arm and per patient group, with 95% confidence intervals:
 * Wilson score intervals for proportions (abort rates, by reason; share exposed; pneumothorax),
 * Student t intervals for means (change in P/F, SaO2 and compliance, final PEEP, minutes above
 * the barotrauma thresholds), and paired t intervals for each arm's difference from `none` on
 * the same patients. All closed-form: no resampling, so nothing to seed, and a merge of shards
 * recomputes them exactly from the per-patient results.
 */
import { z } from 'zod';
import type { TrialArmResult, TrialPatientResult } from './trial.js';

export const TRIAL_GROUPS = ['all', 'recruiter', 'non-recruiter', 'high-recruiter', 'fluid-responsive', 'euvolemic', 'mild', 'moderate', 'severe'] as const;
export type TrialGroup = (typeof TRIAL_GROUPS)[number];

/**
 * The groups of a patient, from its cohort archetype `severity/recruiter class/volume status`
 * (sim/cohort.ts): recruiter = recruitable fraction >= 3% (low or high recruiter; Gattinoni
 * 2006), high-recruiter >= 9%; fluid-responsive = the preload-dependent circulation; severity =
 * the Berlin class.
 */
export function groupsOf(archetype: string): TrialGroup[] {
  const [severity, recruiter, volume] = archetype.split('/');
  const g: TrialGroup[] = ['all'];
  g.push(recruiter === 'non-recruiter' ? 'non-recruiter' : 'recruiter');
  if (recruiter === 'high-recruiter') g.push('high-recruiter');
  g.push(volume === 'fluid-responsive' ? 'fluid-responsive' : 'euvolemic');
  if (severity === 'mild' || severity === 'moderate' || severity === 'severe') g.push(severity);
  return g;
}

const Z95 = 1.959963984540054;
/** t(0.975, df) for df 1..30; above, the Cornish-Fisher expansion (error < 1e-4). */
const T975 = [12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423];

export function tQuantile975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`t quantile needs df >= 1 (got ${df})`);
  if (df <= 30) return T975[Math.floor(df) - 1] as number;
  const z = Z95;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

/** A proportion k/n in percent with its Wilson 95% interval (null when n = 0). */
export interface Proportion {
  k: number;
  n: number;
  pct: number | null;
  lo: number | null;
  hi: number | null;
}

export function wilson(k: number, n: number): Proportion {
  if (n === 0) return { k, n, pct: null, lo: null, hi: null };
  const p = k / n;
  const z2 = Z95 * Z95;
  const d = 1 + z2 / n;
  const c = (p + z2 / (2 * n)) / d;
  const h = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / d;
  return { k, n, pct: r2(100 * p), lo: r2(100 * Math.max(0, c - h)), hi: r2(100 * Math.min(1, c + h)) };
}

/** A mean with its t 95% interval (interval null below 2 values). */
export interface Estimate {
  n: number;
  mean: number | null;
  lo: number | null;
  hi: number | null;
}

export function meanCi(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) return { n, mean: null, lo: null, hi: null };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { n, mean: r2(mean), lo: null, hi: null };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const half = (tQuantile975(n - 1) * Math.sqrt(ss / (n - 1))) / Math.sqrt(n);
  return { n, mean: r2(mean), lo: r2(mean - half), hi: r2(mean + half) };
}

export interface TrialArmGroupStats {
  n: number;
  outcomes: Record<string, number>;
  aborted: Proportion;
  /** Aborts by reason, as a share of the arm's patients in the group. */
  abortReasons: Record<string, Proportion>;
  /** Assessment minus time 0 (true values of the simulated patient). */
  deltaPfRatio: Estimate;
  deltaSao2Pct: Estimate;
  deltaComplianceMlPerCmH2O: Estimate;
  finalPeepCmH2O: Estimate;
  plateauAbove30Min: Estimate;
  drivingPressureAbove15Min: Estimate;
  exposedPlateauAbove30: Proportion;
  exposedDrivingPressureAbove15: Proportion;
  pneumothorax: Proportion;
  /** Maneuvers that ran past the assessment time (assessed at their end instead). */
  overHorizon: number;
  /** This arm minus `none` on the same patients (paired), when the trial has a `none` arm. */
  vsNone: { deltaPfRatio: Estimate; deltaComplianceMlPerCmH2O: Estimate } | null;
}

export interface TrialStats {
  n: number;
  arms: string[];
  horizonMin: number;
  /** Every arm of every patient started from the same simulated patient (hash and time-0 values). */
  samePatients: boolean;
  groups: Record<TrialGroup, { n: number; arms: Record<string, TrialArmGroupStats> }>;
  violations: Array<{ id: string; arm: string; violations: string[] }>;
}

function armStats(rows: ReadonlyArray<{ arm: TrialArmResult; none: TrialArmResult | null }>, horizonMs: number, hasNone: boolean): TrialArmGroupStats {
  const n = rows.length;
  const outcomes: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  let aborted = 0;
  for (const { arm } of rows) {
    outcomes[arm.outcome] = (outcomes[arm.outcome] ?? 0) + 1;
    if (arm.outcome === 'aborted') aborted++;
    if (arm.abortReason) reasons[arm.abortReason] = (reasons[arm.abortReason] ?? 0) + 1;
  }
  const col = (f: (a: TrialArmResult) => number): number[] => rows.map((r) => f(r.arm));
  const paired = (f: (a: TrialArmResult) => number): number[] => rows.map((r) => f(r.arm) - f(r.none as TrialArmResult));
  return {
    n,
    outcomes,
    aborted: wilson(aborted, n),
    abortReasons: Object.fromEntries(Object.entries(reasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => [k, wilson(v, n)])),
    deltaPfRatio: meanCi(col((a) => a.finalPfRatio - a.baselinePfRatio)),
    deltaSao2Pct: meanCi(col((a) => a.finalSao2Pct - a.baselineSao2Pct)),
    deltaComplianceMlPerCmH2O: meanCi(col((a) => a.finalComplianceMlPerCmH2O - a.baselineComplianceMlPerCmH2O)),
    finalPeepCmH2O: meanCi(col((a) => a.finalPeepCmH2O)),
    plateauAbove30Min: meanCi(col((a) => a.plateauAbove30S / 60)),
    drivingPressureAbove15Min: meanCi(col((a) => a.drivingPressureAbove15S / 60)),
    exposedPlateauAbove30: wilson(rows.filter((r) => r.arm.plateauAbove30S > 0).length, n),
    exposedDrivingPressureAbove15: wilson(rows.filter((r) => r.arm.drivingPressureAbove15S > 0).length, n),
    pneumothorax: wilson(rows.filter((r) => r.arm.pneumothorax).length, n),
    overHorizon: rows.filter((r) => r.arm.maneuverMs > horizonMs).length,
    vsNone: hasNone
      ? { deltaPfRatio: meanCi(paired((a) => a.finalPfRatio - a.baselinePfRatio)), deltaComplianceMlPerCmH2O: meanCi(paired((a) => a.finalComplianceMlPerCmH2O - a.baselineComplianceMlPerCmH2O)) }
      : null,
  };
}

/** Every statistic of the trial, from the per-patient results (in index order). */
export function trialStats(results: readonly TrialPatientResult[], arms: readonly string[], horizonMs: number): TrialStats {
  const hasNone = arms.includes('none');
  let samePatients = true;
  for (const r of results) {
    const [first, ...rest] = r.arms;
    if (!first || r.arms.length !== arms.length) samePatients = false;
    for (const a of rest) {
      if (a.patientHash !== first?.patientHash || a.baselinePfRatio !== first.baselinePfRatio || a.baselineComplianceMlPerCmH2O !== first.baselineComplianceMlPerCmH2O || a.baselineSao2Pct !== first.baselineSao2Pct) samePatients = false;
    }
  }
  const groups = {} as TrialStats['groups'];
  for (const g of TRIAL_GROUPS) {
    const members = results.filter((r) => groupsOf(r.archetype).includes(g));
    groups[g] = {
      n: members.length,
      arms: Object.fromEntries(
        arms.map((name, i) => [
          name,
          armStats(
            members.map((m) => ({ arm: m.arms[i] as TrialArmResult, none: hasNone ? (m.arms[arms.indexOf('none')] as TrialArmResult) : null })),
            horizonMs,
            hasNone && name !== 'none',
          ),
        ]),
      ),
    };
  }
  const violations = results.flatMap((r) => r.arms.filter((a) => a.violations.length).map((a) => ({ id: r.id, arm: a.arm, violations: a.violations })));
  return { n: results.length, arms: [...arms], horizonMin: horizonMs / 60_000, samePatients, groups, violations };
}

/** A value as shown: rounded to `digits` first, so a small negative value shows as 0.0, not -0.0. */
const num = (v: number | null, digits = 1, sign = false): string => {
  if (v === null) return '-';
  const r = Number(v.toFixed(digits)) || 0;
  return `${sign && r > 0 ? '+' : ''}${r.toFixed(digits)}`;
};
const est = (e: Estimate, digits = 1, sign = true): string => (e.mean === null ? '-' : `${num(e.mean, digits, sign)} [${num(e.lo, digits, sign)}, ${num(e.hi, digits, sign)}]`);
const prop = (p: Proportion): string => (p.pct === null ? '-' : `${p.pct.toFixed(1)}% [${num(p.lo)}, ${num(p.hi)}]`);

/** The trial as text tables: one per patient group, a row per arm. */
export function formatTrialStats(s: TrialStats, header: string): string {
  const lines = [header, `assessment at ${s.horizonMin} min of virtual time after each arm's start; 95% CI: t for means, Wilson for proportions, paired t for the difference from none`];
  lines.push(`same virtual patients in every arm: ${s.samePatients ? 'yes' : 'NO'}`);
  const cols = ['arm', 'n', 'dP/F mmHg', 'dCrs mL/cmH2O', 'final PEEP', 'aborted', 'Pplat>30 min', 'DP>15 min', 'dP/F vs none'];
  const width = [22, 6, 24, 22, 18, 22, 18, 18, 24];
  const row = (cells: string[]): string => cells.map((c, i) => (i === 1 ? c.padStart(width[i] as number) : c.padEnd(width[i] as number))).join(' ').trimEnd();
  for (const g of TRIAL_GROUPS) {
    const group = s.groups[g];
    if (!group.n) continue;
    lines.push('', `group ${g} (n=${group.n})`, row(cols));
    for (const arm of s.arms) {
      const a = group.arms[arm] as TrialArmGroupStats;
      lines.push(
        row([
          arm.slice(0, 22),
          String(a.n),
          est(a.deltaPfRatio),
          est(a.deltaComplianceMlPerCmH2O),
          est(a.finalPeepCmH2O, 1, false),
          prop(a.aborted),
          est(a.plateauAbove30Min, 1, false),
          est(a.drivingPressureAbove15Min, 1, false),
          a.vsNone ? est(a.vsNone.deltaPfRatio) : '-',
        ]),
      );
    }
    for (const arm of s.arms) {
      const reasons = Object.entries((group.arms[arm] as TrialArmGroupStats).abortReasons);
      if (reasons.length) lines.push(`  ${arm} aborts by reason: ${reasons.map(([k, p]) => `${k} ${prop(p)}`).join(', ')}`);
    }
  }
  lines.push('', `safety invariant violations: ${s.violations.length}`);
  for (const v of s.violations.slice(0, 10)) lines.push(`  ${v.id} ${v.arm}: ${v.violations.join('; ')}`);
  return lines.join('\n');
}

/** One patient of a trial part: every field, checked (zod). */
export const TrialPatientResultSchema: z.ZodType<TrialPatientResult> = z
  .object({
    index: z.number().int().min(0),
    id: z.string().max(32),
    archetype: z.string().max(128),
    recruitableFraction: z.number().min(0).max(1),
    arms: z
      .array(
        z
          .object({
            arm: z.string().max(256),
            outcome: z.string().max(64),
            abortReason: z.string().max(128).nullable(),
            patientHash: z.string().regex(/^[0-9a-f]{16}$/),
            maneuverMs: z.number().min(0),
            assessedAtMs: z.number().min(0),
            baselinePfRatio: z.number(),
            finalPfRatio: z.number(),
            baselineSao2Pct: z.number(),
            finalSao2Pct: z.number(),
            baselineComplianceMlPerCmH2O: z.number(),
            finalComplianceMlPerCmH2O: z.number(),
            finalPeepCmH2O: z.number(),
            finalFio2: z.number(),
            plateauAbove30S: z.number().min(0),
            drivingPressureAbove15S: z.number().min(0),
            pneumothorax: z.boolean(),
            violations: z.array(z.string().max(1000)).max(1000),
          })
          .strict(),
      )
      .min(1)
      .max(16),
  })
  .strict();
