/**
 * The alveolar unit population: a vertically layered lung (Hickling 1998) whose units carry
 * opening and closing pressures (tissue thresholds plus the layer's superimposed pressure)
 * and Bates & Irvin (2002) trajectory speeds.
 *
 * Sampling is stratified: every distribution is represented by its quantiles, and the seed
 * decides how the quantiles are paired (opening with closing pressure, pressure with speed)
 * and, when the profile gives a between-patient spread, how far this patient's recruitable
 * lung closes and opens above or below the profile means (patientPressureOffsets). Without a
 * spread two seeds give the same aggregate lung with different unit details.
 */
import {
  AERATED_CLOSING_MEAN_CMH2O,
  AERATED_CLOSING_SD_CMH2O,
  AERATED_OPENING_MEAN_CMH2O,
  AERATED_OPENING_SD_CMH2O,
  LAYER_COUNT,
  MIN_HYSTERESIS_CMH2O,
  UNIT_COUNT,
  UNITS_PER_LAYER,
} from './constants.js';
import type { PatientProfile } from './profile.js';
import { normalQuantile, SeededRandom, STREAM } from './random.js';

/** Unit kinds: normally aerated (opens at low pressure), recruitable (collapsed, opens at high pressure), consolidated (never opens), low-pressure recruitable. */
export const UNIT_AERATED = 0;
export const UNIT_RECRUITABLE = 1;
export const UNIT_CONSOLIDATED = 2;
/**
 * Recruitable, of the low-pressure population (`lowPressureRecruitableShare`): opens below ~25
 * and closes between ~5 and 15 cmH2O airway pressure, placed less dependently (Crotti 2001).
 */
export const UNIT_RECRUITABLE_LOW_PRESSURE = 3;

/** True for both recruitable populations. */
export function isRecruitableKind(kind: number): boolean {
  return kind === UNIT_RECRUITABLE || kind === UNIT_RECRUITABLE_LOW_PRESSURE;
}

/** Struct-of-arrays over units (index = layer * UNITS_PER_LAYER + k) and layers. */
export interface LungUnits {
  /** Superimposed pressure of each layer. */
  readonly spCmH2O: Float64Array;
  /** Relative perfusion of one unit in each layer (gravity). */
  readonly perfusionWeight: Float64Array;
  readonly kind: Uint8Array;
  /** Airway pressure above which the unit's trajectory rises. */
  readonly openingCmH2O: Float64Array;
  /** Airway pressure below which the unit's trajectory falls. */
  readonly closingCmH2O: Float64Array;
  readonly openRate: Float64Array;
  readonly closeRate: Float64Array;
  /** Virtual trajectory x in [0, 1]. */
  readonly x: Float64Array;
  /** 1 while open. */
  readonly open: Uint8Array;
  /** 1 when a pneumothorax compresses the unit (it cannot open). */
  readonly compressed: Uint8Array;
  /** Open units per layer. */
  readonly openCount: Float64Array;
  /** Units per layer that are not consolidated (could be open). */
  readonly patentCount: Float64Array;
  /**
   * Work list of the recruitment integrator: the units whose trajectory moves under the
   * pressures it was built for, with their drift (per s). Rebuilt when the pressures change.
   */
  readonly activity: { valid: boolean; count: number; inspCmH2O: number; expCmH2O: number; inspFraction: number };
  readonly activeUnits: Int32Array;
  readonly drift: Float64Array;
}

/** Splits `total` units over layers in proportion to `weights`, capped by `capacity`, integer counts. */
function distribute(total: number, weights: Float64Array, capacity: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  const share = new Float64Array(weights.length);
  let remaining = total;
  const free = new Uint8Array(weights.length).fill(1);
  for (let pass = 0; pass < weights.length && remaining > 1e-9; pass++) {
    let wsum = 0;
    for (let l = 0; l < weights.length; l++) if (free[l]) wsum += weights[l] as number;
    if (wsum <= 0) break;
    let capped = false;
    for (let l = 0; l < weights.length; l++) {
      if (!free[l]) continue;
      const want = (remaining * (weights[l] as number)) / wsum;
      if ((share[l] as number) + want >= (capacity[l] as number)) {
        capped = true;
        free[l] = 0;
      }
    }
    if (!capped) {
      for (let l = 0; l < weights.length; l++) if (free[l]) share[l] = (share[l] as number) + (remaining * (weights[l] as number)) / wsum;
      remaining = 0;
      break;
    }
    remaining = total;
    for (let l = 0; l < weights.length; l++) {
      if (!free[l]) share[l] = capacity[l] as number;
      remaining -= free[l] ? (share[l] as number) : (capacity[l] as number);
    }
  }
  let cum = 0;
  let prev = 0;
  for (let l = 0; l < weights.length; l++) {
    cum += share[l] as number;
    const next = Math.round(cum);
    out[l] = Math.max(0, Math.min(capacity[l] as number, next - prev));
    prev += out[l] as number;
  }
  return out;
}

