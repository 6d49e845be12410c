import { describe, expect, it } from 'vitest';
import { assessResponse, ProtocolSchema, type BaselineVitals, type StepRecord } from '../../machines/index.js';
import { BASELINE } from '../support/driver.js';

const before: BaselineVitals = { spo2Pct: 92, mapMmHg: 78, sbpMmHg: 110, hrBpm: 90, complianceMlPerCmH2O: 30 };
const after = (spo2Pct: number | null, complianceMlPerCmH2O: number | null): StepRecord => ({
  phase: 'assessment',
  label: 'a',
  settings: BASELINE,
  startedAt: 0,
  endedAt: 1,
  spo2Pct,
  mapMmHg: 78,
  hrBpm: 90,
  complianceMlPerCmH2O,
  peakCmH2O: 30,
});
const protocol = (metric: 'spo2' | 'compliance' | 'either') =>
  ProtocolSchema.parse({ maneuver: 'sustained-inflation', response: { metric, spo2RisePts: 2, complianceRisePct: 10 } });

describe('response assessment', () => {
  it('SpO2 criterion: a rise of at least 2 points', () => {
    expect(assessResponse(protocol('spo2'), before, after(94, 30)).met).toBe(true);
    expect(assessResponse(protocol('spo2'), before, after(93.9, 60)).met).toBe(false);
    expect(assessResponse(protocol('spo2'), before, after(null, 60)).met).toBe(false);
    expect(assessResponse(protocol('spo2'), null, after(99, 60)).met).toBe(false);
  });

  it('compliance criterion: a rise of at least 10 percent', () => {
    expect(assessResponse(protocol('compliance'), before, after(92, 33)).met).toBe(true);
    expect(assessResponse(protocol('compliance'), before, after(99, 32.9)).met).toBe(false);
    expect(assessResponse(protocol('compliance'), { ...before, complianceMlPerCmH2O: 0 }, after(99, 40)).met).toBe(false);
    expect(assessResponse(protocol('compliance'), { ...before, complianceMlPerCmH2O: null }, after(99, 40)).met).toBe(false);
    expect(assessResponse(protocol('compliance'), before, after(99, null)).met).toBe(false);
  });

  it('either criterion: one is enough, none is not', () => {
    expect(assessResponse(protocol('either'), before, after(94, 30)).met).toBe(true);
    expect(assessResponse(protocol('either'), before, after(92, 33)).met).toBe(true);
    expect(assessResponse(protocol('either'), before, after(93, 31)).met).toBe(false);
  });

  it('explains itself', () => {
    expect(assessResponse(protocol('spo2'), before, after(94, 33)).detail).toBe('SpO2 92.0 -> 94.0%, compliance 30.0 -> 33.0 mL/cmH2O: response by spo2 criterion');
    expect(assessResponse(protocol('compliance'), before, after(null, 31)).detail).toBe('SpO2 92.0 -> ?%, compliance 30.0 -> 31.0 mL/cmH2O: no response by compliance criterion');
    expect(assessResponse(protocol('spo2'), before, after(94, 33))).toMatchObject({ spo2BeforePct: 92, spo2AfterPct: 94, complianceBefore: 30, complianceAfter: 33 });
  });
});

describe('response assessment after pre-oxygenation: SpO2 compared only on the same FiO2', () => {
  const onFio2 = (fio2: number, spo2Pct: number): StepRecord => ({ ...after(spo2Pct, 30), settings: { ...BASELINE, fio2 } });
  const baselineFio2 = BASELINE.fio2;
  const preox = { fio2: 1, reason: 'baseline SpO2 79% below 90%', spo2Pct: 88, settledAt: 60_000 };

  it('a post-RM step on the pre-oxygenation FiO2 is compared with the SpO2 settled on it, not with the baseline on a lower FiO2', () => {
    const low: BaselineVitals = { ...before, spo2Pct: 79 };
    // 79 % on the baseline FiO2 -> 89 % on FiO2 1.0: oxygen, not recruitment (settled 88 % on FiO2 1.0 before the RM).
    const r = assessResponse(protocol('spo2'), low, onFio2(1, 89), { baselineFio2, preox });
    expect(r.met).toBe(false);
    expect(r.spo2BeforePct).toBe(88);
    expect(r.detail).toMatch(/SpO2 88\.0 -> 89\.0% \(both on FiO2 1, the pre-oxygenation FiO2\)/);
    expect(assessResponse(protocol('spo2'), low, onFio2(1, 90), { baselineFio2, preox }).met).toBe(true);
  });

  it('a post-RM step on the baseline FiO2 is compared with the baseline, as without pre-oxygenation', () => {
    const r = assessResponse(protocol('spo2'), before, onFio2(baselineFio2, 94), { baselineFio2, preox });
    expect(r.met).toBe(true);
    expect(r.spo2BeforePct).toBe(92);
  });

  it('on a FiO2 that matches neither reference the SpO2 criterion is not assessed (says so), compliance still is', () => {
    const r = assessResponse(protocol('either'), before, onFio2(0.8, 99), { baselineFio2, preox });
    expect(r.spo2BeforePct).toBeNull();
    expect(r.met).toBe(false);
    expect(r.detail).toMatch(/SpO2 not compared \(FiO2 0\.8 after, no SpO2 measured on it before\)/);
    expect(assessResponse(protocol('either'), before, { ...onFio2(0.8, 99), complianceMlPerCmH2O: 40 }, { baselineFio2, preox }).met).toBe(true);
  });

  it('pre-oxygenation not settled: a step on its FiO2 is not compared on SpO2', () => {
    const r = assessResponse(protocol('spo2'), before, onFio2(1, 99), { baselineFio2, preox: { ...preox, spo2Pct: null } });
    expect(r.met).toBe(false);
    expect(r.spo2BeforePct).toBeNull();
  });
});
