/**
 * Virtual cohorts: seeded, reproducible populations of patient profiles for batch runs.
 * Every distribution parameter lives in COHORT_DISTRIBUTION so it can be calibrated in one
 * place (calibrated against the abort rates of Fan 2008: hypotension ~12%, desaturation ~9%;
 * docs/simulator.md, "Cohorts").
 */
import { z } from 'zod';
import { bounded, boundedInt, parseOrThrow } from '../common/validation.js';
import { SimPatient } from './patient.js';
import { parseProfile, type PatientProfile } from './profile.js';
import { BUILTIN_PROFILES } from './profiles.js';
import { SeededRandom, STREAM } from './random.js';
import type { SimSettings } from './types.js';

/**
 * Distribution constants. Sources: Gattinoni 2006 (NEJM 354:1775) for recruitability, the
 * Berlin definition (ARDS Definition Task Force, JAMA 2012) for severity shares and the
 * severe P/F band, clinical.md for the refractory-hypoxaemia bound; the rest are calibration
 * choices (marked), set against the Fan 2008 abort rates through the real controller.
 *
 * @example
 * COHORT_DISTRIBUTION.recruitability.nearAbsentProbability; // 0.29
 */
export const COHORT_DISTRIBUTION = {
  recruitability: {
    /**
     * Share of draws with nearly absent recruitability. Fitted so that the accepted cohort
     * (after `eligibility`, which turns away some severe non-recruiters) has ~24% below 3%
     * (Gattinoni 2006: 24%).
     */
    nearAbsentProbability: 0.29,
    /** Their recruitable fraction is uniform in [0, this]. */
    nearAbsentMaxFraction: 0.02,
    /** The others: log-normal with this median and log-sd, fitted so that the accepted cohort has mean ~13%, sd ~10% (Gattinoni 2006: 13 +/- 11%). */
    recruiterMedianFraction: 0.146,
    recruiterSigmaLn: 0.62,
    /** Draws above this are redrawn. */
    maxFraction: 0.6,
    /** Below this a patient is labelled a non-recruiter; below the median (9%), a low recruiter. */
    nonRecruiterBelowFraction: 0.03,
    lowRecruiterBelowFraction: 0.09,
    /**
     * Share of each patient's recruitable fraction in the low-pressure population (tissue opening
     * ~10, closing ~7 cmH2O above its layer, placed in every layer: the units the one-breath
     * release between PEEP 15 and 5 measures, Chen 2020). The built-in templates use 0.5; the
     * cohort keeps 0 (every recruitable unit closes at 15-25 cmH2O airway pressure, as before
     * issue 19's calibration) because with 0.5 the titration sees derecruitment in 39% of
     * completed staircases instead of 51-58% (docs/simulator.md, "Recruitability screen").
     * `generateCohort({ lowPressureRecruitableShare })` overrides it. Calibration choice (unverified).
     */
    lowPressureRecruitableShare: 0,
  },
  /** Berlin definition cohort: mild 22%, moderate 50%, severe 28%. */
  severityShares: { mild: 0.22, moderate: 0.5, severe: 0.28 },
  /**
   * Who is an RM candidate. A drawn lung is kept only if its steady-state P/F on `reference`
   * lies in its severity's band (lower bound exclusive, upper inclusive) and its P/F on the
   * same ventilation at FiO2 1.0 is at least `refractoryPfMinMmHg`; otherwise the lung
   * (recruitability and variation) is drawn again, keeping the patient's severity and
   * circulation.
   */
  eligibility: {
    /** The cohort runner's default baseline ventilation (VC 420 mL, PEEP 10, rate 20) at FiO2 0.6, as in the profile table. */
    reference: { mode: 'VC', peepCmH2O: 10, peakCmH2O: 35, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 } satisfies SimSettings,
    /**
     * P/F bands by severity on `reference`. Severe is Berlin severe (P/F <= 100). Mild and
     * moderate are not bounded: in this model a non-recruiter's hypoxaemia comes only from
     * its template's consolidation (5%, 10%), so mild and moderate non-recruiters have P/F
     * above their Berlin bands, and bounding them would remove Gattinoni's non-recruiters.
     */
    pfBandMmHg: { mild: [0, Infinity], moderate: [0, Infinity], severe: [0, 100] } satisfies Record<'mild' | 'moderate' | 'severe', readonly [number, number]>,
    /**
     * Refractory hypoxaemia: P/F below this on FiO2 1.0 (clinical.md: the ECMO criterion,
     * P/F < 50 on FiO2 1.0; also SaO2 ~85%, the abort floor) is a rescue patient, not an
     * RM candidate.
     */
    refractoryPfMinMmHg: 50,
    /** Draws per patient before generateCohort gives up (a configuration no lung can meet). */
    maxDraws: 500,
  },
  /**
   * Share of markedly fluid-responsive (preload-dependent) patients, who get the
   * hypovolemic-ards circulation (SV -63% at PEEP 30-40: nearly all abort for hypotension).
   * Calibration choice (unverified): RMs are elective and volume status is usually
   * optimised first, so few such patients should reach one uncorrected.
   */
  fluidResponsiveProbability: 0.05,
  /** Barotrauma: pneumothorax enabled in every cohort patient with this hazard (calibration choice; Fan 2008 barotrauma ~1%). */
  pneumothoraxHazardPerMinAt40CmH2O: 0.00015,
  /** Between-patient variation around the severity template (calibration choices). */
  variation: {
    /**
     * Between-patient spread (sd, cmH2O) of the recruitable lung's tissue closing and opening
     * pressures, drawn here (normal, truncated at 2 sd) and written into each patient's profile
     * (its own per-seed spread is then 0, so a cohort profile states its lung in full). The
     * same values as the built-in profiles' `patientClosingPressureSdCmH2O` /
     * `patientOpeningPressureSdCmH2O`: de Matos 2012 (51 patients after maximal recruitment: the
     * PEEP keeping the lung open 24.6 +/- 2.9 cmH2O); Crotti 2001 (closing pressures spread over
     * ~0-20 cmH2O, opening up to 45). The spread makes the derecruitment PEEP differ between
     * patients (issue 15).
     */
    closingPressureSdCmH2O: 3,
    openingPressureSdCmH2O: 3,
    superimposedPressureSdLn: 0.15,
    complianceSdLn: 0.15,
    nonRecruitableSdLn: 0.25,
    /**
     * Baseline MAP: template MAP (80 euvolaemic, 75 fluid-responsive) + this shift + N(0, sd),
     * truncated to the range (redrawn, no pile-up at the bounds). ART (2017) excluded MAP < 65.
     */
    mapShiftMmHg: 3,
    mapSdMmHg: 7,
    mapRangeMmHg: [65, 110] as const,
    /** Baseline heart rate: template HR + N(0, sd), truncated; the guards abort below 60 and above 140. */
    heartRateSdBpm: 10,
    heartRateRangeBpm: [60, 125] as const,
  },
} as const;

