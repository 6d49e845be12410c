/**
 * Structural constants of the simulated patient: the lung's discretisation, the breath
 * timing and physical constants. Patient-specific numbers live in the profile (profile.ts).
 */

/** Horizontal lung layers from non-dependent (0) to dependent (LAYER_COUNT - 1), Hickling 1998. */
export const LAYER_COUNT = 12;
/** Alveolar units per layer. */
export const UNITS_PER_LAYER = 24;
/** Total alveolar units. */
export const UNIT_COUNT = LAYER_COUNT * UNITS_PER_LAYER;

/** Inspiratory fraction of the breath cycle (I:E 1:2). */
export const INSPIRATORY_FRACTION = 1 / 3;
/** Longest step `advance` integrates at once; longer calls are split into steps of this size. */
export const MAX_STEP_MS = 1000;

/** Water vapour pressure at 37 degC. */
export const WATER_VAPOUR_MMHG = 47;
/** 1 mmHg = 1.3595 cmH2O. */
export const CMH2O_PER_MMHG = 1.3595;
/** Haemoglobin O2 binding capacity (Huefner), mL O2 per g Hb. */
export const HB_O2_ML_PER_G = 1.34;
/** Dissolved O2, mL O2 per dL blood per mmHg. */
export const DISSOLVED_O2_ML_PER_DL_MMHG = 0.0031;
/** PaCO2 (mmHg) = ALVEOLAR_CO2_CONSTANT * VCO2 (mL/min STPD) / VA (L/min BTPS). */
export const ALVEOLAR_CO2_CONSTANT = 0.863;
/** Fast CO2 store (mL CO2 per mmHg): sets how quickly PaCO2 follows ventilation changes. */
export const CO2_STORE_ML_PER_MMHG = 20;
/** Time constant of alveolar O2 wash-in after an FiO2 change. */
export const FIO2_WASH_IN_S = 10;
/** Cycle-mean lung volume above end-expiratory volume, as a fraction of tidal volume (passive exhalation, I:E 1:2). */
export const MEAN_VOLUME_TIDAL_FRACTION = 0.4;

/**
 * Aerated (normally inflated) units: their tissue opening and closing pressures, added to
 * their layer's superimposed pressure. Low, so that they stay open unless PEEP is far below
 * the superimposed pressure (dependent atelectasis at ZEEP).
 */
export const AERATED_OPENING_MEAN_CMH2O = 4;
/** Spread of the aerated units' tissue opening pressure. */
export const AERATED_OPENING_SD_CMH2O = 1.5;
/** Aerated units' tissue closing pressure (mean, sd). */
export const AERATED_CLOSING_MEAN_CMH2O = -1;
export const AERATED_CLOSING_SD_CMH2O = 1.5;
/** A unit's closing pressure is kept at least this far below its opening pressure. */
export const MIN_HYSTERESIS_CMH2O = 1;
