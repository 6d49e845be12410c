import { describe, expect, it } from 'vitest';
import { isValidationError } from '../../common/validation.js';
import { BUILTIN_PROFILES, parseProfile, SimPatient, type PatientProfile, type SimSettings } from '../../sim/index.js';

const BASELINE: SimSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
const pcv = (peep: number, peak: number, fio2 = 0.6): SimSettings => ({ mode: 'PCV', peepCmH2O: peep, peakCmH2O: peak, rateBpm: 20, fio2 });
const moderate = BUILTIN_PROFILES['moderate-ards'];

/** Applies a settings schedule and returns a per-second fingerprint of everything the patient reports. */
function trajectory(profile: PatientProfile, seed: number, stepMs = 1000): number[] {
  const patient = new SimPatient(profile, { seed, settings: BASELINE });
  const out: number[] = [];
  const schedule: Array<[SimSettings, number]> = [
    [pcv(30, 45), 120],
    [pcv(40, 55), 120],
    [pcv(17.5, 32.5), 240],
    [BASELINE, 60],
  ];
  for (const [s, seconds] of schedule) {
    patient.setSettings(s);
    for (let t = 0; t < seconds * 1000; t += stepMs) {
      patient.advance(stepMs);
      if (patient.timeMs % 1000 !== 0) continue;
      const b = patient.breath();
      const g = patient.gas();
      const h = patient.hemodynamics();
      out.push(b.tidalVolumeMl, b.plateauCmH2O, b.recruitedFraction, g.pao2MmHg, g.paco2MmHg, h.mapMmHg, h.hrBpm, h.cardiacOutputLMin);
    }
  }
  return out;
}

describe('SimPatient', () => {
  it('is deterministic: same seed and inputs give an identical trajectory; another seed a different one', () => {
    const a = trajectory(moderate, 42);
    expect(trajectory(moderate, 42)).toEqual(a);
    expect(trajectory(moderate, 43)).not.toEqual(a);
  });

  it('gives the same physiology for any step size up to 1000 ms (transients within 3%, settled values within 0.2%)', () => {
    const coarse = trajectory(moderate, 5, 1000);
    const fine = trajectory(moderate, 5, 100);
    expect(fine.length).toBe(coarse.length);
    const relErr = (i: number): number => Math.abs((coarse[i] as number) - (fine[i] as number)) / (Math.abs(coarse[i] as number) + 1e-9);
    coarse.forEach((_, i) => expect(relErr(i)).toBeLessThan(0.03));
    const perSecond = 8;
    for (const endS of [120, 240, 480, 540]) {
      for (let k = 0; k < perSecond; k++) expect(relErr((endS - 1) * perSecond + k)).toBeLessThan(0.002);
    }
  });

  it('splits long advances into steps of at most 1 s', () => {
    const a = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    const b = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    a.setSettings(pcv(40, 55));
    b.setSettings(pcv(40, 55));
    a.advance(60_000);
    for (let i = 0; i < 60; i++) b.advance(1000);
    expect(a.timeMs).toBe(60_000);
    expect(a.hemodynamics()).toEqual(b.hemodynamics());
    expect(a.gas()).toEqual(b.gas());
  });

  it('starts at steady state for its initial settings', () => {
    for (const profile of Object.values(BUILTIN_PROFILES)) {
      const patient = new SimPatient(profile, { seed: 3, settings: BASELINE });
      const b0 = patient.breath();
      const h0 = patient.hemodynamics();
      const g0 = patient.gas();
      patient.advance(10 * 60_000);
      expect(patient.breath().recruitedFraction).toBe(b0.recruitedFraction);
      expect(patient.hemodynamics().mapMmHg).toBeCloseTo(h0.mapMmHg, 6);
      expect(patient.hemodynamics().mapMmHg).toBeCloseTo(profile.circulation.mapMmHg, 6);
      expect(patient.hemodynamics().hrBpm).toBeCloseTo(profile.circulation.heartRateBpm, 6);
      expect(patient.gas().paco2MmHg).toBeCloseTo(g0.paco2MmHg, 3);
    }
  });

  it('reports breath mechanics consistent with the mode', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    const vc = patient.breath();
    expect(vc.tidalVolumeMl).toBe(420);
    expect(vc.peakCmH2O).toBeGreaterThan(vc.plateauCmH2O);
    expect(vc.staticComplianceMlPerCmH2O).toBeCloseTo(420 / (vc.plateauCmH2O - 10), 6);
    expect(vc.dynamicComplianceMlPerCmH2O).toBeLessThan(vc.staticComplianceMlPerCmH2O);

    patient.setSettings(pcv(20, 35));
    const p = patient.breath();
    expect(p.peakCmH2O).toBe(35);
    expect(p.plateauCmH2O).toBeLessThanOrEqual(35);
    expect(p.meanAirwayPressureCmH2O).toBeCloseTo(20 + 15 / 3, 6);

    patient.setSettings({ mode: 'CPAP', peepCmH2O: 30, peakCmH2O: 30, rateBpm: 0, fio2: 0.6 });
    const c = patient.breath();
    expect(c.tidalVolumeMl).toBe(0);
    expect([c.peakCmH2O, c.plateauCmH2O, c.meanAirwayPressureCmH2O]).toEqual([30, 30, 30]);
    expect(c.staticComplianceMlPerCmH2O).toBeGreaterThan(0);
  });

  it('limits a VC breath at the pressure limit and delivers less volume', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: { ...BASELINE, peakCmH2O: 22 } });
    const b = patient.breath();
    expect(b.peakCmH2O).toBeCloseTo(22, 6);
    expect(b.tidalVolumeMl).toBeLessThan(420);
    expect(b.tidalVolumeMl).toBeGreaterThan(100);
  });

  it('shows overdistention: compliance at PEEP 40 is far below compliance at PEEP 15 after recruitment', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: pcv(40, 55) });
    const high = patient.breath().staticComplianceMlPerCmH2O;
    patient.setSettings(pcv(15, 30));
    expect(patient.breath().staticComplianceMlPerCmH2O).toBeGreaterThan(2.5 * high);
  });

  it('acts on FiO2 within a few breaths', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    const before = patient.gas().pao2MmHg;
    patient.setSettings({ ...BASELINE, fio2: 1 });
    patient.advance(60_000);
    expect(patient.gas().pao2MmHg).toBeGreaterThan(before + 15);
    expect(patient.gas().pfRatio).toBeCloseTo(patient.gas().pao2MmHg / 1, 6);
  });

  it('retains CO2 without ventilation (CPAP) and when dead space rises', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    const p0 = patient.gas().paco2MmHg;
    expect(p0).toBeGreaterThan(35);
    expect(p0).toBeLessThan(45);
    patient.setSettings({ mode: 'CPAP', peepCmH2O: 30, peakCmH2O: 30, rateBpm: 0, fio2: 0.6 });
    patient.advance(30_000);
    expect(patient.gas().paco2MmHg).toBeGreaterThan(p0 + 3);
    expect(patient.gas().deadSpaceFraction).toBe(1);
    const overdistended = new SimPatient(moderate, { seed: 1, settings: pcv(40, 55) });
    expect(overdistended.gas().deadSpaceFraction).toBeGreaterThan(patient.gas().deadSpaceFraction - 1 + new SimPatient(moderate, { seed: 1, settings: BASELINE }).gas().deadSpaceFraction);
  });

  it('rejects invalid settings and steps with field, value and range', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    try {
      patient.setSettings({ mode: 'PCV', peepCmH2O: 20, peakCmH2O: 15, rateBpm: 20, fio2: 1.4 });
      expect.unreachable();
    } catch (e) {
      expect(isValidationError(e)).toBe(true);
      if (!isValidationError(e)) return;
      expect(e.problems.map((p) => p.field).sort()).toEqual(['fio2', 'peakCmH2O']);
      expect(e.message).toContain('fio2 = 1.4: must be between 0.21 and 1');
    }
    expect(() => patient.setSettings({ mode: 'VC', peepCmH2O: 5, peakCmH2O: 30, rateBpm: 20, fio2: 0.5 })).toThrow(/tidalVolumeMl/);
    expect(() => patient.advance(-1)).toThrow(RangeError);
    expect(() => patient.advance(Number.NaN)).toThrow(RangeError);
    expect(() => new SimPatient(moderate, { seed: 1.5, settings: BASELINE })).toThrow(TypeError);
    expect(patient.settings()).toEqual(BASELINE);
  });

  it('returns copies: changing returned settings does not change the patient', () => {
    const patient = new SimPatient(moderate, { seed: 1, settings: BASELINE });
    const s = patient.settings();
    s.peepCmH2O = 40;
    expect(patient.settings().peepCmH2O).toBe(10);
  });
});