/** Berlin severity of a cohort patient (picks the mild/moderate/severe-ards template). */
export type Severity = 'mild' | 'moderate' | 'severe';
/** Recruitability class: below 3% non-recruiter, below the median 9% low, else high (Gattinoni 2006). */
export type RecruiterClass = 'non-recruiter' | 'low-recruiter' | 'high-recruiter';
/** Euvolaemic patients use their template's circulation; fluid-responsive ones that of hypovolemic-ards. */
export type VolumeStatus = 'euvolemic' | 'fluid-responsive';

/**
 * One virtual patient of a cohort.
 *
 * @example
 * const [first] = generateCohort({ n: 1, seed: 7 });
 * first.archetype; // e.g. 'moderate/high-recruiter/euvolemic'
 */
export interface CohortPatient {
  /** `P00001`, ... in generation order. */
  id: string;
  /** `severity/recruiter class/volume status`, e.g. `moderate/high-recruiter/euvolemic`. */
  archetype: string;
  profile: PatientProfile;
  /** Seed for this patient's SimPatient and SimMonitor. */
  seed: number;
}

const CohortOptionsSchema = z
  .object({
    n: boundedInt(1, 1_000_000),
    seed: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }),
    /** Overrides COHORT_DISTRIBUTION.recruitability.lowPressureRecruitableShare. */
    lowPressureRecruitableShare: bounded(0, 1, '(fraction)').optional(),
  })
  .strict();

