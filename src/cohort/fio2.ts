/**
 * Setting FiO2 before a maneuver, as a clinician does (Hodgson 2011: FiO2 for SpO2 90-92%
 * before titrating; here the lowest FiO2 step of the ARDSnet table that gives SaO2 >= the
 * target at the baseline PEEP). Used by cohort runs, where one fixed FiO2 would leave severe
 * patients below the desaturation floor before anything starts.
 */
import type { VentSettings } from '../../machines/index.js';
import { SimPatient, type PatientProfile } from '../../sim/index.js';

export const FIO2_STEPS = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] as const;

/** Steady-state arterial saturation of a patient on `settings`. */
export function steadySao2(profile: PatientProfile, seed: number, settings: VentSettings): number {
  const p = new SimPatient(profile, { seed, settings });
  p.advance(1000);
  return p.gas().sao2Pct;
}

/**
 * The baseline settings with the lowest FiO2 step reaching `targetSao2Pct` (1.0 if none does).
 *
 * @example
 * const baseline = withTitratedFio2(profile, seed, DEFAULT_SIM_BASELINE, 93);
 */
export function withTitratedFio2(profile: PatientProfile, seed: number, baseline: VentSettings, targetSao2Pct: number): VentSettings {
  for (const fio2 of FIO2_STEPS) {
    const s = { ...baseline, fio2 };
    if (steadySao2(profile, seed, s) >= targetSao2Pct) return s;
  }
  return { ...baseline, fio2: 1 };
}
