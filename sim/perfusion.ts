/**
 * Where the blood goes: perfusion by layer (gravity), hypoxic vasoconstriction in collapsed
 * units, and compression of alveolar capillaries in distended units. Gives the shunt fraction,
 * the ventilation wasted on under-perfused units (dead space) and the rise in pulmonary
 * vascular resistance that loads the right ventricle.
 *
 * Capillary resistance of an open unit in layer l:
 *   m_l = 1 + max(0, Palv,mean - SP_l - Ponset) / Pscale
 * Perfusion of an open unit w_l / m_l; of a collapsed unit w_l * HPV ratio.
 * Shunt (units) = collapsed perfusion / total perfusion; total shunt adds the fixed shunt.
 * Alveolar dead space from distention = sum_l v_l (1 - 1/m_l) / sum_l v_l (v_l: tidal volume
 * entering layer l).
 */
import { LAYER_COUNT, UNITS_PER_LAYER } from './constants.js';
import type { LungUnits } from './lungUnits.js';
import { unitVolumeMl, type PvCurve } from './mechanics.js';

/** Output of `computePerfusion` (mutable, reused). */
export interface PerfusionState {
  /** Shunt through collapsed units, fraction of the flow that passes the units (0-1). */
  unitShuntFraction: number;
  /** Fraction of alveolar tidal ventilation reaching units whose capillaries are compressed. */
  distentionDeadSpaceFraction: number;
  /** Pulmonary vascular resistance relative to the same lung without capillary compression (>= 1). */
  relativePvr: number;
}

/** A neutral PerfusionState to compute into. */
export function emptyPerfusion(): PerfusionState {
  return { unitShuntFraction: 0, distentionDeadSpaceFraction: 0, relativePvr: 1 };
}

/** The profile's gas-exchange fields perfusion needs. */
export interface PerfusionParams {
  collapsedPerfusionRatio: number;
  capillaryCompressionOnsetCmH2O: number;
  capillaryCompressionScaleCmH2O: number;
}

/**
 * @example
 * computePerfusion(units, breath.meanAlveolarCmH2O, breath.peepCmH2O, breath.plateauCmH2O, curve, params, state);
 */
export function computePerfusion(
  units: LungUnits,
  meanAlveolarCmH2O: number,
  peepCmH2O: number,
  plateauCmH2O: number,
  curve: PvCurve,
  params: PerfusionParams,
  out: PerfusionState,
): PerfusionState {
  let open = 0;
  let openUncompressed = 0;
  let collapsed = 0;
  let vent = 0;
  let wasted = 0;
  const layers = LAYER_COUNT;
  const perLayer = UNITS_PER_LAYER;
  for (let l = 0; l < layers; l++) {
    const w = units.perfusionWeight[l] as number;
    const sp = units.spCmH2O[l] as number;
    const nOpen = units.openCount[l] as number;
    const nClosed = perLayer - nOpen;
    const m = 1 + Math.max(0, meanAlveolarCmH2O - sp - params.capillaryCompressionOnsetCmH2O) / params.capillaryCompressionScaleCmH2O;
    open += (nOpen * w) / m;
    openUncompressed += nOpen * w;
    collapsed += nClosed * w * params.collapsedPerfusionRatio;
    if (nOpen > 0 && plateauCmH2O > peepCmH2O) {
      const v = nOpen * (unitVolumeMl(plateauCmH2O - sp, curve) - unitVolumeMl(peepCmH2O - sp, curve));
      vent += v;
      wasted += v * (1 - 1 / m);
    }
  }
  const total = open + collapsed;
  out.unitShuntFraction = total > 0 ? collapsed / total : 1;
  out.distentionDeadSpaceFraction = vent > 0 ? wasted / vent : 0;
  out.relativePvr = open + collapsed > 0 ? (openUncompressed + collapsed) / (open + collapsed) : 1;
  return out;
}
