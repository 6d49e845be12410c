/**
 * Oxygen: alveolar gas equation, Severinghaus saturation, O2 content and the shunt equation.
 *
 *   PAO2 = FiO2 (PB - 47) - PaCO2 [FiO2 + (1 - FiO2) / RQ]
 *   S    = 1 / (23400 / (PO2^3 + 150 PO2) + 1)           (Severinghaus 1979)
 *   C    = 1.34 Hb S + 0.0031 PO2                         (mL O2 / dL)
 *   Qs/Qt = (Cc' - Ca) / (Cc' - Cv),  Cv = Ca - (a-v difference)
 *   => Ca = Cc' - a-v difference * Qs/Qt / (1 - Qs/Qt), then PaO2 = C^-1(Ca) (solved numerically).
 */
import { DISSOLVED_O2_ML_PER_DL_MMHG, HB_O2_ML_PER_G, WATER_VAPOUR_MMHG } from './constants.js';

/**
 * Alveolar PO2 by the alveolar gas equation.
 *
 * @example
 * alveolarPo2MmHg(0.6, 40, 0.8, 760); // 383.8
 */
export function alveolarPo2MmHg(fio2: number, paco2MmHg: number, respiratoryQuotient: number, barometricMmHg: number): number {
  return fio2 * (barometricMmHg - WATER_VAPOUR_MMHG) - paco2MmHg * (fio2 + (1 - fio2) / respiratoryQuotient);
}

/**
 * Haemoglobin saturation (fraction 0-1) at `po2MmHg` (Severinghaus 1979).
 *
 * @example
 * Math.round(100 * severinghausSaturation(60)); // 91
 */
export function severinghausSaturation(po2MmHg: number): number {
  if (po2MmHg <= 0) return 0;
  const g = po2MmHg * (po2MmHg * po2MmHg + 150);
  return g / (g + 23400);
}

/**
 * O2 content (mL/dL): 1.34 Hb S + 0.0031 PO2.
 *
 * @example
 * o2ContentMlPerDl(100, 15); // ~19.9
 */
export function o2ContentMlPerDl(po2MmHg: number, hbGPerDl: number): number {
  return HB_O2_ML_PER_G * hbGPerDl * severinghausSaturation(po2MmHg) + DISSOLVED_O2_ML_PER_DL_MMHG * Math.max(0, po2MmHg);
}

function contentSlope(po2: number, hb: number): number {
  const g = po2 * (po2 * po2 + 150);
  const dg = 3 * po2 * po2 + 150;
  const den = g + 23400;
  return (HB_O2_ML_PER_G * hb * 23400 * dg) / (den * den) + DISSOLVED_O2_ML_PER_DL_MMHG;
}

/**
 * Inverse of Severinghaus: the PO2 at saturation `s` (0-1), from the cubic
 * PO2^3 + 150 PO2 = 23400 s / (1 - s) (Cardano).
 *
 * @example
 * severinghausPo2MmHg(severinghausSaturation(60)); // 60
 */
export function severinghausPo2MmHg(s: number): number {
  if (s <= 0) return 0;
  if (s >= 1) return Number.POSITIVE_INFINITY;
  const g = (23400 * s) / (1 - s);
  const r = Math.sqrt((g * g) / 4 + 125000);
  return Math.cbrt(g / 2 + r) + Math.cbrt(g / 2 - r);
}

/**
 * The PO2 at which blood holds `contentMlPerDl` (bracketed Newton), at most `upperMmHg`.
 *
 * @example
 * po2ForContentMmHg(o2ContentMlPerDl(85, 12), 12, 400); // 85
 */
export function po2ForContentMmHg(contentMlPerDl: number, hbGPerDl: number, upperMmHg: number): number {
  let lo = 0;
  let hi = Math.max(upperMmHg, 1);
  if (contentMlPerDl <= 0) return 0;
  if (o2ContentMlPerDl(hi, hbGPerDl) <= contentMlPerDl) return hi;
  // Start from the saturation the content implies if none of it were dissolved.
  const guess = severinghausPo2MmHg(Math.min(0.999999, contentMlPerDl / (HB_O2_ML_PER_G * hbGPerDl)));
  let p = guess > lo && guess < hi ? guess : 0.5 * (lo + hi);
  for (let it = 0; it < 60; it++) {
    const f = o2ContentMlPerDl(p, hbGPerDl) - contentMlPerDl;
    if (Math.abs(f) < 1e-9) return p;
    if (f > 0) hi = p;
    else lo = p;
    let next = p - f / contentSlope(p, hbGPerDl);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (hi - lo < 1e-7) return next;
    p = next;
  }
  return p;
}

/** mL O2 (STPD) per dL of blood carried by 1 L of BTPS gas per L of blood per mmHg of PO2: 100 * 273 / (310 * 760). */
const GAS_O2_ML_PER_DL_PER_MMHG = (100 * 273) / (310 * 760);

