/**
 * Step plans: pure functions from the context to the settings of the next step.
 * The machines call them when entering a step; tests call them directly.
 */
import {
  decrementalPeeps,
  type HighPressurePcvProtocol,
  type Protocol,
  type StaircaseProtocol,
  type SustainedInflationProtocol,
} from './config/protocols.js';
import type { ManeuverContext } from './context.js';
import { initialContext, stepMeasurement } from './context.js';
import { detectDerecruitment, type DecrementalMeasurement } from './derecruitment.js';
import type { StepPlan, VentSettings } from './types.js';

function expect<K extends Protocol['maneuver']>(protocol: Protocol, kind: K): Extract<Protocol, { maneuver: K }> {
  if (protocol.maneuver !== kind) {
    throw new Error(`a ${kind} step was planned with a ${protocol.maneuver} protocol: create the machine with its own protocol`);
  }
  return protocol as Extract<Protocol, { maneuver: K }>;
}

export const staircaseOf = (p: Protocol): StaircaseProtocol => expect(p, 'staircase');
export const sustainedInflationOf = (p: Protocol): SustainedInflationProtocol => expect(p, 'sustained-inflation');
export const highPressurePcvOf = (p: Protocol): HighPressurePcvProtocol => expect(p, 'high-pressure-pcv');

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
    settings: { mode: 'CPAP', peepCmH2O: p.peepCmH2O, peakCmH2O: p.peepCmH2O, rateBpm: 0, fio2: ctx.baseline.fio2 },
    dwellMs: s(p.holdS),
    purpose: 'step',
  };
}

export function highPressurePcvPlan(ctx: ManeuverContext): StepPlan {
  const p = highPressurePcvOf(ctx.protocol);
  return {
    phase: 'high-pressure',
    label: `High-pressure PCV: PEEP ${p.peepCmH2O}, peak ${p.peakCmH2O} cmH2O for ${p.holdS} s`,
    settings: pcvSettings(ctx.baseline, p.peepCmH2O, p.peakCmH2O),
    dwellMs: s(p.holdS),
    purpose: 'step',
  };
}

/** Back to the baseline settings, dwelling for the response assessment. */
export function returnToBaselinePlan(ctx: ManeuverContext): StepPlan {
  return {
    phase: 'assessment',
    label: `Back to baseline (PEEP ${ctx.baseline.peepCmH2O}); assessing response for ${ctx.protocol.assessS} s`,
    settings: ctx.baseline,
    dwellMs: s(ctx.protocol.assessS),
    purpose: 'final',
  };
}

export function incrementalPlan(ctx: ManeuverContext): StepPlan {
  const p = staircaseOf(ctx.protocol);
  const peeps = p.incrementalPeepsCmH2O;
  const peep = peeps[ctx.stepIndex] ?? peeps[peeps.length - 1] ?? 0;
  const peak = peep + p.drivingPressureCmH2O;
  return {
    phase: 'incremental',
    label: `Recruitment ${ctx.stepIndex + 1}/${peeps.length}: PEEP ${peep}, peak ${peak} cmH2O`,
    settings: pcvSettings(ctx.baseline, peep, peak),
    dwellMs: s(p.incrementalDwellS),
    purpose: 'step',
  };
}

export function decrementalPlan(ctx: ManeuverContext): StepPlan {
  const p = staircaseOf(ctx.protocol);
  const peeps = decrementalPeeps(p);
  const peep = peeps[ctx.stepIndex] ?? p.decremental.floorPeepCmH2O;
  const peak = peep + p.drivingPressureCmH2O;
  return {
    phase: 'decremental',
    label: `Titration ${ctx.stepIndex + 1}/${peeps.length}: PEEP ${peep}, peak ${peak} cmH2O`,
    settings: pcvSettings(ctx.baseline, peep, peak),
    dwellMs: s(p.decremental.dwellS),
    purpose: 'step',
  };
}

export function reRecruitPlan(ctx: ManeuverContext): StepPlan {
  const p = staircaseOf(ctx.protocol);
  const peep = p.reRecruit.peepCmH2O;
  const peak = peep + p.drivingPressureCmH2O;
  return {
    phase: 're-recruit',
    label: `Re-recruitment: PEEP ${peep}, peak ${peak} cmH2O for ${p.reRecruit.dwellS} s`,
    settings: pcvSettings(ctx.baseline, peep, peak),
    dwellMs: s(p.reRecruit.dwellS),
    purpose: 'step',
  };
}

export function finalPeepPlan(ctx: ManeuverContext): StepPlan {
  const p = staircaseOf(ctx.protocol);
  const peep = ctx.titration.finalPeepCmH2O ?? p.decremental.floorPeepCmH2O + p.finalMarginCmH2O;
  const why = ctx.titration.derecruitmentPeepCmH2O !== null ? `derecruitment at ${ctx.titration.derecruitmentPeepCmH2O}` : 'no derecruitment seen';
  return {
    phase: 'final',
    label: `Titrated PEEP ${peep} cmH2O (${why}); assessing for ${p.assessS} s`,
    settings: withPeep(ctx.baseline, peep, p.peakLimitCmH2O),
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
  const p = staircaseOf(ctx.protocol);
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
export function planOf(protocol: Protocol, baseline: VentSettings): PlannedStep[] {
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
  switch (protocol.maneuver) {
    case 'sustained-inflation':
      return [row(sustainedInflationPlan(base)), row(returnToBaselinePlan(base))];
    case 'high-pressure-pcv':
      return [row(highPressurePcvPlan(base)), row(returnToBaselinePlan(base))];
    case 'staircase': {
      const inc = protocol.incrementalPeepsCmH2O.map((_, i) => row(incrementalPlan({ ...base, stepIndex: i })));
      const dec = decrementalPeeps(protocol).map((_, i) => row(decrementalPlan({ ...base, stepIndex: i }), i > 0));
      return [...inc, ...dec, row(reRecruitPlan(base)), row(finalPeepPlan(base))];
    }
  }
}

/** The longest the planned maneuver can take (all conditional steps included). */
export function plannedDurationMs(protocol: Protocol, baseline: VentSettings): number {
  return planOf(protocol, baseline).reduce((sum, s) => sum + s.dwellMs, 0);
}
