/**
 * Pre-oxygenation before the first step (issue 15, item 8): pure functions the machines' guards,
 * actions and plans use. FiO2 is raised (never lowered) and held in holds until SpO2 settles;
 * then the desaturation guard measures from the settled SpO2 with a floor relative to it, never
 * below the critical floor; an abort from then on keeps the raised FiO2 (docs/hazards.md H35-H37).
 */
import type { Protocol } from './config/protocols.js';
import type { SafetyConfig } from './config/safety.js';
import { stepMeasurement, type ManeuverContext, type PreoxState } from './context.js';
import type { BaselineVitals, VentSettings } from './types.js';

const EPS = 1e-9;

/**
 * Whether a run pre-oxygenates, and why: `always`, or `if-needed` with the baseline SpO2 below
 * the threshold. Null: it does not (`never`, SpO2 high enough, or no baseline SpO2).
 */
export function preoxygenationFor(protocol: Protocol, baseline: VentSettings, vitals: BaselineVitals | null): PreoxState | null {
  const p = protocol.preoxygenation;
  if (p.when === 'never') return null;
  const fio2 = Math.max(p.fio2, baseline.fio2);
  if (p.when === 'always') return { fio2, reason: 'pre-oxygenation always (protocol)', spo2Pct: null, settledAt: null };
  const spo2 = vitals?.spo2Pct ?? null;
  if (spo2 === null || spo2 >= p.ifBelowSpo2Pct - EPS) return null;
  return { fio2, reason: `baseline SpO2 ${spo2}% below ${p.ifBelowSpo2Pct}%`, spo2Pct: null, settledAt: null };
}

/** Whether the protocol would pre-oxygenate a patient whose SpO2 is `spo2Pct` (the preconditions ask this before the start). */
export function preoxygenationWouldRun(protocol: Protocol, spo2Pct: number | null): boolean {
  const p = protocol.preoxygenation;
  return p.when === 'always' || (p.when === 'if-needed' && spo2Pct !== null && spo2Pct < p.ifBelowSpo2Pct - EPS);
}

/** FiO2 of the steps from pre-oxygenation on: the raised FiO2, else the baseline's. */
export function stepFio2(ctx: ManeuverContext): number {
  return ctx.run.preox?.fio2 ?? ctx.baseline.fio2;
}

/**
 * What an abort restores: the baseline settings, with FiO2 kept at the pre-oxygenation FiO2 once
 * the run pre-oxygenates (an aborting patient, often desaturating, is not dropped from FiO2 1.0
 * to the baseline FiO2 at once; the clinician weans it). Verified by readback like any restore.
 */
export function restoreTargetOf(ctx: Pick<ManeuverContext, 'baseline' | 'run'>): VentSettings {
  const f = ctx.run.preox?.fio2;
  return f !== undefined && f > ctx.baseline.fio2 + EPS ? { ...ctx.baseline, fio2: f } : ctx.baseline;
}

/**
 * The SpO2 floor relative to the guard's reference SpO2: the absolute floor, lowered to the
 * reference minus the allowed fall for a patient who starts near it, never below the critical floor.
 */
export function relativeSpo2Floor(safety: SafetyConfig, referenceSpo2Pct: number): number {
  return Math.max(safety.spo2CriticalPct, Math.min(safety.spo2FloorPct, referenceSpo2Pct - safety.spo2FallMaxPts));
}

const safetyCache = new WeakMap<BaselineVitals, { safety: SafetyConfig; effective: SafetyConfig }>();

/** The thresholds the monitor applies in a run: with pre-oxygenation, the SpO2 floor relative to the reference. */
export function guardSafety(ctx: Pick<ManeuverContext, 'safety' | 'run' | 'protocol'>, reference: BaselineVitals): SafetyConfig {
  if (!ctx.run.preox) return ctx.safety;
  if (ctx.run.preox.spo2Pct === null && reference.spo2Pct < ctx.safety.spo2CriticalPct) {
    // Started below the critical floor and FiO2 being raised (not settled yet): the floor is the
    // starting SpO2 minus the allowed fall, never below the hard floor; absolute again once settled.
    const critical = Math.max(ctx.protocol.preoxygenation.hardFloorSpo2Pct, Math.min(ctx.safety.spo2CriticalPct, reference.spo2Pct - ctx.safety.spo2FallMaxPts));
    return { ...ctx.safety, spo2CriticalPct: critical, spo2FloorPct: Math.max(critical, Math.min(ctx.safety.spo2FloorPct, reference.spo2Pct - ctx.safety.spo2FallMaxPts)) };
  }
  const hit = safetyCache.get(reference);
  if (hit && hit.safety === ctx.safety) return hit.effective;
  const floor = relativeSpo2Floor(ctx.safety, reference.spo2Pct);
  const effective = floor === ctx.safety.spo2FloorPct ? ctx.safety : { ...ctx.safety, spo2FloorPct: floor };
  safetyCache.set(reference, { safety: ctx.safety, effective });
  return effective;
}

/** The SpO2 of the pre-oxygenation hold now ending (median of its window). */
export function holdSpo2(ctx: ManeuverContext): number | null {
  return ctx.current?.phase === 'preoxygenation' ? stepMeasurement(ctx.current, ctx.latest).spo2Pct : null;
}

/**
 * SpO2 has settled at the end of this hold: within `settleDeltaPts` of the previous hold's median
 * (the first hold: of the baseline SpO2, only when FiO2 did not change).
 */
export function preoxSettled(ctx: ManeuverContext): boolean {
  const now = holdSpo2(ctx);
  if (now === null || !ctx.run.preox) return false;
  const holds = ctx.steps.filter((r) => r.phase === 'preoxygenation');
  const prev = holds.length ? holds[holds.length - 1]!.spo2Pct : ctx.run.preox.fio2 > ctx.baseline.fio2 + EPS ? null : (ctx.run.baselineVitals?.spo2Pct ?? null);
  return prev !== null && Math.abs(now - prev) <= ctx.protocol.preoxygenation.settleDeltaPts + EPS;
}

/** Another hold fits within `maxS`. */
export function morePreoxHolds(ctx: ManeuverContext): boolean {
  const p = ctx.protocol.preoxygenation;
  return (ctx.stepIndex + 2) * p.holdS <= p.maxS + EPS;
}
