/**
 * Step plans and readings of the recruitability screen (machine: recruitabilityScreen.ts).
 *
 * The recruitability screen (R/I, Chen et al. 2020; the formula in recruitability.ts), run
 * before a recruitment maneuver in the same shell as every maneuver (preconditions, the one
 * safety monitor, abort to the verified baseline, failsafe):
 * 1. high: volume control at the high PEEP (15), dwell; Vt and compliance measured;
 * 2. release: PEEP dropped to the low PEEP (5) for one breath, until the release breath's
 *    expired volume and the plateau at the low PEEP are measured (at most `releaseMaxBreaths`);
 * 3. back: the high PEEP again, verified by readback (the shell aborts to the baseline when it
 *    is not), short dwell; R/I computed from what the release measured;
 * 4. assessment: the baseline settings, verified; completed with the recommendation.
 */
import { recruitabilityOf, type RecruitabilityResult, type ReleaseReadings } from './recruitability.js';
import type { RecruitabilityScreenProtocol, Protocol } from './config/protocols.js';
import type { ManeuverContext } from './context.js';
import { stepFio2 } from './preoxygenation.js';
import type { StepPlan, VentSettings } from './types.js';

export function screenOf(p: Protocol): RecruitabilityScreenProtocol {
  if (p.maneuver !== 'recruitability-screen') {
    throw new Error(`a recruitability-screen step was planned with a ${p.maneuver} protocol: create the machine with its own protocol`);
  }
  return p;
}

/** Tidal volume of the test: the protocol's, else the baseline's VC Vt, else 6 mL/kg PBW, else the measured Vt (null: none known). */
export function screenTidalVolumeMl(ctx: Pick<ManeuverContext, 'protocol' | 'baseline' | 'run' | 'latest'>): number | null {
  const p = screenOf(ctx.protocol);
  const b = ctx.baseline;
  const pbw = ctx.run.patient?.pbwKg ?? null;
  const measured = ctx.latest.tidalVolumeMl;
  return p.tidalVolumeMl ?? (b.mode === 'VC' ? (b.tidalVolumeMl ?? null) : null) ?? (pbw !== null ? Math.round((6 * pbw) / 10) * 10 : null) ?? (measured !== null ? Math.round(measured / 10) * 10 : null);
}

/**
 * Volume control at `peepCmH2O` with the test's Vt and rate (default: the baseline's), the baseline's FiO2, and one
 * pressure limit for every step (the baseline's VC limit above its PEEP, applied to the high
 * PEEP; else high PEEP + 25), never above the protocol's peak limit: only PEEP changes on the drop.
 */
export function screenSettings(ctx: ManeuverContext, peepCmH2O: number): VentSettings {
  const p = screenOf(ctx.protocol);
  const b = ctx.baseline;
  const gap = b.mode === 'VC' ? Math.max(10, b.peakCmH2O - b.peepCmH2O) : 25;
  const limit = Math.min(p.peakLimitCmH2O, p.highPeepCmH2O + gap);
  const vt = screenTidalVolumeMl(ctx);
  return { mode: 'VC', peepCmH2O, peakCmH2O: limit, rateBpm: p.rateBpm ?? b.rateBpm, fio2: stepFio2(ctx), ...(vt !== null ? { tidalVolumeMl: vt } : {}) };
}

const s = (seconds: number): number => Math.round(seconds * 1000);
/** One breath at the test's rate (no rate: 6 s, and the release is never measured: not assessable). */
export const breathMs = (ctx: ManeuverContext): number => {
  const rate = screenOf(ctx.protocol).rateBpm ?? ctx.baseline.rateBpm;
  return rate > 0 ? Math.round(60_000 / rate) : 6000;
};

export function screenHighPlan(ctx: ManeuverContext): StepPlan {
  const p = screenOf(ctx.protocol);
  return { phase: 'screen', label: `R/I screen: VC at PEEP ${p.highPeepCmH2O} for ${p.highDwellS} s`, settings: screenSettings(ctx, p.highPeepCmH2O), dwellMs: s(p.highDwellS), purpose: 'step' };
}