const TEMPLATE: Record<Severity, PatientProfile> = {
  mild: BUILTIN_PROFILES['mild-ards'],
  moderate: BUILTIN_PROFILES['moderate-ards'],
  severe: BUILTIN_PROFILES['severe-ards'],
};

/**
 * Draws a recruitable fraction from the Gattinoni 2006 mixture.
 *
 * @example
 * const fraction = drawRecruitability(new SeededRandom(1, STREAM.cohort)); // 0-0.6
 */
export function drawRecruitability(rng: SeededRandom): number {
  const r = COHORT_DISTRIBUTION.recruitability;
  if (rng.uniform() < r.nearAbsentProbability) return rng.uniform() * r.nearAbsentMaxFraction;
  for (;;) {
    const v = r.recruiterMedianFraction * Math.exp(r.recruiterSigmaLn * rng.normal());
    if (v <= r.maxFraction) return v;
  }
}

function pickSeverity(u: number): Severity {
  const s = COHORT_DISTRIBUTION.severityShares;
  return u < s.mild ? 'mild' : u < s.mild + s.moderate ? 'moderate' : 'severe';
}

function recruiterClass(fraction: number): RecruiterClass {
  const r = COHORT_DISTRIBUTION.recruitability;
  return fraction < r.nonRecruiterBelowFraction ? 'non-recruiter' : fraction < r.lowRecruiterBelowFraction ? 'low-recruiter' : 'high-recruiter';
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Normal draw redrawn until it falls in [lo, hi] (a truncated normal; no pile-up at the bounds). */
function truncatedNormal(rng: SeededRandom, mean: number, sd: number, lo: number, hi: number): number {
  for (let i = 0; i < 1000; i++) {
    const v = mean + sd * rng.normal();
    if (v >= lo && v <= hi) return v;
  }
  return clamp(mean, lo, hi);
}

/** A standard normal draw redrawn until it lies within +/- `limit` sd. */
function truncatedZ(rng: SeededRandom, limit: number): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= limit) return z;
  }
}

/**
 * Steady-state P/F of a profile on fixed settings (the eligibility check of a cohort patient).
 *
 * @example
 * const e = COHORT_DISTRIBUTION.eligibility;
 * referencePfRatio(BUILTIN_PROFILES['severe-ards'], 1, e.reference); // ~77
 */
export function referencePfRatio(profile: PatientProfile, seed: number, settings: SimSettings): number {
  const p = new SimPatient(profile, { seed, settings });
  p.advance(1000);
  return p.gas().pfRatio;
}

function varyLung(rng: SeededRandom, template: PatientProfile, lowPressureShare: number): { lung: PatientProfile['lung']; recruitable: number } {
  const v = COHORT_DISTRIBUTION.variation;
  const recruitable = drawRecruitability(rng);
  const lung = structuredClone(template.lung);
  lung.lowPressureRecruitableShare = lowPressureShare;
  lung.nonRecruitableFraction = round(clamp(lung.nonRecruitableFraction * Math.exp(v.nonRecruitableSdLn * rng.normal()), 0, 0.6), 4);
  // The profile schema caps recruitable + consolidated at 0.95: keep a 1e-4 margin against rounding.
  lung.recruitableFraction = Math.min(round(recruitable, 4), round(0.95 - lung.nonRecruitableFraction - 1e-4, 4));
  const opening0 = lung.openingPressureMeanCmH2O;
  const closing0 = lung.closingPressureMeanCmH2O;
  lung.openingPressureMeanCmH2O = round(clamp(opening0 + v.openingPressureSdCmH2O * truncatedZ(rng, 2), 10, 45), 2);
  lung.closingPressureMeanCmH2O = round(Math.min(closing0 + v.closingPressureSdCmH2O * truncatedZ(rng, 2), lung.openingPressureMeanCmH2O - 2), 2);
  // The patient's offsets move the low-pressure recruitable population alike (as the per-seed
  // spread of a built-in profile does, sim/lungUnits.ts).
  lung.lowPressureOpeningMeanCmH2O = round(clamp(lung.lowPressureOpeningMeanCmH2O + lung.openingPressureMeanCmH2O - opening0, 0, 60), 2);
  lung.lowPressureClosingMeanCmH2O = round(
    Math.min(lung.lowPressureClosingMeanCmH2O + lung.closingPressureMeanCmH2O - closing0, lung.lowPressureOpeningMeanCmH2O - 2),
    2,
  );
  // The spread was drawn here: the patient's seed must not move the means again.
  lung.patientClosingPressureSdCmH2O = 0;
  lung.patientOpeningPressureSdCmH2O = 0;
  lung.superimposedPressureMaxCmH2O = round(clamp(lung.superimposedPressureMaxCmH2O * Math.exp(v.superimposedPressureSdLn * rng.normal()), 0, 25), 2);
  lung.openLungComplianceMlPerCmH2O = round(clamp(lung.openLungComplianceMlPerCmH2O * Math.exp(v.complianceSdLn * rng.normal()), 10, 300), 1);
  return { lung, recruitable };
}