/** Truncation of the between-patient draws, in sd. */
const PATIENT_OFFSET_TRUNCATION_SD = 2;

/** A standard normal draw redrawn until it lies within +/- `limit`. */
function truncatedStandardNormal(rng: SeededRandom, limit: number): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= limit) return z;
  }
}

/**
 * The tissue opening and closing pressure means of the recruitable units of the patient `seed`
 * picks from the profile: the profile means moved by the patient's own offsets (sd
 * `patientOpeningPressureSdCmH2O` / `patientClosingPressureSdCmH2O`, truncated at 2 sd). The
 * closing mean stays at least 2 cmH2O below the opening mean.
 *
 * @example
 * patientPressureOffsets(BUILTIN_PROFILES['moderate-ards'], 3); // { openingMeanCmH2O: ~26 +/- 3, closingMeanCmH2O: ~7.8 +/- 3 }
 */
export function patientPressureOffsets(profile: PatientProfile, seed: number): { openingMeanCmH2O: number; closingMeanCmH2O: number } {
  const lung = profile.lung;
  const rng = new SeededRandom(seed, STREAM.patient);
  const zOpen = truncatedStandardNormal(rng, PATIENT_OFFSET_TRUNCATION_SD);
  const zClose = truncatedStandardNormal(rng, PATIENT_OFFSET_TRUNCATION_SD);
  const openingMeanCmH2O = lung.openingPressureMeanCmH2O + lung.patientOpeningPressureSdCmH2O * zOpen;
  const closingMeanCmH2O = Math.min(lung.closingPressureMeanCmH2O + lung.patientClosingPressureSdCmH2O * zClose, openingMeanCmH2O - 2);
  return { openingMeanCmH2O, closingMeanCmH2O };
}

/**
 * Builds the unit population of a profile. All units start closed (x = 0).
 *
 * @example
 * const units = buildLungUnits(BUILTIN_PROFILES['moderate-ards'], 7);
 */
