/**
 * Low ventilation/perfusion units (issue 15, item 8): ARDS hypoxaemia is shunt plus units with a
 * low V/Q ratio (Dantzker 1979, MIGET), so it responds to FiO2 (Karbing 2007: the P/F ratio of
 * ICU patients varies with FiO2). With shunt alone the recruited simulated lung stayed above 92%
 * even on room air, and the FiO2 titration before the decremental phase (target 90-92%) could
 * not bring SpO2 onto the steep part of the dissociation curve.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, lowVqCompartmentPo2MmHg, o2ContentMlPerDl, parseProfile, SimPatient, type BuiltinProfileName, type SimSettings } from '../../sim/index.js';
import { isValidationError } from '../../common/validation.js';
import { BASELINE_SETTINGS } from './support/defaultStaircase.js';
import { typicalProfile } from './support/typical.js';

const pcv = (peep: number, fio2: number): SimSettings => ({ mode: 'PCV', peepCmH2O: peep, peakCmH2O: peep + 15, rateBpm: 20, fio2 });

/** SaO2 after recruitment (PEEP 20/30/40, 2 min each) at PEEP 25 and the given FiO2. */
function recruitedSao2(name: BuiltinProfileName, fio2: number, lowVq?: number): number {
  const base = typicalProfile(name);
  const profile = lowVq === undefined ? base : parseProfile({ ...structuredClone(base), gas: { ...base.gas, lowVqPerfusionFraction: lowVq } });
  const p = new SimPatient(profile, { seed: 1, settings: BASELINE_SETTINGS });
  for (const peep of [20, 30, 40]) {
    p.setSettings(pcv(peep, 0.6));
    p.advance(120_000);
  }
  p.setSettings(pcv(25, fio2));
  p.advance(120_000);
  return p.gas().sao2Pct;
}

describe('low V/Q units', () => {
  it('a low-V/Q compartment equilibrates near mixed venous blood on room air and near alveolar gas on FiO2 0.6', () => {
    const hb = 12;
    const cv = o2ContentMlPerDl(40, hb);
    const roomAir = lowVqCompartmentPo2MmHg(0.21 * 713, cv, hb, 0.1);
    const onOxygen = lowVqCompartmentPo2MmHg(0.6 * 713, cv, hb, 0.1);
    expect(roomAir).toBeGreaterThan(40);
    expect(roomAir).toBeLessThan(55);
    expect(onOxygen).toBeGreaterThan(80);
    // A higher V/Q ratio exchanges more oxygen; the PO2 never exceeds the inspired PO2.
    expect(lowVqCompartmentPo2MmHg(0.21 * 713, cv, hb, 0.3)).toBeGreaterThan(roomAir);
    expect(lowVqCompartmentPo2MmHg(0.21 * 713, cv, hb, 10)).toBeLessThanOrEqual(0.21 * 713);
  });

  it('the ARDS profiles carry low-V/Q perfusion; the healthy one does not', () => {
    for (const name of ['mild-ards', 'moderate-ards', 'severe-ards', 'non-recruiter', 'hypovolemic-ards'] as const) {
      expect(BUILTIN_PROFILES[name].gas.lowVqPerfusionFraction, name).toBe(0.1);
    }
    expect(BUILTIN_PROFILES.healthy.gas.lowVqPerfusionFraction).toBe(0);
  });

  it('makes the recruited moderate-ARDS lung FiO2-responsive: SpO2 can be brought to 90-92% (not blind), while FiO2 0.6 stays near-saturated', () => {
    expect(recruitedSao2('moderate-ards', 0.21)).toBeLessThan(92);
    expect(recruitedSao2('moderate-ards', 0.21, 0)).toBeGreaterThan(recruitedSao2('moderate-ards', 0.21) + 2);
    expect(recruitedSao2('moderate-ards', 0.6)).toBeGreaterThan(98);
    expect(Math.abs(recruitedSao2('moderate-ards', 0.6) - recruitedSao2('moderate-ards', 0.6, 0))).toBeLessThan(1);
  });

  it('leaves the FiO2 0.6 calibration in place (moderate-ards baseline P/F 120-160)', () => {
    const p = new SimPatient(typicalProfile('moderate-ards'), { seed: 1, settings: BASELINE_SETTINGS });
    p.advance(1000);
    expect(p.gas().pfRatio).toBeGreaterThan(120);
    expect(p.gas().pfRatio).toBeLessThan(160);
  });

  it('rejects an out-of-range fraction with the field and range', () => {
    const input = structuredClone(BUILTIN_PROFILES['moderate-ards']) as Record<string, any>;
    input.gas.lowVqPerfusionFraction = 0.8;
    try {
      parseProfile(input);
      expect.unreachable('should have thrown');
    } catch (e) {
      expect(isValidationError(e)).toBe(true);
      const [problem] = (e as { problems: { field: string; message: string }[] }).problems;
      expect(problem?.field).toBe('gas.lowVqPerfusionFraction');
      expect(problem?.message).toContain('between 0 and 0.5');
    }
  });
});
