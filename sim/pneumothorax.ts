/**
 * Barotrauma: an optional, seeded pneumothorax whose hazard rises steeply with the
 * end-inspiratory alveolar pressure. Once it happens it compresses part of the lung (the
 * units collapse and cannot reopen: compliance and SpO2 fall) and builds an extra pleural
 * pressure (tension) that impedes venous return (hypotension). It does not resolve.
 */
import { UNIT_COUNT } from './constants.js';
import type { LungUnits } from './lungUnits.js';
import { recountOpen } from './lungUnits.js';
import type { PatientProfile } from './profile.js';
import type { SeededRandom } from './random.js';

/** Below this alveolar pressure the hazard is zero. */
export const PNEUMOTHORAX_THRESHOLD_CMH2O = 30;
/** The hazard rises e-fold per this many cmH2O. */
export const PNEUMOTHORAX_HAZARD_SCALE_CMH2O = 5;
/** Time constant of the tension building up. */
export const PNEUMOTHORAX_TENSION_TIME_CONSTANT_S = 30;

/**
 * Hazard per minute at alveolar pressure `pCmH2O`.
 *
 * @example
 * pneumothoraxHazardPerMin(profile, 55); // 20x the hazard at 40
 */
export function pneumothoraxHazardPerMin(profile: PatientProfile, pCmH2O: number): number {
  const r = profile.risks.pneumothorax;
  if (!r.enabled || pCmH2O <= PNEUMOTHORAX_THRESHOLD_CMH2O) return 0;
  return r.hazardPerMinAt40CmH2O * Math.exp((pCmH2O - 40) / PNEUMOTHORAX_HAZARD_SCALE_CMH2O);
}

/** Draws whether a pneumothorax starts during `dtS` seconds at alveolar pressure `pCmH2O`. */
export function pneumothoraxOccurs(profile: PatientProfile, pCmH2O: number, dtS: number, rng: SeededRandom): boolean {
  const hazard = pneumothoraxHazardPerMin(profile, pCmH2O);
  if (hazard <= 0) return false;
  return rng.uniform() < 1 - Math.exp((-hazard * dtS) / 60);
}

/** Compresses a random share of the units that are not consolidated. Returns how many. */
export function compressLung(units: LungUnits, fraction: number, rng: SeededRandom): number {
  let n = 0;
  for (let i = 0; i < UNIT_COUNT; i++) {
    if (!Number.isFinite(units.openingCmH2O[i] as number) || units.compressed[i]) continue;
    if (rng.uniform() < fraction) {
      units.compressed[i] = 1;
      units.open[i] = 0;
      units.x[i] = 0;
      n++;
    }
  }
  recountOpen(units);
  return n;
}
