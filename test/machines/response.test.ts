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