function drawPatient(rng: SeededRandom, index: number, lowPressureShare: number): CohortPatient {
  const d = COHORT_DISTRIBUTION;
  const v = d.variation;
  const severity = pickSeverity(rng.uniform());
  const fluidResponsive = rng.uniform() < d.fluidResponsiveProbability;
  const t = structuredClone(TEMPLATE[severity]);
  if (fluidResponsive) t.circulation = structuredClone(BUILTIN_PROFILES['hypovolemic-ards'].circulation);
  const c = t.circulation;
  c.mapMmHg = round(truncatedNormal(rng, c.mapMmHg + v.mapShiftMmHg, v.mapSdMmHg, v.mapRangeMmHg[0], v.mapRangeMmHg[1]), 1);
  c.heartRateBpm = Math.round(truncatedNormal(rng, c.heartRateBpm, v.heartRateSdBpm, v.heartRateRangeBpm[0], v.heartRateRangeBpm[1]));
  t.risks = { pneumothorax: { ...t.risks.pneumothorax, enabled: true, hazardPerMinAt40CmH2O: d.pneumothoraxHazardPerMinAt40CmH2O } };
  const seed = rng.seed();
  const id = `P${String(index + 1).padStart(5, '0')}`;
  t.name = `cohort-${id.toLowerCase()}`;
  const e = d.eligibility;
  const [lo, hi] = e.pfBandMmHg[severity];
  for (let draw = 1; ; draw++) {
    const { lung, recruitable } = varyLung(rng, TEMPLATE[severity], lowPressureShare);
    t.lung = lung;
    const archetype = `${severity}/${recruiterClass(recruitable)}/${fluidResponsive ? 'fluid-responsive' : 'euvolemic'}`;
    t.description = `Cohort patient ${id}: ${archetype}, recruitable ${(100 * recruitable).toFixed(1)}% of lung.`;
    const profile = parseProfile(t);
    const pf = referencePfRatio(profile, seed, e.reference);
    if (pf > lo && pf <= hi && referencePfRatio(profile, seed, { ...e.reference, fio2: 1 }) >= e.refractoryPfMinMmHg) return { id, archetype, profile, seed };
    if (draw >= e.maxDraws) {
      throw new Error(`cohort patient ${id}: no ${severity} lung with P/F in (${lo}, ${hi}] and >= ${e.refractoryPfMinMmHg} on FiO2 1.0 after ${draw} draws`);
    }
  }
}

/**
 * A reproducible virtual cohort: the same `seed` and `n` always give the same patients, and
 * the first k patients of a larger cohort are the same as those of a smaller one.
 *
 * @example
 * // lowPressureRecruitableShare (optional, 0-1): see COHORT_DISTRIBUTION.recruitability.
 * for (const p of generateCohort({ n: 1000, seed: 2024 })) {
 *   const patient = new SimPatient(p.profile, { seed: p.seed, settings: baseline });
 * }
 */
export function generateCohort(options: { n: number; seed: number; lowPressureRecruitableShare?: number }): CohortPatient[] {
  const o = parseOrThrow(CohortOptionsSchema, options, 'cohort options');
  const rng = new SeededRandom(o.seed, STREAM.cohort);
  const share = o.lowPressureRecruitableShare ?? COHORT_DISTRIBUTION.recruitability.lowPressureRecruitableShare;
  const out: CohortPatient[] = [];
  for (let i = 0; i < o.n; i++) out.push(drawPatient(rng, i, share));
  return out;
}
