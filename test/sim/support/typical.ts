/**
 * The typical patient of a built-in profile: its between-patient spread of closing and opening
 * pressures set to 0, so every seed has the profile's mean lung. Single-profile calibration
 * targets (clinical.md) describe this patient; the spread has its own tests
 * (test/sim/patientVariation.test.ts).
 */
import { BUILTIN_PROFILES, parseProfile, type BuiltinProfileName, type PatientProfile } from '../../../sim/index.js';

export function typicalProfile(name: BuiltinProfileName): PatientProfile {
  const p = BUILTIN_PROFILES[name];
  return parseProfile({ ...structuredClone(p), lung: { ...structuredClone(p.lung), patientClosingPressureSdCmH2O: 0, patientOpeningPressureSdCmH2O: 0 } });
}
