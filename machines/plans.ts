/**
 * Step plans: pure functions from the context to the settings of the next step.
 * The machines call them when entering a step; tests call them directly.
 */
import {
  decrementalPeeps,
  type DecrementalTitration,
  type HighPressurePcvProtocol,
  type Protocol,
  type StaircaseProtocol,
  type SustainedInflationProtocol,
} from './config/protocols.js';
import type { ManeuverContext } from './context.js';
import { initialContext, stepMeasurement } from './context.js';
import { detectDerecruitment, type DecrementalMeasurement } from './derecruitment.js';
import { HARD_LIMITS } from './config/limits.js';
import { complianceNear, protectiveSettings } from './titration.js';
import { screenBackPlan, screenHighPlan, screenReleasePlan } from './screenPlans.js';
import type { StepPlan, VentSettings } from './types.js';
import { stepFio2 } from './preoxygenation.js';
import { finalFio2InUse } from './finalFio2.js';

function expect<K extends Protocol['maneuver']>(protocol: Protocol, kind: K): Extract<Protocol, { maneuver: K }> {
  if (protocol.maneuver !== kind) {
    throw new Error(`a ${kind} step was planned with a ${protocol.maneuver} protocol: create the machine with its own protocol`);
  }
  return protocol as Extract<Protocol, { maneuver: K }>;
}

export const staircaseOf = (p: Protocol): StaircaseProtocol => expect(p, 'staircase');
export const sustainedInflationOf = (p: Protocol): SustainedInflationProtocol => expect(p, 'sustained-inflation');
export const highPressurePcvOf = (p: Protocol): HighPressurePcvProtocol => expect(p, 'high-pressure-pcv');

/** The decremental titration's settings with the protocol's peak limit and assessment time. */
export type TitrationParams = DecrementalTitration & { peakLimitCmH2O: number; assessS: number };

/**
 * The decremental titration a protocol runs: the staircase's own, or a single-step RM's
 * `decrementalTitration` when its `postRmPeep.mode` is `titration`. Throws otherwise.
 */
export function titrationOf(p: Protocol): TitrationParams {
  if (p.maneuver === 'staircase') return p;
  if (p.maneuver === 'recruitability-screen') throw new Error('a titration step was planned with a recruitability-screen protocol: the screen never titrates');
  if (p.postRmPeep.mode !== 'titration') {
    throw new Error(`a titration step was planned with a ${p.maneuver} protocol whose postRmPeep.mode is ${p.postRmPeep.mode}, not titration`);
  }
  return { ...p.decrementalTitration, peakLimitCmH2O: p.peakLimitCmH2O, assessS: p.assessS };
}

/** Whether a protocol hands over to the decremental titration after its RM (the staircase always titrates). */
export function titrates(p: Protocol): boolean {
  if (p.maneuver === 'recruitability-screen') return false;
  return p.maneuver === 'staircase' || p.postRmPeep.mode === 'titration';
}

/** Pre-oxygenation hold `stepIndex`: the baseline settings with FiO2 raised, held until SpO2 settles. */
export function preoxygenationPlan(ctx: ManeuverContext): StepPlan {
  const p = ctx.protocol.preoxygenation;
  const fio2 = stepFio2(ctx);
  return {
    phase: 'preoxygenation',
    label: `Pre-oxygenation ${ctx.stepIndex + 1}: FiO2 ${fio2} until SpO2 settles (hold ${p.holdS} s, at most ${p.maxS} s; SpO2 >= ${p.minSpo2Pct}% to go on)`,
    settings: { ...ctx.baseline, fio2 },
    dwellMs: s(p.holdS),
    purpose: 'step',
  };
}

/** PCV at `peepCmH2O` with the given driving pressure; rate and FiO2 from the baseline. */
export function pcvSettings(baseline: VentSettings, peepCmH2O: number, peakCmH2O: number): VentSettings {
  return { mode: 'PCV', peepCmH2O, peakCmH2O, rateBpm: baseline.rateBpm, fio2: baseline.fio2 };
}

/**
 * The baseline's mode with a new PEEP: the titrated setting. The gap between peak and PEEP
 * is kept (PCV driving pressure, VC pressure limit), clamped to the protocol's peak limit.
 */
