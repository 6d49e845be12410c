/**
 * Pressure-volume behaviour of the open units. An open unit at transmural pressure p
 * (airway pressure minus its layer's superimposed pressure) holds
 *
 *   V(p) = 0                                         p <= 0
 *   V(p) = C0 p                                      0 < p <= Pod
 *   V(p) = C0 (Pod + w (1 - exp(-(p - Pod) / w)))    p > Pod   (overdistention)
 *
 * so its compliance is C0 up to the overdistention onset Pod and falls e-fold every w cmH2O
 * above it. Lung volume (above relaxation) is the sum over layers of open units times V.
 */
import { LAYER_COUNT } from './constants.js';

/** Unit pressure-volume curve parameters. */
export interface PvCurve {
  unitComplianceMlPerCmH2O: number;
  overdistentionOnsetCmH2O: number;
  overdistentionScaleCmH2O: number;
}

/** Volume of one open unit at transmural pressure `p`. */
export function unitVolumeMl(p: number, c: PvCurve): number {
  if (p <= 0) return 0;
  const pod = c.overdistentionOnsetCmH2O;
  if (p <= pod) return c.unitComplianceMlPerCmH2O * p;
  const w = c.overdistentionScaleCmH2O;
  return c.unitComplianceMlPerCmH2O * (pod + w * (1 - Math.exp(-(p - pod) / w)));
}

/** Compliance of one open unit at transmural pressure `p`. */
export function unitComplianceMlPerCmH2O(p: number, c: PvCurve): number {
  if (p <= 0) return 0;
  const pod = c.overdistentionOnsetCmH2O;
  if (p <= pod) return c.unitComplianceMlPerCmH2O;
  return c.unitComplianceMlPerCmH2O * Math.exp(-(p - pod) / c.overdistentionScaleCmH2O);
}

/**
 * Lung volume above relaxation at airway pressure `pCmH2O`.
 *
 * @example
 * const eelvMl = lungVolumeMl(units.openCount, units.spCmH2O, 10, curve);
 */
export function lungVolumeMl(openCount: Float64Array, spCmH2O: Float64Array, pCmH2O: number, c: PvCurve): number {
  let v = 0;
  const layers = LAYER_COUNT;
  for (let l = 0; l < layers; l++) {
    const n = openCount[l] as number;
    if (n > 0) v += n * unitVolumeMl(pCmH2O - (spCmH2O[l] as number), c);
  }
  return v;
}

/** dV/dP of the lung at airway pressure `pCmH2O`. */
export function lungComplianceMlPerCmH2O(openCount: Float64Array, spCmH2O: Float64Array, pCmH2O: number, c: PvCurve): number {
  let g = 0;
  const layers = LAYER_COUNT;
  for (let l = 0; l < layers; l++) {
    const n = openCount[l] as number;
    if (n > 0) g += n * unitComplianceMlPerCmH2O(pCmH2O - (spCmH2O[l] as number), c);
  }
  return g;
}

/**
 * Solves  a * P + b * (V(P) - v0) = target  for P in [lo, hi] (the left side is continuous and
 * non-decreasing for a, b >= 0) by safeguarded Newton. With (a, b) = (0, 1) it finds the
 * pressure at which the lung holds v0 + target; with (1, R / Ti) the end-inspiratory alveolar
 * pressure at which a constant-flow breath reaches an airway pressure of `target`.
 *
 * @example
 * const plateau = solvePressure(units.openCount, units.spCmH2O, curve, 0, 1, eelv, 420, peep, 60);
 */
export function solvePressure(
  openCount: Float64Array,
  spCmH2O: Float64Array,
  c: PvCurve,
  a: number,
  b: number,
  v0: number,
  target: number,
  lo: number,
  hi: number,
): number {
  let left = lo;
  let right = hi;
  if (a * left + b * (lungVolumeMl(openCount, spCmH2O, left, c) - v0) >= target) return left;
  if (a * right + b * (lungVolumeMl(openCount, spCmH2O, right, c) - v0) <= target) return right;
  let p = 0.5 * (left + right);
  for (let it = 0; it < 60; it++) {
    const f = a * p + b * (lungVolumeMl(openCount, spCmH2O, p, c) - v0) - target;
    if (Math.abs(f) < 1e-7) return p;
    if (f > 0) right = p;
    else left = p;
    const slope = a + b * lungComplianceMlPerCmH2O(openCount, spCmH2O, p, c);
    let next = slope > 1e-12 ? p - f / slope : 0.5 * (left + right);
    if (!(next > left && next < right)) next = 0.5 * (left + right);
    if (right - left < 1e-9) return next;
    p = next;
  }
  return p;
}
