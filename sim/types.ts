/**
 * Public types of the simulated patient: ventilator settings in, physiology out.
 */

/** Ventilation modes: CPAP (no machine breaths), pressure control, volume control. */
export type SimMode = 'CPAP' | 'PCV' | 'VC';

/**
 * Ventilator settings applied to the simulated patient.
 *
 * `peakCmH2O` is the absolute peak inspiratory pressure in PCV (PEEP + driving pressure);
 * it equals PEEP in CPAP; in VC it is only a pressure limit (the tidal volume is set).
 * CPAP means no machine breaths (the patient is sedated and apnoeic): a sustained inflation.
 *
 * @example
 * const baseline: SimSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
 */
export interface SimSettings {
  mode: SimMode;
  peepCmH2O: number;
  peakCmH2O: number;
  rateBpm: number;
  fio2: number;
  tidalVolumeMl?: number;
}

/** Breath-level mechanics for the current settings and lung state. */
export interface BreathOutput {
  tidalVolumeMl: number;
  /** Peak airway pressure. */
  peakCmH2O: number;
  /** End-inspiratory (pause) pressure: alveolar pressure at end-inspiration. */
  plateauCmH2O: number;
  peepCmH2O: number;
  meanAirwayPressureCmH2O: number;
  /** Vt / (plateau - PEEP). In CPAP: what a 10 cmH2O test breath would measure. */
  staticComplianceMlPerCmH2O: number;
  /** Vt / (peak - PEEP). In CPAP: as the static value. */
  dynamicComplianceMlPerCmH2O: number;
  /** Open units / units that are not consolidated (0-1). */
  recruitedFraction: number;
}

/** Arterial blood gas. */
export interface GasExchange {
  /** Qs/Qt, 0-1. */
  shuntFraction: number;
  pao2MmHg: number;
  /** Arterial O2 saturation (Severinghaus 1979), 0-100. */
  sao2Pct: number;
  paco2MmHg: number;
  /** PaO2 / FiO2, mmHg. */
  pfRatio: number;
  /** Physiological dead space VD/VT, 0-1 (1 with no tidal ventilation). */
  deadSpaceFraction: number;
}

/** Circulation as the patient has it (true values; the monitor adds sensor behaviour). */
export interface Hemodynamics {
  mapMmHg: number;
  sbpMmHg: number;
  dbpMmHg: number;
  hrBpm: number;
  cardiacOutputLMin: number;
  strokeVolumeMl: number;
  /** Right atrial (central venous) pressure, absolute. */
  cvpMmHg: number;
}

/** Kinds of patient events. */
export type PatientEventKind = 'pneumothorax';

/** Something that happened to the patient (not a setting change). */
export interface PatientEvent {
  tMs: number;
  kind: PatientEventKind;
  detail: string;
}

/**
 * How a SimPatient is created.
 *
 * @example
 * const options: PatientOptions = { seed: 1, settings: { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 } };
 */
export interface PatientOptions {
  /** Seeds the unit population's pairing, the rates and the random complications. */
  seed: number;
  /** Initial settings: the lung starts at steady state for them. */
  settings: SimSettings;
}