export function withPeep(baseline: VentSettings, peepCmH2O: number, peakLimitCmH2O: number): VentSettings {
  const gap = baseline.mode === 'CPAP' ? 0 : baseline.peakCmH2O - baseline.peepCmH2O;
  return { ...baseline, peepCmH2O, peakCmH2O: Math.min(peepCmH2O + gap, peakLimitCmH2O) };
}

const s = (seconds: number): number => Math.round(seconds * 1000);

export function sustainedInflationPlan(ctx: ManeuverContext): StepPlan {
  const p = sustainedInflationOf(ctx.protocol);
  return {
    phase: 'inflation',
    label: `Sustained inflation: CPAP ${p.peepCmH2O} cmH2O for ${p.holdS} s`,
    settings: { mode: 'CPAP', peepCmH2O: p.peepCmH2O, peakCmH2O: p.peepCmH2O, rateBpm: 0, fio2: stepFio2(ctx) },
    dwellMs: s(p.holdS),
    purpose: 'step',
  };
}

export function highPressurePcvPlan(ctx: ManeuverContext): StepPlan {
  const p = highPressurePcvOf(ctx.protocol);
  return {
    phase: 'high-pressure',
    label: `High-pressure PCV: PEEP ${p.peepCmH2O}, peak ${p.peakCmH2O} cmH2O for ${p.holdS} s`,
    settings: { ...pcvSettings(ctx.baseline, p.peepCmH2O, p.peakCmH2O), fio2: stepFio2(ctx) },
    dwellMs: s(p.holdS),
    purpose: 'step',
  };
}

/** The post-RM PEEP policy of a single-step maneuver. */
function postRmPolicy(p: Protocol): { mode: 'baseline' | 'baseline-plus' | 'titration'; plusCmH2O: number } {
  return p.maneuver === 'staircase' || p.maneuver === 'recruitability-screen' ? { mode: 'baseline', plusCmH2O: 0 } : p.postRmPeep;
}

/**
 * After a single-step RM: the settings it ends at. `baseline` returns to the baseline; `baseline-plus`
 * keeps the baseline's mode at baseline PEEP + X with the breath reduced to stay within the
 * lung-protective limits (the baseline when none does, saying so).
 */
export function postRmSettings(ctx: ManeuverContext): { settings: VentSettings; note: string } {
  const policy = postRmPolicy(ctx.protocol);
  if (policy.mode !== 'baseline-plus' || policy.plusCmH2O === 0) return { settings: ctx.baseline, note: `back to baseline (PEEP ${ctx.baseline.peepCmH2O})` };
  const peep = Math.round((ctx.baseline.peepCmH2O + policy.plusCmH2O) * 100) / 100;
  const p = protectiveSettings(
    ctx.baseline,
    peep,
    complianceNear(ctx.steps, peep),
    ctx.run.patient?.pbwKg ?? null,
    ctx.protocol.lungProtection,
    ctx.protocol.peakLimitCmH2O,
    HARD_LIMITS.drivingPressureMinCmH2O,
  );
  if (typeof p === 'string') return { settings: ctx.baseline, note: `back to baseline: ${p}` };
  return { settings: p.settings, note: `post-RM PEEP ${peep} (baseline + ${policy.plusCmH2O})${p.adjusted ? `; ${p.adjusted}` : ''}` };
}

/** The post-RM settings (baseline, or baseline PEEP + X), dwelling for the response assessment. */
export function returnToBaselinePlan(ctx: ManeuverContext): StepPlan {
  const post = postRmSettings(ctx);
  // After pre-oxygenation the FiO2 in use is kept (protocol finalFio2), weaned by SpO2 afterwards.
  const fio2 = finalFio2InUse(ctx);
  const kept = fio2 > ctx.baseline.fio2 + 1e-9 ? `, FiO2 ${fio2} kept (pre-oxygenation; weaned by SpO2 after)` : '';
  return {
    phase: 'assessment',
    label: `${post.note[0]!.toUpperCase()}${post.note.slice(1)}${kept}; assessing response for ${ctx.protocol.assessS} s`,
    settings: kept ? { ...post.settings, fio2 } : post.settings,
    dwellMs: s(ctx.protocol.assessS),
    purpose: 'final',
  };
}

