/**
 * Virtual cohorts: seeded, reproducible populations of patient profiles for batch runs.
 * Every distribution parameter lives in COHORT_DISTRIBUTION so it can be calibrated in one
 * place (e.g. against the abort rates of Fan 2008: hypotension ~12%, desaturation ~9%).
 */
import { z } from 'zod';
import { boundedInt, parseOrThrow } from '../common/validation.js';
import { parseProfile, type PatientProfile } from './profile.js';
import { BUILTIN_PROFILES } from './profiles.js';
import { SeededRandom, STREAM } from './random.js';

/**
 * Distribution constants. Sources: Gattinoni 2006 (NEJM 354:1775) for recruitability, the
 * Berlin definition (ARDS Definition Task Force, JAMA 2012) for severity shares; the rest are
 * calibration choices (marked), to be tuned against cohort abort rates.
 *
 * @example
 * COHORT_DISTRIBUTION.recruitability.nearAbsentProbability; // 0.24
 */
export const COHORT_DISTRIBUTION = {
  recruitability: {
    /** Share of patients with nearly absent recruitability (Gattinoni 2006: 24%). */
    nearAbsentProbability: 0.24,
    /** Their recruitable fraction is uniform in [0, this]. */
    nearAbsentMaxFraction: 0.02,
    /** The others: log-normal with this median and log-sd, so that the cohort has mean ~13%, sd ~11% (Gattinoni 2006: 13 +/- 11%). */
    recruiterMedianFraction: 0.146,
    recruiterSigmaLn: 0.56,
    /** Draws above this are redrawn. */
    maxFraction: 0.6,
    /** Below this a patient is labelled a non-recruiter; below the median (9%), a low recruiter. */
    nonRecruiterBelowFraction: 0.03,
    lowRecruiterBelowFraction: 0.09,
  },
  /** Berlin definition cohort: mild 22%, moderate 50%, severe 28%. */
  severityShares: { mild: 0.22, moderate: 0.5, severe: 0.28 },
  /** Share of fluid-responsive (preload-dependent) patients. Calibration choice, unverified. */
  fluidResponsiveProbability: 0.1,
  /** Barotrauma: pneumothorax enabled in every cohort patient with this hazard (calibration choice; Fan 2008 barotrauma ~1%). */
  pneumothoraxHazardPerMinAt40CmH2O: 0.0005,
  /** Between-patient variation around the severity template (calibration choices). */
  variation: {
    closingPressureSdCmH2O: 1.0,
    superimposedPressureSdLn: 0.15,
    complianceSdLn: 0.15,
    nonRecruitableSdLn: 0.25,
    mapSdMmHg: 7,
    mapRangeMmHg: [65, 110] as const,
    heartRateSdBpm: 10,
    heartRateRangeBpm: [55, 125] as const,
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

function drawPatient(rng: SeededRandom, index: number): CohortPatient {
  const d = COHORT_DISTRIBUTION;
  const v = d.variation;
  const severity = pickSeverity(rng.uniform());
  const recruitable = drawRecruitability(rng);
  const fluidResponsive = rng.uniform() < d.fluidResponsiveProbability;
  const t = structuredClone(TEMPLATE[severity]);
  const lung = t.lung;
  lung.nonRecruitableFraction = round(clamp(lung.nonRecruitableFraction * Math.exp(v.nonRecruitableSdLn * rng.normal()), 0, 0.6), 4);
  lung.recruitableFraction = round(Math.min(recruitable, 0.95 - lung.nonRecruitableFraction), 4);
  lung.closingPressureMeanCmH2O = round(Math.min(lung.closingPressureMeanCmH2O + v.closingPressureSdCmH2O * rng.normal(), lung.openingPressureMeanCmH2O - 2), 2);
  lung.superimposedPressureMaxCmH2O = round(clamp(lung.superimposedPressureMaxCmH2O * Math.exp(v.superimposedPressureSdLn * rng.normal()), 0, 25), 2);
  lung.openLungComplianceMlPerCmH2O = round(clamp(lung.openLungComplianceMlPerCmH2O * Math.exp(v.complianceSdLn * rng.normal()), 10, 300), 1);
  if (fluidResponsive) t.circulation = structuredClone(BUILTIN_PROFILES['hypovolemic-ards'].circulation);
  const c = t.circulation;
  c.mapMmHg = round(clamp(c.mapMmHg + v.mapSdMmHg * rng.normal(), v.mapRangeMmHg[0], v.mapRangeMmHg[1]), 1);
  c.heartRateBpm = Math.round(clamp(c.heartRateBpm + v.heartRateSdBpm * rng.normal(), v.heartRateRangeBpm[0], v.heartRateRangeBpm[1]));
  t.risks = { pneumothorax: { ...t.risks.pneumothorax, enabled: true, hazardPerMinAt40CmH2O: d.pneumothoraxHazardPerMinAt40CmH2O } };
  const archetype = `${severity}/${recruiterClass(recruitable)}/${fluidResponsive ? 'fluid-responsive' : 'euvolemic'}`;
  const id = `P${String(index + 1).padStart(5, '0')}`;
  t.name = `cohort-${id.toLowerCase()}`;
  t.description = `Cohort patient ${id}: ${archetype}, recruitable ${(100 * recruitable).toFixed(1)}% of lung.`;
  return { id, archetype, profile: parseProfile(t), seed: rng.seed() };
}

/**
 * A reproducible virtual cohort: the same `seed` and `n` always give the same patients, and
 * the first k patients of a larger cohort are the same as those of a smaller one.
 *
 * @example
 * for (const p of generateCohort({ n: 1000, seed: 2024 })) {
 *   const patient = new SimPatient(p.profile, { seed: p.seed, settings: baseline });
 * }
 */
export function generateCohort(options: { n: number; seed: number }): CohortPatient[] {
  const o = parseOrThrow(CohortOptionsSchema, options, 'cohort options');
  const rng = new SeededRandom(o.seed, STREAM.cohort);
  const out: CohortPatient[] = [];
  for (let i = 0; i < o.n; i++) out.push(drawPatient(rng, i));
  return out;
}