export function screenReleasePlan(ctx: ManeuverContext): StepPlan {
  const p = screenOf(ctx.protocol);
  return {
    phase: 'release',
    label: `R/I screen: one breath at PEEP ${p.lowPeepCmH2O} (release from ${p.highPeepCmH2O})`,
    settings: screenSettings(ctx, p.lowPeepCmH2O),
    dwellMs: p.releaseMaxBreaths * breathMs(ctx),
    purpose: 'step',
  };
}

export function screenBackPlan(ctx: ManeuverContext): StepPlan {
  const p = screenOf(ctx.protocol);
  return { phase: 'screen', label: `R/I screen: back to PEEP ${p.highPeepCmH2O} (verified)`, settings: screenSettings(ctx, p.highPeepCmH2O), dwellMs: s(p.returnDwellS), purpose: 'step' };
}

/**
 * A breath counts as the release breath only when the end-expiratory pressure reported with it
 * is within this of the low PEEP: a breath reported before the drop took effect (PEEP still
 * high) is never taken for it.
 */
export const RELEASE_PEEP_TOLERANCE_CMH2O = 2;

/**
 * The release step's readings: among the breaths that expired to the low PEEP, the one with the
 * largest expired volume (the release breath), with the plateau its sample carried (the first
 * breath at the low PEEP: a device reports them together), and the test's Vt. Null until such a
 * sample arrived.
 */
export function releaseReadings(ctx: ManeuverContext): ReleaseReadings | null {
  const c = ctx.current;
  if (!c || c.phase !== 'release') return null;
  const p = screenOf(ctx.protocol);
  // Read in place (length and at(i): a Series or a plain array alike), not copied per event.
  const vte = c.acc.vte ?? [];
  const plateaus = c.acc.vtePlateau ?? [];
  const peeps = c.acc.vtePeep ?? [];
  let best = -1;
  for (let i = 0; i < vte.length; i++) {
    const atLow = Math.abs((peeps.at(i) ?? Number.NaN) - p.lowPeepCmH2O) <= RELEASE_PEEP_TOLERANCE_CMH2O;
    if (atLow && Number.isFinite(plateaus.at(i)) && (best < 0 || vte.at(i)! > vte.at(best)!)) best = i;
  }
  const vt = c.settings.tidalVolumeMl ?? null;
  if (best < 0 || vt === null) return null;
  return {
    highPeepCmH2O: p.highPeepCmH2O,
    lowPeepCmH2O: p.lowPeepCmH2O,
    tidalVolumeMl: vt,
    releaseExpiredVolumeMl: vte.at(best)!,
    lowPlateauCmH2O: plateaus.at(best)!,
    airwayOpeningPressureCmH2O: p.airwayOpeningPressureCmH2O,
  };
}

/** The screen's result from the recorded readings (not assessable when the release breath was not measured). */
export function screenResult(ctx: ManeuverContext): RecruitabilityResult {
  const p = screenOf(ctx.protocol);
  const r = ctx.run.screen?.readings ?? null;
  if (r) return recruitabilityOf(r, p.thresholdRatio);
  const missing: ReleaseReadings = {
    highPeepCmH2O: p.highPeepCmH2O,
    lowPeepCmH2O: p.lowPeepCmH2O,
    tidalVolumeMl: Number.NaN,
    releaseExpiredVolumeMl: Number.NaN,
    lowPlateauCmH2O: Number.NaN,
    airwayOpeningPressureCmH2O: p.airwayOpeningPressureCmH2O,
  };
  return { ...recruitabilityOf(missing, p.thresholdRatio), detail: `the release breath was not measured within ${p.releaseMaxBreaths} breath(s) at PEEP ${p.lowPeepCmH2O}` };
}