export function buildLungUnits(profile: PatientProfile, seed: number): LungUnits {
  const lung = profile.lung;
  const rng = new SeededRandom(seed, STREAM.structure);
  const sp = new Float64Array(LAYER_COUNT);
  const perfusion = new Float64Array(LAYER_COUNT);
  const collapseWeight = new Float64Array(LAYER_COUNT);
  const lowCollapseWeight = new Float64Array(LAYER_COUNT);
  const consolidationWeight = new Float64Array(LAYER_COUNT);
  for (let l = 0; l < LAYER_COUNT; l++) {
    const depth = (l + 0.5) / LAYER_COUNT;
    sp[l] = lung.superimposedPressureMaxCmH2O * depth;
    perfusion[l] = 1 + (profile.gas.dependentPerfusionRatio - 1) * (l / (LAYER_COUNT - 1));
    collapseWeight[l] = Math.pow(depth, lung.dependentCollapseExponent);
    lowCollapseWeight[l] = Math.pow(depth, lung.lowPressureCollapseExponent);
    consolidationWeight[l] = Math.pow(depth, lung.consolidationGravityExponent);
  }
  // The patient's own closing and opening pressures (a stream of their own, so the unit pairing
  // drawn from `rng` is the same whatever the spread).
  const offsets = patientPressureOffsets(profile, seed);
  const full = new Float64Array(LAYER_COUNT).fill(UNITS_PER_LAYER);
  // Recruitable units: the high-pressure population (dependent) first, then the low-pressure one
  // (lowPressureRecruitableShare, placed by its own exponent) in the room left.
  const recruitableTotal = lung.recruitableFraction * UNIT_COUNT;
  const lowTotal = lung.lowPressureRecruitableShare * recruitableTotal;
  const recruitable = distribute(recruitableTotal - lowTotal, collapseWeight, full);
  const afterHigh = new Float64Array(LAYER_COUNT);
  for (let l = 0; l < LAYER_COUNT; l++) afterHigh[l] = UNITS_PER_LAYER - (recruitable[l] as number);
  const lowRecruitable = lowTotal > 0 ? distribute(lowTotal, lowCollapseWeight, afterHigh) : new Int32Array(LAYER_COUNT);
  const left = new Float64Array(LAYER_COUNT);
  for (let l = 0; l < LAYER_COUNT; l++) left[l] = (afterHigh[l] as number) - (lowRecruitable[l] as number);
  const consolidated = distribute(lung.nonRecruitableFraction * UNIT_COUNT, consolidationWeight, left);
  // The patient's own offsets move both populations alike.
  const openShift = offsets.openingMeanCmH2O - lung.openingPressureMeanCmH2O;
  const closeShift = offsets.closingMeanCmH2O - lung.closingPressureMeanCmH2O;
  const lowOpeningMean = lung.lowPressureOpeningMeanCmH2O + openShift;
  const lowClosingMean = Math.min(lung.lowPressureClosingMeanCmH2O + closeShift, lowOpeningMean - 2);

  const units: LungUnits = {
    spCmH2O: sp,
    perfusionWeight: perfusion,
    kind: new Uint8Array(UNIT_COUNT),
    openingCmH2O: new Float64Array(UNIT_COUNT),
    closingCmH2O: new Float64Array(UNIT_COUNT),
    openRate: new Float64Array(UNIT_COUNT),
    closeRate: new Float64Array(UNIT_COUNT),
    x: new Float64Array(UNIT_COUNT),
    open: new Uint8Array(UNIT_COUNT),
    compressed: new Uint8Array(UNIT_COUNT),
    openCount: new Float64Array(LAYER_COUNT),
    patentCount: new Float64Array(LAYER_COUNT),
    activity: { valid: false, count: 0, inspCmH2O: Number.NaN, expCmH2O: Number.NaN, inspFraction: Number.NaN },
    activeUnits: new Int32Array(UNIT_COUNT),
    drift: new Float64Array(UNIT_COUNT),
  };

  const perm = new Int32Array(UNITS_PER_LAYER);
  const fill = (l: number, from: number, n: number, kind: number, openMean: number, openSd: number, closeMean: number, closeSd: number): void => {
    if (n <= 0) return;
    const pairing = rng.permutation(perm.subarray(0, n));
    const pairingCopy = Int32Array.from(pairing);
    const speedOrder = rng.permutation(perm.subarray(0, n));
    const rho = lung.openClosePressureCorrelation;
    for (let k = 0; k < n; k++) {
      const i = l * UNITS_PER_LAYER + from + k;
      const zOpen = normalQuantile((k + 0.5) / n);
      const zOther = normalQuantile(((pairingCopy[k] as number) + 0.5) / n);
      const zClose = rho * zOpen + Math.sqrt(1 - rho * rho) * zOther;
      const zSpeed = normalQuantile(((speedOrder[k] as number) + 0.5) / n);
      const opening = (sp[l] as number) + openMean + openSd * zOpen;
      const closing = Math.min((sp[l] as number) + closeMean + closeSd * zClose, opening - MIN_HYSTERESIS_CMH2O);
      units.kind[i] = kind;
      units.openingCmH2O[i] = opening;
      units.closingCmH2O[i] = closing;
      units.openRate[i] = lung.openingRatePerCmH2OPerS * Math.exp(lung.rateSpreadLn * zSpeed);
      units.closeRate[i] = lung.closingRatePerCmH2OPerS * Math.exp(lung.rateSpreadLn * zSpeed);
    }
  };

  for (let l = 0; l < LAYER_COUNT; l++) {
    const c = consolidated[l] as number;
    const r = recruitable[l] as number;
    const rl = lowRecruitable[l] as number;
    const a = UNITS_PER_LAYER - c - r - rl;
    fill(l, 0, a, UNIT_AERATED, AERATED_OPENING_MEAN_CMH2O, AERATED_OPENING_SD_CMH2O, AERATED_CLOSING_MEAN_CMH2O, AERATED_CLOSING_SD_CMH2O);
    fill(l, a, r, UNIT_RECRUITABLE, offsets.openingMeanCmH2O, lung.openingPressureSdCmH2O, offsets.closingMeanCmH2O, lung.closingPressureSdCmH2O);
    fill(l, a + r, rl, UNIT_RECRUITABLE_LOW_PRESSURE, lowOpeningMean, lung.lowPressureOpeningSdCmH2O, lowClosingMean, lung.closingPressureSdCmH2O);
    for (let k = a + r + rl; k < UNITS_PER_LAYER; k++) {
      const i = l * UNITS_PER_LAYER + k;
      units.kind[i] = UNIT_CONSOLIDATED;
      // Never opens; no pressure moves its trajectory.
      units.openingCmH2O[i] = Number.POSITIVE_INFINITY;
      units.closingCmH2O[i] = Number.NEGATIVE_INFINITY;
    }
    units.patentCount[l] = a + r + rl;
  }
  return units;
}

/** Recounts open units per layer from the unit flags. */
export function recountOpen(units: LungUnits): void {
  units.activity.valid = false;
  units.openCount.fill(0);
  for (let i = 0; i < UNIT_COUNT; i++) {
    if (units.open[i]) {
      const l = (i / UNITS_PER_LAYER) | 0;
      units.openCount[l] = (units.openCount[l] as number) + 1;
    }
  }
}
