import { describe, expect, it } from 'vitest';
import { isValidationError, ValidationError } from '../../common/validation.js';
import { BUILTIN_PROFILE_NAMES, BUILTIN_PROFILES, parseProfile, PatientProfileSchema, profileByName } from '../../sim/index.js';

const moderate = (): Record<string, any> => structuredClone(BUILTIN_PROFILES['moderate-ards']) as Record<string, any>;

function problemsOf(input: unknown): ValidationError['problems'] {
  try {
    parseProfile(input);
  } catch (e) {
    if (isValidationError(e)) return e.problems;
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('patient profiles', () => {
  it('every built-in profile is valid, named after its key and frozen', () => {
    for (const name of BUILTIN_PROFILE_NAMES) {
      const p = BUILTIN_PROFILES[name];
      expect(PatientProfileSchema.safeParse(p).success).toBe(true);
      expect(p.name).toBe(name);
      expect(Object.isFrozen(p.lung)).toBe(true);
      expect(profileByName(name)).toBe(p);
    }
    expect(profileByName('no-such-patient')).toBeUndefined();
    expect(profileByName('toString')).toBeUndefined();
  });

  it('rejects a negative compliance, naming field, value and allowed range', () => {
    const p = moderate();
    p.lung.openLungComplianceMlPerCmH2O = -5;
    const [problem] = problemsOf(p);
    expect(problem?.field).toBe('lung.openLungComplianceMlPerCmH2O');
    expect(problem?.value).toBe(-5);
    expect(problem?.message).toContain('between 10 and 300 mL/cmH2O');
  });

  it('rejects a shunt fraction above 1 with its range', () => {
    const p = moderate();
    p.gas.fixedShuntFraction = 1.2;
    const [problem] = problemsOf(p);
    expect(problem?.field).toBe('gas.fixedShuntFraction');
    expect(problem?.value).toBe(1.2);
    expect(problem?.message).toContain('between 0 and 0.6');
  });

  it('rejects unknown fields at any depth', () => {
    const p = moderate();
    p.lung.elasticityFudge = 3;
    p.colour = 'blue';
    const problems = problemsOf(p);
    expect(problems.map((x) => x.field).sort()).toEqual(['colour', 'lung.elasticityFudge']);
    expect(problems.every((x) => x.message.includes('unknown field'))).toBe(true);
  });

  it('reports every bad field at once and says so in the message', () => {
    const p = moderate();
    p.circulation.heartRateBpm = 400;
    p.gas.hemoglobinGPerDl = 'twelve';
    expect(() => parseProfile(p)).toThrowError(/circulation\.heartRateBpm = 400: must be between 40 and 150/);
    expect(problemsOf(p).map((x) => x.field).sort()).toEqual(['circulation.heartRateBpm', 'gas.hemoglobinGPerDl']);
  });

  it('checks fields against each other (recruitable + consolidated, closing below opening)', () => {
    const p = moderate();
    p.lung.recruitableFraction = 0.7;
    p.lung.nonRecruitableFraction = 0.5;
    p.lung.closingPressureMeanCmH2O = 30;
    const fields = problemsOf(p).map((x) => x.field);
    expect(fields).toContain('lung.recruitableFraction');
    expect(fields).toContain('lung.closingPressureMeanCmH2O');
  });

  it('checks the low-pressure recruitable population: closing below opening, share a fraction, each problem named with its range', () => {
    const p = moderate();
    p.lung.lowPressureClosingMeanCmH2O = 12;
    p.lung.lowPressureOpeningMeanCmH2O = 10;
    expect(problemsOf(p).map((x) => x.field)).toEqual(['lung.lowPressureClosingMeanCmH2O']);
    expect(() => parseProfile(p)).toThrowError(/lowPressureClosingMeanCmH2O.*must be below lowPressureOpeningMeanCmH2O \(10 cmH2O\)/);
    const q = moderate();
    q.lung.lowPressureRecruitableShare = 1.5;
    q.lung.lowPressureOpeningSdCmH2O = -1;
    expect(() => parseProfile(q)).toThrowError(/lung\.lowPressureRecruitableShare = 1\.5: must be between 0 and 1/);
    expect(problemsOf(q).map((x) => x.field).sort()).toEqual(['lung.lowPressureOpeningSdCmH2O', 'lung.lowPressureRecruitableShare']);
  });

  it('fills documented defaults (pneumothorax off, sea level)', () => {
    const p = moderate();
    delete p.risks;
    delete p.gas.barometricPressureMmHg;
    const parsed = parseProfile(p);
    expect(parsed.risks.pneumothorax.enabled).toBe(false);
    expect(parsed.gas.barometricPressureMmHg).toBe(760);
  });
});