/**
 * End-capillary PO2 of lung units with ventilation/perfusion ratio `vqRatio` (L gas per L
 * blood): the O2 the inspired gas brings equals the O2 the blood takes up,
 * `VA/Q * (PIO2 - P) * k = C(P) - Cv` (k converts BTPS gas to STPD content; CO2 exchange
 * neglected). Between the mixed venous PO2 and the inspired PO2; bisection.
 *
 * @example
 * lowVqCompartmentPo2MmHg(0.21 * 713, o2ContentMlPerDl(40, 12), 12, 0.1); // ~47: near venous on room air
 */
export function lowVqCompartmentPo2MmHg(pIO2MmHg: number, mixedVenousContentMlPerDl: number, hbGPerDl: number, vqRatio: number): number {
  // f(P) = k VA/Q (PIO2 - P) - (C(P) - Cv) falls with P; f(0) > 0. Bracketed Newton.
  const kr = vqRatio * GAS_O2_ML_PER_DL_PER_MMHG;
  const f = (p: number): number => kr * (pIO2MmHg - p) - (o2ContentMlPerDl(p, hbGPerDl) - mixedVenousContentMlPerDl);
  if (pIO2MmHg <= 0 || f(pIO2MmHg) >= 0) return Math.max(0, pIO2MmHg);
  let lo = 0;
  let hi = pIO2MmHg;
  let p = Math.min(0.5 * pIO2MmHg, 45);
  for (let it = 0; it < 40; it++) {
    const v = f(p);
    if (Math.abs(v) < 1e-7) return p;
    if (v > 0) lo = p;
    else hi = p;
    let next = p + v / (kr + contentSlope(p, hbGPerDl));
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (hi - lo < 1e-6) return next;
    p = next;
  }
  return p;
}

/**
 * Arterial PO2 with shunt and low-V/Q units: a fraction `shuntFraction` of the cardiac output
 * passes no ventilated unit; of the rest, `lowVqFraction` passes units with V/Q `vqRatio`, the
 * remainder equilibrates with alveolar gas. Mixed venous content = arterial - a-v difference,
 * solved by fixed-point iteration (the low-V/Q share is small). Without low-V/Q units this is
 * the shunt equation (arterialPo2MmHg).
 *
 * @example
 * arterialPo2WithLowVqMmHg(0.1, 0.1, 0.1, alveolarPo2MmHg(0.21, 40, 0.8, 760), 0.21 * 713, 12, 3.5);
 */
export function arterialPo2WithLowVqMmHg(
  shuntFraction: number,
  lowVqFraction: number,
  vqRatio: number,
  pAO2MmHg: number,
  pIO2MmHg: number,
  hbGPerDl: number,
  avDiffMlPerDl: number,
): number {
  if (lowVqFraction <= 0) return arterialPo2MmHg(shuntFraction, pAO2MmHg, hbGPerDl, avDiffMlPerDl);
  const s = Math.min(0.99, Math.max(0, shuntFraction));
  const l = Math.min(1, lowVqFraction);
  const cc = o2ContentMlPerDl(pAO2MmHg, hbGPerDl);
  let mix = cc;
  let ca = cc - (avDiffMlPerDl * s) / (1 - s);
  for (let it = 0; it < 8; it++) {
    const cv = Math.max(0, ca - avDiffMlPerDl);
    const cl = o2ContentMlPerDl(lowVqCompartmentPo2MmHg(pIO2MmHg, cv, hbGPerDl, vqRatio), hbGPerDl);
    const next = (1 - l) * cc + l * cl;
    const done = Math.abs(next - mix) < 1e-6;
    mix = next;
    ca = mix - (avDiffMlPerDl * s) / (1 - s);
    if (done) break;
  }
  return po2ForContentMmHg(ca, hbGPerDl, pAO2MmHg);
}

/**
 * Arterial PO2 for a shunt fraction (shunt equation), given the alveolar PO2 (end-capillary
 * blood equilibrates with it) and the arterio-venous O2 content difference.
 *
 * @example
 * // Iso-shunt check (Hb 12, a-v 3.5 mL/dL, PaCO2 40, FiO2 0.6): shunt 30% -> ~85 mmHg
 * arterialPo2MmHg(0.3, alveolarPo2MmHg(0.6, 40, 0.8, 760), 12, 3.5);
 */
export function arterialPo2MmHg(shuntFraction: number, pAO2MmHg: number, hbGPerDl: number, avDiffMlPerDl: number): number {
  const s = Math.min(0.99, Math.max(0, shuntFraction));
  const cc = o2ContentMlPerDl(pAO2MmHg, hbGPerDl);
  const ca = cc - (avDiffMlPerDl * s) / (1 - s);
  return po2ForContentMmHg(ca, hbGPerDl, pAO2MmHg);
}
