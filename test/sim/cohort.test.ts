import { describe, expect, it } from 'vitest';
import { referencePfRatio } from '../../sim/cohort.js';
import { BUILTIN_PROFILES, COHORT_DISTRIBUTION, generateCohort, PatientProfileSchema, SimPatient } from '../../sim/index.js';
import { BASELINE_SETTINGS } from './support/defaultStaircase.js';

describe('generateCohort', () => {
  const cohort = generateCohort({ n: 2000, seed: 2024 });
  const recruitable = cohort.map((p) => p.profile.lung.recruitableFraction);

  it('is reproducible for a seed, and a smaller cohort is a prefix of a larger one', () => {
    expect(generateCohort({ n: 50, seed: 2024 })).toEqual(cohort.slice(0, 50));
    expect(generateCohort({ n: 50, seed: 2025 })).not.toEqual(cohort.slice(0, 50));
    expect(new Set(cohort.map((p) => p.id)).size).toBe(cohort.length);
    expect(new Set(cohort.map((p) => p.profile.name)).size).toBe(cohort.length);
  });

  it('produces profiles that are valid against the schema and simulate', () => {
    for (const p of cohort) expect(PatientProfileSchema.safeParse(p.profile).success).toBe(true);
    for (const p of cohort.slice(0, 20)) {
      const patient = new SimPatient(p.profile, { seed: p.seed, settings: BASELINE_SETTINGS });
      patient.advance(10_000);
      expect(Number.isFinite(patient.gas().pao2MmHg)).toBe(true);
      expect(Number.isFinite(patient.hemodynamics().mapMmHg)).toBe(true);
    }
  });

  it('draws recruitability like Gattinoni 2006: mean ~13% (sd ~11%), nearly absent in ~24%', () => {
    const mean = recruitable.reduce((a, b) => a + b, 0) / recruitable.length;
    const sd = Math.sqrt(recruitable.reduce((a, b) => a + (b - mean) ** 2, 0) / recruitable.length);
    const nearAbsent = recruitable.filter((r) => r < COHORT_DISTRIBUTION.recruitability.nonRecruiterBelowFraction).length / recruitable.length;
    expect(mean).toBeGreaterThan(0.115);
    expect(mean).toBeLessThan(0.145);
    expect(sd).toBeGreaterThan(0.09);
    expect(sd).toBeLessThan(0.13);
    expect(nearAbsent).toBeGreaterThan(0.2);
    expect(nearAbsent).toBeLessThan(0.28);
  });

  it('mixes severities and volume status in the configured shares, and labels archetypes by them', () => {
    const share = (f: (a: string) => boolean): number => cohort.filter((p) => f(p.archetype)).length / cohort.length;
    expect(share((a) => a.startsWith('moderate/'))).toBeCloseTo(COHORT_DISTRIBUTION.severityShares.moderate, 1);
    expect(share((a) => a.startsWith('severe/'))).toBeCloseTo(COHORT_DISTRIBUTION.severityShares.severe, 1);
    expect(share((a) => a.endsWith('/fluid-responsive'))).toBeCloseTo(COHORT_DISTRIBUTION.fluidResponsiveProbability, 1);
    for (const p of cohort) {
      expect(p.archetype).toMatch(/^(mild|moderate|severe)\/(non|low|high)-recruiter\/(euvolemic|fluid-responsive)$/);
      const r = p.profile.lung.recruitableFraction;
      if (p.archetype.includes('/non-recruiter/')) expect(r).toBeLessThan(0.03);
      if (p.archetype.includes('/high-recruiter/')) expect(r).toBeGreaterThanOrEqual(0.09);
      expect(p.profile.risks.pneumothorax.enabled).toBe(true);
      expect(Number.isInteger(p.seed)).toBe(true);
    }
  });

  it('keeps RM candidates only: severe patients are Berlin severe, nobody is in refractory hypoxaemia', () => {
    const e = COHORT_DISTRIBUTION.eligibility;
    for (const p of cohort.slice(0, 400)) {
      const pf = referencePfRatio(p.profile, p.seed, e.reference);
      const pfOnOxygen = referencePfRatio(p.profile, p.seed, { ...e.reference, fio2: 1 });
      expect(pfOnOxygen).toBeGreaterThanOrEqual(e.refractoryPfMinMmHg);
      if (p.archetype.startsWith('severe/')) expect(pf).toBeLessThanOrEqual(100);
    }
  });

  it('makes severe patients recruiters more often than milder ones (Gattinoni 2006: high recruiters oxygenate worse)', () => {
    const nonRecruiterShare = (sev: string): number => {
      const group = cohort.filter((p) => p.archetype.startsWith(`${sev}/`));
      return group.filter((p) => p.archetype.includes('/non-recruiter/')).length / group.length;
    };
    expect(nonRecruiterShare('severe')).toBeLessThan(0.5 * nonRecruiterShare('mild'));
    expect(nonRecruiterShare('severe')).toBeLessThan(0.5 * nonRecruiterShare('moderate'));
  });

  it('draws baseline MAP and heart rate from truncated normals inside the eligibility ranges', () => {
    const v = COHORT_DISTRIBUTION.variation;
    const maps = cohort.map((p) => p.profile.circulation.mapMmHg);
    const hrs = cohort.map((p) => p.profile.circulation.heartRateBpm);
    for (const m of maps) expect(m >= v.mapRangeMmHg[0] && m <= v.mapRangeMmHg[1]).toBe(true);
    for (const h of hrs) expect(h >= v.heartRateRangeBpm[0] && h <= v.heartRateRangeBpm[1]).toBe(true);
    // Truncated, not clamped: no pile-up at the lower bound.
    expect(maps.filter((m) => m === v.mapRangeMmHg[0]).length).toBeLessThan(3);
    const euvolemicMean = cohort.filter((p) => p.archetype.endsWith('/euvolemic')).reduce((a, p) => a + p.profile.circulation.mapMmHg, 0) / cohort.filter((p) => p.archetype.endsWith('/euvolemic')).length;
    expect(euvolemicMean).toBeGreaterThan(80 + v.mapShiftMmHg - 1.5);
    expect(euvolemicMean).toBeLessThan(80 + v.mapShiftMmHg + 1.5);
  });

  it('rejects bad options with the field and range', () => {
    expect(() => generateCohort({ n: 0, seed: 1 })).toThrow(/n = 0: must be a whole number between 1 and 1000000/);
    expect(() => generateCohort({ n: 10, seed: 0.5 })).toThrow(/seed = 0.5/);
    expect(() => generateCohort({ n: 10, seed: 1, lowPressureRecruitableShare: 1.5 })).toThrow(/lowPressureRecruitableShare = 1.5: must be between 0 and 1/);
  });

  it('splits each recruitable fraction into the two populations only when asked (lowPressureRecruitableShare); the first patient keeps its severity, circulation and seed', () => {
    expect(COHORT_DISTRIBUTION.recruitability.lowPressureRecruitableShare).toBe(0);
    const plain = generateCohort({ n: 20, seed: 3 });
    for (const p of plain) expect(p.profile.lung.lowPressureRecruitableShare).toBe(0);
    const split = generateCohort({ n: 20, seed: 3, lowPressureRecruitableShare: 0.5 });
    const template = BUILTIN_PROFILES['moderate-ards'].lung;
    for (const [i, p] of split.entries()) {
      expect(p.profile.lung.lowPressureRecruitableShare).toBe(0.5);
      if (i === 0) {
        // Severity, circulation and seed are drawn before the lung (the eligibility check may then
        // draw other lungs, so later patients of the stream differ).
        const q = plain[0]!;
        expect(p.seed).toBe(q.seed);
        expect(p.archetype.split('/')[0]).toBe(q.archetype.split('/')[0]);
        expect(p.profile.circulation).toEqual(q.profile.circulation);
      }
      // The patient's own offsets move the low-pressure population as they move the other one.
      const shift = p.profile.lung.openingPressureMeanCmH2O - BUILTIN_PROFILES[`${p.archetype.split('/')[0] as 'mild' | 'moderate' | 'severe'}-ards`].lung.openingPressureMeanCmH2O;
      expect(p.profile.lung.lowPressureOpeningMeanCmH2O).toBeCloseTo(template.lowPressureOpeningMeanCmH2O + shift, 1);
      expect(p.profile.lung.lowPressureClosingMeanCmH2O).toBeLessThan(p.profile.lung.lowPressureOpeningMeanCmH2O);
    }
  });
});