/** FiO2 of the decremental phase: the titrated FiO2 when the titration ran, else the baseline's. */
export function titrationFio2(ctx: ManeuverContext): number {
  return ctx.titration.fio2TitratedTo ?? stepFio2(ctx);
}

/** FiO2 of FiO2-titration step `i` (0-based): the baseline FiO2 lowered by (i + 1) steps, not below the minimum. */
export function fio2StepValue(p: Pick<DecrementalTitration, 'fio2Titration'>, baselineFio2: number, i: number): number {
  const f = p.fio2Titration;
  return Math.max(f.minFio2, Math.round((baselineFio2 - (i + 1) * f.stepFio2) * 100) / 100);
}

/** A FiO2-titration step: PCV at the decremental start PEEP, FiO2 one step lower. */
export function fio2Plan(ctx: ManeuverContext): StepPlan {
  const p = titrationOf(ctx.protocol);
  const peep = p.decremental.startPeepCmH2O;
  const fio2 = fio2StepValue(p, stepFio2(ctx), ctx.stepIndex);
  const peak = peep + p.drivingPressureCmH2O;
  return {
    phase: 'fio2',
    label: `FiO2 titration ${ctx.stepIndex + 1}: FiO2 ${fio2} at PEEP ${peep} for SpO2 ${p.fio2Titration.targetMinPct}-${p.fio2Titration.targetMaxPct}%`,
    settings: { ...pcvSettings(ctx.baseline, peep, peak), fio2 },
    dwellMs: s(p.fio2Titration.dwellS),
    purpose: 'step',
  };
}

/**
 * Driving pressure of a pressure-controlled decremental step: the protocol's, lowered (in 0.5
 * steps, not below the hard minimum) when the compliance last measured predicts a tidal
 * volume above the Vt/kg limit (no PBW or no compliance: the protocol's).
 */
export function decrementalDrivingPressure(ctx: ManeuverContext): number {
  const p = titrationOf(ctx.protocol);
  const pbw = ctx.run.patient?.pbwKg ?? null;
  const c = ctx.latest.complianceMlPerCmH2O;
  if (pbw === null || c === null || c <= 0) return p.drivingPressureCmH2O;
  const vtMax = ctx.protocol.lungProtection.tidalVolumeMaxMlPerKg * pbw;
  const dp = Math.floor((vtMax / c) * 2) / 2;
  return Math.max(HARD_LIMITS.drivingPressureMinCmH2O, Math.min(p.drivingPressureCmH2O, dp));
}

export function incrementalPlan(ctx: ManeuverContext): StepPlan {
  const p = staircaseOf(ctx.protocol);
  const peeps = p.incrementalPeepsCmH2O;
  const peep = peeps[ctx.stepIndex] ?? peeps[peeps.length - 1] ?? 0;
  const peak = peep + p.drivingPressureCmH2O;
  return {
    phase: 'incremental',
    label: `Recruitment ${ctx.stepIndex + 1}/${peeps.length}: PEEP ${peep}, peak ${peak} cmH2O`,
    settings: { ...pcvSettings(ctx.baseline, peep, peak), fio2: stepFio2(ctx) },
    dwellMs: s(p.incrementalDwellS),
    purpose: 'step',
  };
}

export function decrementalPlan(ctx: ManeuverContext): StepPlan {
  const p = titrationOf(ctx.protocol);
  const peeps = decrementalPeeps(p, ctx.baseline.peepCmH2O);
  const peep = peeps[ctx.stepIndex] ?? peeps[peeps.length - 1]!;
  const below = peep < p.decremental.floorPeepCmH2O - 1e-9 ? ` (below the floor ${p.decremental.floorPeepCmH2O}: no derecruitment seen yet)` : '';
  const dp = decrementalDrivingPressure(ctx);
  const peak = peep + dp;
  const capped = dp < p.drivingPressureCmH2O ? ` (driving pressure ${dp}: Vt <= ${ctx.protocol.lungProtection.tidalVolumeMaxMlPerKg} mL/kg PBW)` : '';
  return {
    phase: 'decremental',
    label: `Titration ${ctx.stepIndex + 1}/${peeps.length}: PEEP ${peep}, peak ${peak} cmH2O${capped}${below}`,
    settings: { ...pcvSettings(ctx.baseline, peep, peak), fio2: titrationFio2(ctx) },
    dwellMs: s(p.decremental.dwellS),
    purpose: 'step',
  };
}

