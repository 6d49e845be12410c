/**
 * Breath-level mechanics for the three modes, from the open units' pressure-volume curves.
 *
 * - CPAP: no machine breaths; airway and alveolar pressure equal PEEP.
 * - PCV: square pressure wave; the lung fills towards V(peak) - V(PEEP) with time constant
 *   R * Cstat during the inspiratory time; plateau is the alveolar pressure reached.
 * - VC: square flow wave; plateau is the pressure at which the lung holds the set volume;
 *   peak = plateau + R * flow. When peak would exceed the pressure limit (`peakCmH2O`) the
 *   breath is cut at the limit and delivers less volume (pressure-limited VC).
 */
import { INSPIRATORY_FRACTION, MEAN_VOLUME_TIDAL_FRACTION } from './constants.js';
import { lungVolumeMl, solvePressure, type PvCurve } from './mechanics.js';
import type { BreathOutput, SimSettings } from './types.js';

/** Everything the rest of the model needs from a breath (mutable, reused): the mechanics reported, and the alveolar pressures behind them. */
export interface BreathState extends Omit<BreathOutput, 'recruitedFraction'> {
  /** End-inspiratory alveolar pressure (drives recruitment during inspiration). */
  inspAlveolarCmH2O: number;
  /** End-expiratory alveolar pressure (drives derecruitment during expiration). */
  expAlveolarCmH2O: number;
  /** Cycle-mean alveolar pressure. */
  meanAlveolarCmH2O: number;
  /** Cycle-mean lung volume above relaxation. */
  meanLungVolumeMl: number;
  /** Fraction of the cycle spent at the inspiratory pressure (0 in CPAP). */
  inspFraction: number;
}

/** A zeroed BreathState to compute into. */
export function emptyBreath(): BreathState {
  return {
    tidalVolumeMl: 0,
    peakCmH2O: 0,
    plateauCmH2O: 0,
    peepCmH2O: 0,
    meanAirwayPressureCmH2O: 0,
    staticComplianceMlPerCmH2O: 0,
    dynamicComplianceMlPerCmH2O: 0,
    inspAlveolarCmH2O: 0,
    expAlveolarCmH2O: 0,
    meanAlveolarCmH2O: 0,
    meanLungVolumeMl: 0,
    inspFraction: 0,
  };
}

/** Virtual breath used to report compliance when no breaths are given (CPAP). */
const CPAP_TEST_BREATH_CMH2O = 10;

/**
 * Computes the breath for `settings` on the lung described by `openCount`/`spCmH2O` into `out`.
 *
 * @example
 * const b = emptyBreath();
 * computeBreath(settings, units.openCount, units.spCmH2O, curve, 12, b);
 */
export function computeBreath(
  settings: SimSettings,
  openCount: Float64Array,
  spCmH2O: Float64Array,
  curve: PvCurve,
  resistanceCmH2OPerLPerS: number,
  out: BreathState,
): BreathState {
  const peep = settings.peepCmH2O;
  const v0 = lungVolumeMl(openCount, spCmH2O, peep, curve);
  const rMlPerS = resistanceCmH2OPerLPerS / 1000;
  out.peepCmH2O = peep;
  out.expAlveolarCmH2O = peep;

  if (settings.mode === 'CPAP' || settings.rateBpm <= 0) {
    const c = (lungVolumeMl(openCount, spCmH2O, peep + CPAP_TEST_BREATH_CMH2O, curve) - v0) / CPAP_TEST_BREATH_CMH2O;
    out.tidalVolumeMl = 0;
    out.peakCmH2O = peep;
    out.plateauCmH2O = peep;
    out.meanAirwayPressureCmH2O = peep;
    out.staticComplianceMlPerCmH2O = c;
    out.dynamicComplianceMlPerCmH2O = c;
    out.inspAlveolarCmH2O = peep;
    out.meanAlveolarCmH2O = peep;
    out.meanLungVolumeMl = v0;
    out.inspFraction = 0;
    return out;
  }

  const fi = INSPIRATORY_FRACTION;
  const tiS = (60 / settings.rateBpm) * fi;
  let vt: number;
  let plateau: number;
  let peak: number;
  let mean: number;
  if (settings.mode === 'PCV') {
    peak = Math.max(peep, settings.peakCmH2O);
    const vStatic = lungVolumeMl(openCount, spCmH2O, peak, curve) - v0;
    const cStatic = peak > peep ? vStatic / (peak - peep) : 0;
    const tauS = rMlPerS * cStatic;
    vt = tauS > 0 ? vStatic * (1 - Math.exp(-tiS / tauS)) : vStatic;
    plateau = vt > 0 ? solvePressure(openCount, spCmH2O, curve, 0, 1, v0, vt, peep, peak) : peep;
    mean = peep + fi * (peak - peep);
  } else {
    const limit = Math.max(peep, settings.peakCmH2O);
    const vtSet = settings.tidalVolumeMl ?? 0;
    const flowAtVt = vtSet / tiS;
    const reachable = lungVolumeMl(openCount, spCmH2O, limit, curve) - v0 >= vtSet;
    plateau = reachable ? solvePressure(openCount, spCmH2O, curve, 0, 1, v0, vtSet, peep, limit) : limit;
    vt = vtSet;
    peak = plateau + rMlPerS * flowAtVt;
    if (!reachable || peak > limit) {
      // Pressure-limited: inspiration ends when the airway pressure reaches the limit.
      plateau = solvePressure(openCount, spCmH2O, curve, 1, rMlPerS / tiS, v0, limit, peep, limit);
      vt = lungVolumeMl(openCount, spCmH2O, plateau, curve) - v0;
      peak = limit;
    }
    const resistive = (rMlPerS * vt) / tiS;
    mean = fi * 0.5 * (peep + resistive + peak) + (1 - fi) * peep;
  }
  out.tidalVolumeMl = vt;
  out.peakCmH2O = peak;
  out.plateauCmH2O = plateau;
  out.meanAirwayPressureCmH2O = mean;
  out.staticComplianceMlPerCmH2O = plateau > peep + 1e-9 ? vt / (plateau - peep) : lungVolumeMl(openCount, spCmH2O, peep + 1, curve) - v0;
  out.dynamicComplianceMlPerCmH2O = peak > peep + 1e-9 ? vt / (peak - peep) : out.staticComplianceMlPerCmH2O;
  out.inspAlveolarCmH2O = plateau;
  out.meanAlveolarCmH2O = peep + MEAN_VOLUME_TIDAL_FRACTION * (plateau - peep);
  out.meanLungVolumeMl = v0 + MEAN_VOLUME_TIDAL_FRACTION * vt;
  out.inspFraction = fi;
  return out;
}