describe('pneumothorax (optional barotrauma)', () => {
  const risky = (hazard: number): PatientProfile =>
    parseProfile({ ...structuredClone(moderate), name: 'risky', risks: { pneumothorax: { enabled: true, hazardPerMinAt40CmH2O: hazard } } });

  it('never happens below 30 cmH2O alveolar pressure', () => {
    const patient = new SimPatient(risky(1), { seed: 9, settings: BASELINE });
    patient.advance(60 * 60_000);
    expect(patient.events()).toEqual([]);
  });

  it('happens at high pressure (seeded): compliance, oxygenation and blood pressure fall', () => {
    const run = (profile: PatientProfile): SimPatient => {
      const patient = new SimPatient(profile, { seed: 9, settings: BASELINE });
      patient.setSettings(pcv(40, 55));
      patient.advance(120_000);
      patient.setSettings(pcv(25, 40));
      patient.advance(120_000);
      return patient;
    };
    const injured = run(risky(0.2));
    const control = run(risky(0));
    const [event] = injured.events();
    expect(injured.events()).toHaveLength(1);
    expect(event?.kind).toBe('pneumothorax');
    expect(event?.tMs).toBeLessThan(120_000);
    expect(event?.detail).toMatch(/alveolar pressure of 5\d\.\d cmH2O/);
    expect(control.events()).toEqual([]);
    expect(injured.breath().staticComplianceMlPerCmH2O).toBeLessThan(0.85 * control.breath().staticComplianceMlPerCmH2O);
    expect(injured.gas().sao2Pct).toBeLessThan(control.gas().sao2Pct - 1);
    expect(injured.hemodynamics().mapMmHg).toBeLessThan(control.hemodynamics().mapMmHg - 5);
    expect(run(risky(0.2)).events()).toEqual(injured.events());
  });

  it('is off unless the profile enables it', () => {
    const patient = new SimPatient(moderate, { seed: 9, settings: pcv(40, 55) });
    patient.advance(30 * 60_000);
    expect(patient.events()).toEqual([]);
  });
});
