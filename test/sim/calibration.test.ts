/**
 * Calibration targets at rest and under sustained inflations (docs/simulator.md, calibration table).
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, SimMonitor, SimPatient, type BuiltinProfileName, type SimSettings } from '../../sim/index.js';
import { BASELINE_SETTINGS } from './support/defaultStaircase.js';

const cpap = (peep: number): SimSettings => ({ mode: 'CPAP', peepCmH2O: peep, peakCmH2O: peep, rateBpm: 0, fio2: 0.6 });
const pcv = (peep: number): SimSettings => ({ mode: 'PCV', peepCmH2O: peep, peakCmH2O: peep + 15, rateBpm: 20, fio2: 0.6 });
const atBaseline = (name: BuiltinProfileName, seed = 1): SimPatient => new SimPatient(BUILTIN_PROFILES[name], { seed, settings: BASELINE_SETTINGS });

/** Hemodynamics before and the nadir/end values during a hold of `settings` for `seconds`. */
function hold(name: BuiltinProfileName, settings: SimSettings, seconds: number) {
  const patient = atBaseline(name);
  const before = patient.hemodynamics();
  patient.setSettings(settings);
  let minCo = Infinity;
  let minSv = Infinity;
  for (let s = 0; s < seconds; s++) {
    patient.advance(1000);
    const h = patient.hemodynamics();
    minCo = Math.min(minCo, h.cardiacOutputLMin);
    minSv = Math.min(minSv, h.strokeVolumeMl);
  }
  const end = patient.hemodynamics();
  return {
    coFallPct: 100 * (1 - minCo / before.cardiacOutputLMin),
    svFallPct: 100 * (1 - minSv / before.strokeVolumeMl),
    mapFallPct: 100 * (1 - end.mapMmHg / before.mapMmHg),
  };
}

describe('moderate-ards at baseline (VC, PEEP 10, FiO2 0.6, 420 mL = 6 mL/kg, rate 20)', () => {
  const patient = atBaseline('moderate-ards');
  const g = patient.gas();
  const h = patient.hemodynamics();
  const b = patient.breath();

  it('has P/F ~140 with a shunt ~30%', () => {
    expect(g.pfRatio).toBeGreaterThan(120);
    expect(g.pfRatio).toBeLessThan(160);
    expect(g.shuntFraction).toBeGreaterThan(0.27);
    expect(g.shuntFraction).toBeLessThan(0.33);
    expect(g.paco2MmHg).toBeGreaterThan(35);
    expect(g.paco2MmHg).toBeLessThan(45);
  });

  it('shows SpO2 94-96% on the monitor', () => {
    const exact = new SimMonitor(patient, { seed: 1, noise: { enabled: false } });
    const readings: number[] = [];
    const p = atBaseline('moderate-ards');
    const m = new SimMonitor(p, { seed: 2 });
    for (let s = 0; s < 60; s++) {
      p.advance(1000);
      readings.push(m.vitals(p.timeMs).spo2Pct ?? Number.NaN);
    }
    const mean = readings.reduce((a, c) => a + c, 0) / readings.length;
    expect(mean).toBeGreaterThanOrEqual(94);
    expect(mean).toBeLessThanOrEqual(96.5);
    expect(exact.vitals(0).spo2Pct).toBe(Math.round(g.sao2Pct));
  });

  it('has MAP 75-85, HR 80-100 and compliance ~33 mL/cmH2O', () => {
    expect(h.mapMmHg).toBeGreaterThanOrEqual(75);
    expect(h.mapMmHg).toBeLessThanOrEqual(85);
    expect(h.hrBpm).toBeGreaterThanOrEqual(80);
    expect(h.hrBpm).toBeLessThanOrEqual(100);
    expect(b.staticComplianceMlPerCmH2O).toBeGreaterThan(30);
    expect(b.staticComplianceMlPerCmH2O).toBeLessThan(36);
    expect(h.sbpMmHg).toBeGreaterThan(100);
    expect(h.cardiacOutputLMin).toBeGreaterThan(4.5);
    expect(h.cardiacOutputLMin).toBeLessThan(7.5);
  });
});

describe('severity ordering at baseline (FiO2 0.6, PEEP 10)', () => {
  const pf = (name: BuiltinProfileName): number => atBaseline(name).gas().pfRatio;

  it('severe-ards P/F < 100; mild-ards between moderate and healthy; healthy > 400', () => {
    expect(pf('severe-ards')).toBeLessThan(100);
    expect(pf('mild-ards')).toBeGreaterThan(200);
    expect(pf('mild-ards')).toBeLessThan(300);
    expect(pf('mild-ards')).toBeGreaterThan(pf('moderate-ards'));
    expect(pf('healthy')).toBeGreaterThan(400);
  });

  it('compliance falls with severity', () => {
    const c = (name: BuiltinProfileName): number => atBaseline(name).breath().staticComplianceMlPerCmH2O;
    expect(c('healthy')).toBeGreaterThan(c('mild-ards'));
    expect(c('mild-ards')).toBeGreaterThan(c('moderate-ards'));
    expect(c('moderate-ards')).toBeGreaterThan(c('severe-ards'));
  });
});

describe('hemodynamic response to intrathoracic pressure', () => {
  it('euvolaemic patients lose < 10% MAP at PEEP 20-30 (Gernoth 2009)', () => {
    for (const name of ['healthy', 'mild-ards', 'moderate-ards', 'non-recruiter'] as const) {
      for (const peep of [20, 30]) expect(hold(name, pcv(peep), 120).mapFallPct).toBeLessThan(10);
    }
  });

  it('a fluid-responsive patient loses >= 30% stroke volume at CPAP 30 (de Broca 2017); a euvolaemic one much less', () => {
    expect(hold('hypovolemic-ards', cpap(30), 30).svFallPct).toBeGreaterThanOrEqual(30);
    expect(hold('moderate-ards', cpap(30), 30).svFallPct).toBeLessThan(15);
  });

  it('a sustained 40 cmH2O inflation cuts cardiac output ~55-65% in the preload-dependent patient (Nielsen 2005)', () => {
    const r = hold('hypovolemic-ards', cpap(40), 30);
    expect(r.coFallPct).toBeGreaterThan(50);
    expect(r.coFallPct).toBeLessThan(70);
    expect(hold('moderate-ards', cpap(40), 30).coFallPct).toBeGreaterThan(15);
  });

  it('the baroreflex raises heart rate when pressure falls and recovers part of the MAP', () => {
    const patient = atBaseline('moderate-ards');
    const hr0 = patient.hemodynamics().hrBpm;
    patient.setSettings(pcv(40));
    patient.advance(3000);
    const early = patient.hemodynamics();
    patient.advance(60_000);
    const late = patient.hemodynamics();
    expect(late.hrBpm).toBeGreaterThan(hr0 + 5);
    expect(late.mapMmHg).toBeGreaterThan(early.mapMmHg);
  });
});
