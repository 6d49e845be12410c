/**
 * rm-sequencer simulated patient: a layered, time-dependently recruiting lung with gas
 * exchange and circulation, a bedside monitor, built-in profiles and virtual cohorts.
 * Pure and deterministic for a seed; virtual time only. Model and calibration: docs/simulator.md.
 *
 * @example
 * import { BUILTIN_PROFILES, SimMonitor, SimPatient } from 'rm-sequencer/sim';
 * const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], {
 *   seed: 1,
 *   settings: { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 },
 * });
 * const monitor = new SimMonitor(patient, { seed: 1 });
 * patient.advance(1000);
 * monitor.vitals(patient.timeMs); // e.g. { spo2Pct: 96, mapMmHg: 80.4, sbpMmHg: 112.6, hrBpm: 90 }
 */
export type { SimMode, SimSettings, BreathOutput, GasExchange, Hemodynamics, PatientEvent, PatientEventKind, PatientOptions } from './types.js';
export { SimPatient } from './patient.js';
export {
  SimMonitor,
  DEFAULT_MONITOR_NOISE,
  DEFAULT_SPO2_AVERAGING_S,
  DEFAULT_DROPOUT,
  DEFAULT_ARTIFACT,
  type MonitorOptions,
  type MonitorNoise,
  type MonitorVitals,
  type VentilatorReading,
} from './monitor.js';
export { VITAL_SENSORS, type VitalSensor, type ScheduledFault, type FaultOptions } from './sensorFaults.js';
export { PatientProfileSchema, parseProfile, profilePatientSize, type PatientProfile, type PatientProfileInput } from './profile.js';
export { BUILTIN_PROFILE_NAMES, BUILTIN_PROFILES, profileByName, isBuiltinProfileName, type BuiltinProfileName } from './profiles.js';
export { SimSettingsSchema, parseSettings } from './settings.js';
export {
  generateCohort,
  COHORT_DISTRIBUTION,
  type CohortPatient,
  type Severity,
  type RecruiterClass,
  type VolumeStatus,
} from './cohort.js';
export { alveolarPo2MmHg, arterialPo2MmHg, arterialPo2WithLowVqMmHg, lowVqCompartmentPo2MmHg, severinghausSaturation, o2ContentMlPerDl } from './oxygen.js';
export { releaseBreath, type ReleaseBreath } from './recruitability.js';