export function reRecruitPlan(ctx: ManeuverContext): StepPlan {
  const p = titrationOf(ctx.protocol);
  const peep = p.reRecruit.peepCmH2O;
  const peak = peep + p.drivingPressureCmH2O;
  return {
    phase: 're-recruit',
    label: `Re-recruitment: PEEP ${peep}, peak ${peak} cmH2O for ${p.reRecruit.dwellS} s`,
    // The decremental trial is over: the baseline FiO2 (the pre-oxygenation FiO2 after pre-oxygenation)
    // is back before PEEP 40 (a low FiO2 on the steep part of the dissociation curve turned the
    // cardiac-output fall at 40 into desaturation aborts).
    settings: { ...pcvSettings(ctx.baseline, peep, peak), fio2: stepFio2(ctx) },
    dwellMs: s(p.reRecruit.dwellS),
    purpose: 'step',
  };
}

export function finalPeepPlan(ctx: ManeuverContext): StepPlan {
  const p = titrationOf(ctx.protocol);
  const t = ctx.titration;
  // Before the decision: what no derecruitment seen would set (the lowest level the trial may walk + margin).
  const peep = t.finalPeepCmH2O ?? decrementalPeeps(p, ctx.baseline.peepCmH2O).at(-1)! + p.finalMarginCmH2O;
  const seen = t.derecruitmentSeen ?? t.derecruitmentPeepCmH2O !== null;
  const why = t.decidedBy ? `${t.decidedBy} method, ${seen ? 'derecruitment seen' : 'no derecruitment seen'}` : t.derecruitmentPeepCmH2O !== null ? `derecruitment at ${t.derecruitmentPeepCmH2O}` : 'no derecruitment seen';
  const limited = t.limitsNote ? `; ${t.limitsNote}` : '';
  const settings = t.finalSettings ?? withPeep(ctx.baseline, peep, p.peakLimitCmH2O);
  // After pre-oxygenation the FiO2 in use is kept (protocol finalFio2), weaned by SpO2 afterwards.
  const fio2 = finalFio2InUse(ctx);
  const kept = fio2 > settings.fio2 + 1e-9 ? `; FiO2 ${fio2} kept (pre-oxygenation; weaned by SpO2 after)` : '';
  return {
    phase: 'final',
    label: `Titrated PEEP ${peep} cmH2O (${why}${limited})${kept}; assessing for ${p.assessS} s`,
    settings: kept ? { ...settings, fio2 } : settings,
    dwellMs: s(p.assessS),
    purpose: 'final',
  };
}

/** The decremental steps recorded so far, as detector input. */
export function decrementalHistory(ctx: ManeuverContext): DecrementalMeasurement[] {
  return ctx.steps
    .filter((r) => r.phase === 'decremental')
    .map((r) => ({ peepCmH2O: r.settings.peepCmH2O, spo2Pct: r.spo2Pct, complianceMlPerCmH2O: r.complianceMlPerCmH2O }));
}

/** Whether the decremental step now ending shows derecruitment (guard `derecruitedNow`). */
export function derecruitedAtCurrentStep(ctx: ManeuverContext): boolean {
  if (!ctx.current || ctx.current.phase !== 'decremental') return false;
  const p = titrationOf(ctx.protocol);
  const m = stepMeasurement(ctx.current, ctx.latest);
  return detectDerecruitment(
    decrementalHistory(ctx),
    { peepCmH2O: ctx.current.settings.peepCmH2O, spo2Pct: m.spo2Pct, complianceMlPerCmH2O: m.complianceMlPerCmH2O },
    p.derecruitment,
  );
}

/** A step as the plan shows it before the maneuver runs (the staircase may stop the titration early). */
export interface PlannedStep {
  phase: StepPlan['phase'];
  label: string;
  dwellMs: number;
  peepCmH2O: number;
  peakCmH2O: number;
  /** The complete settings the step commands (mode included). */
  settings: VentSettings;
  /** True for steps that run only if derecruitment has not been seen yet. */
  conditional: boolean;
}

/**
 * Every step a protocol plans, in order, for displays (the console's step list, the CLI's
 * progress bar).
 *
 * @example
 * planOf(defaultProtocol('staircase'), baseline).map((s) => s.label);
 */
export function planOf(
  protocol: Protocol,
  baseline: VentSettings,
  /**
   * `fio2Steps`: include the FiO2 steps: the pre-oxygenation holds (phase `preoxygenation`,
   * conditional: they run when the protocol pre-oxygenates this patient, each after the first only
   * while SpO2 has not settled) and the FiO2-titration steps (phase `fio2`, conditional). Off by
   * default so that displays written before issue 15 keep their rows; the CLI's planned duration,
   * the console and the device plan check include them.
   */
  options: { fio2Steps?: boolean } = {},
): PlannedStep[] {
  const base: ManeuverContext = initialContext({ protocol, baseline });
  const row = (plan: StepPlan, conditional = false): PlannedStep => ({
    phase: plan.phase,
    label: plan.label,
    dwellMs: plan.dwellMs,
    peepCmH2O: plan.settings.peepCmH2O,
    peakCmH2O: plan.settings.peakCmH2O,
    settings: plan.settings,
    conditional,
  });
  const pre: PlannedStep[] = [];
  const po = protocol.preoxygenation;
  if (options.fio2Steps && po.when !== 'never') {
    const withPreox: ManeuverContext = { ...base, run: { ...base.run, preox: { fio2: Math.max(po.fio2, baseline.fio2), reason: 'planned', spo2Pct: null, settledAt: null } } };
    for (let i = 0; i * po.holdS + po.holdS <= po.maxS + 1e-9; i++) pre.push(row(preoxygenationPlan({ ...withPreox, stepIndex: i }), po.when !== 'always' || i > 0));
  }
  const titration = (): PlannedStep[] => {
    const t = titrationOf(protocol);
    const f = t.fio2Titration;
    const fio2Steps: PlannedStep[] = [];
    if (f.enabled && options.fio2Steps) {
      for (let i = 0; i < f.maxSteps; i++) {
        if (i > 0 && fio2StepValue(t, baseline.fio2, i - 1) <= f.minFio2 + 1e-9) break;
        if (baseline.fio2 <= f.minFio2 + 1e-9) break;
        fio2Steps.push(row(fio2Plan({ ...base, stepIndex: i }), true));
      }
    }
    const dec = decrementalPeeps(t, baseline.peepCmH2O).map((_, i) => row(decrementalPlan({ ...base, stepIndex: i }), i > 0));
    return [...fio2Steps, ...dec, row(reRecruitPlan(base), t.reRecruit.when !== 'always'), row(finalPeepPlan(base))];
  };
  switch (protocol.maneuver) {
    case 'sustained-inflation':
      return [...pre, row(sustainedInflationPlan(base)), ...(titrates(protocol) ? titration() : [row(returnToBaselinePlan(base))])];
    case 'high-pressure-pcv':
      return [...pre, row(highPressurePcvPlan(base)), ...(titrates(protocol) ? titration() : [row(returnToBaselinePlan(base))])];
    case 'staircase': {
      const inc = protocol.incrementalPeepsCmH2O.map((_, i) => row(incrementalPlan({ ...base, stepIndex: i })));
      return [...pre, ...inc, ...titration()];
    }
    case 'recruitability-screen':
      return [row(screenHighPlan(base)), row(screenReleasePlan(base)), row(screenBackPlan(base)), row(returnToBaselinePlan(base))];
  }
}

/** The longest the planned maneuver can take (all conditional steps included). */
export function plannedDurationMs(protocol: Protocol, baseline: VentSettings, options: { fio2Steps?: boolean } = {}): number {
  return planOf(protocol, baseline, options).reduce((sum, s) => sum + s.dwellMs, 0);
}
