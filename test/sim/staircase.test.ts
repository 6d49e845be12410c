/**
 * The default staircase the controller runs, driven as an open-loop script
 * (support/defaultStaircase.ts), and the behaviour each profile must show. The profiles'
 * typical patient (no between-patient spread, support/typical.ts): the calibration targets of
 * clinical.md describe it; the spread between seeds is tested in patientVariation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, SimMonitor, SimPatient, type BuiltinProfileName } from '../../sim/index.js';
import { BASELINE_SETTINGS, FIO2_TITRATION, runDefaultStaircase, type StaircaseRun, type TracePoint } from './support/defaultStaircase.js';
import { typicalProfile } from './support/typical.js';

/** The controller's default abort guards (machines/config/safety.ts, Hodgson 2011 / PHARLAP). */
const GUARDS = { mapFloorMmHg: 60, mapFallMaxPct: 20, sbpFloorMmHg: 80, spo2FloorPct: 85, spo2FallMaxPts: 5, hrMinBpm: 60, hrMaxBpm: 140, peakMaxCmH2O: 60 };

function run(name: BuiltinProfileName, seed: number, finalS = 300): StaircaseRun {
  const patient = new SimPatient(typicalProfile(name), { seed, settings: BASELINE_SETTINGS });
  return runDefaultStaircase(patient, new SimMonitor(patient, { seed }), { finalS });
}

/**
 * Every guard violation in the maneuver (after the baseline period), as readable strings. From
 * the FiO2 titration on (SpO2 lowered on purpose) an SpO2 fall is measured from the target's
 * lower bound, as the controller does (machines/setup.ts, beginFio2Titration: kept to the end).
 */
function violations(r: StaircaseRun): string[] {
  const b = r.baseline;
  const out: string[] = [];
  for (const p of r.trace) {
    if (p.phase === 'baseline') continue;
    const spo2Ref = p.phase === 'incremental' ? b.spo2Pct : Math.min(b.spo2Pct, FIO2_TITRATION.targetMinPct);
    const at = `t=${p.tS}s ${p.phase} PEEP ${p.settings.peepCmH2O}`;
    if (p.mapMmHg !== undefined && p.mapMmHg < GUARDS.mapFloorMmHg) out.push(`${at}: MAP ${p.mapMmHg}`);
    if (p.mapMmHg !== undefined && ((b.mapMmHg - p.mapMmHg) / b.mapMmHg) * 100 > GUARDS.mapFallMaxPct) out.push(`${at}: MAP fall to ${p.mapMmHg}`);
    if (p.sbpMmHg !== undefined && p.sbpMmHg < GUARDS.sbpFloorMmHg) out.push(`${at}: SBP ${p.sbpMmHg}`);
    if (p.spo2Pct !== undefined && (p.spo2Pct < GUARDS.spo2FloorPct || spo2Ref - p.spo2Pct > GUARDS.spo2FallMaxPts)) out.push(`${at}: SpO2 ${p.spo2Pct}`);
    if (p.hrBpm !== undefined && (p.hrBpm < GUARDS.hrMinBpm || p.hrBpm > GUARDS.hrMaxBpm)) out.push(`${at}: HR ${p.hrBpm}`);
    if (p.measuredPeakCmH2O > GUARDS.peakMaxCmH2O) out.push(`${at}: peak ${p.measuredPeakCmH2O}`);
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const phase = (r: StaircaseRun, name: TracePoint['phase'], peep?: number): TracePoint[] =>
  r.trace.filter((p) => p.phase === name && (peep === undefined || p.settings.peepCmH2O === peep));
const endOf = (pts: TracePoint[]): TracePoint => pts[pts.length - 1] as TracePoint;

describe('moderate-ards (high recruiter) through the default staircase', () => {
  for (const seed of [1, 2, 3]) {
    describe(`seed ${seed}`, () => {
      const r = run('moderate-ards', seed);
      const final = r.trace.slice(r.finalStartIndex);

      it('tolerates the whole maneuver under the default guards', () => {
        expect(violations(r)).toEqual([]);
      });

      it('shows derecruitment (>= 2-point SpO2 drop) at a decremental step between 22.5 and 15', () => {
        expect(r.derecruitmentPeepCmH2O).not.toBeNull();
        expect(r.derecruitmentPeepCmH2O).toBeGreaterThanOrEqual(15);
        expect(r.derecruitmentPeepCmH2O).toBeLessThanOrEqual(22.5);
        const last = r.decremental[r.decremental.length - 1];
        const best = Math.max(...r.decremental.slice(0, -1).map((d) => d.spo2MeanPct));
        expect(last?.derecruited).toBe(true);
        expect(best - (last?.spo2MeanPct ?? best)).toBeGreaterThanOrEqual(2);
        expect(r.decremental.slice(0, -1).every((d) => !d.derecruited)).toBe(true);
      });

      it('reaches P/F 300-440 and compliance up ~25% on the titrated PEEP, and keeps it for 5 minutes', () => {
        expect(r.finalSettings.peepCmH2O).toBe((r.derecruitmentPeepCmH2O ?? 15) + 2.5);
        const afterAssessment = final[59] as TracePoint;
        expect(afterAssessment.pfRatio).toBeGreaterThanOrEqual(300);
        expect(afterAssessment.pfRatio).toBeLessThanOrEqual(440);
        expect(endOf(final).pfRatio).toBeGreaterThanOrEqual(300);
        const compliance = mean(final.slice(0, 60).map((p) => p.complianceMlPerCmH2O));
        expect(compliance / r.baseline.complianceMlPerCmH2O).toBeGreaterThan(1.18);
        expect(compliance / r.baseline.complianceMlPerCmH2O).toBeLessThan(1.4);
        expect(r.baseline.pfRatio).toBeLessThan(160);
      });
    });
  }
});

describe('non-recruiter through the default staircase', () => {
  const r = run('non-recruiter', 1);
  const final = r.trace.slice(r.finalStartIndex);

  it('changes P/F by < 30 and leaves compliance flat', () => {
    expect(Math.abs((final[59] as TracePoint).pfRatio - r.baseline.pfRatio)).toBeLessThan(30);
    const compliance = mean(final.slice(0, 60).map((p) => p.complianceMlPerCmH2O));
    expect(Math.abs(compliance / r.baseline.complianceMlPerCmH2O - 1)).toBeLessThan(0.1);
  });

  it('loses cardiac output at high PEEP', () => {
    const co0 = (r.trace[0] as TracePoint).cardiacOutputLMin;
    expect(endOf(phase(r, 'incremental', 40)).cardiacOutputLMin).toBeLessThan(0.85 * co0);
  });
});

describe('hypovolemic-ards through the default staircase', () => {
  const r = run('hypovolemic-ards', 1);

  it('loses >= 30% stroke volume at PEEP 30-40 and MAP falls > 20% (the hypotension guard fires) in the incremental phase', () => {
    const incremental = phase(r, 'incremental').filter((p) => p.settings.peepCmH2O >= 30);
    expect(Math.min(...incremental.map((p) => p.strokeVolumeMl))).toBeLessThanOrEqual(0.7 * r.baseline.strokeVolumeMl);
    expect(Math.min(...incremental.map((p) => p.trueMapMmHg))).toBeLessThan(0.8 * r.baseline.mapMmHg);
    const first = violations(r)[0] ?? '';
    expect(first).toMatch(/incremental PEEP (20|30): (MAP|SBP)/);
  });
});

describe('healthy, mild-ards and severe-ards through the default staircase', () => {
  it('healthy tolerates it and stays well oxygenated (normal room-air saturation when FiO2 is titrated down)', () => {
    const r = run('healthy', 1);
    expect(violations(r)).toEqual([]);
    expect(r.titratedFio2).toBe(0.21);
    expect(Math.min(...r.trace.filter((p) => p.settings.fio2 >= 0.6).map((p) => p.sao2Pct))).toBeGreaterThan(98);
    expect(Math.min(...r.trace.map((p) => p.sao2Pct))).toBeGreaterThan(96);
  });

  it('mild-ards tolerates it; oxygenation between moderate and healthy', () => {
    const r = run('mild-ards', 1);
    expect(violations(r)).toEqual([]);
    expect((r.trace[r.finalStartIndex + 59] as TracePoint).pfRatio).toBeGreaterThan(r.baseline.pfRatio);
  });

  it('severe-ards recruits only partly: P/F improves but stays below 200 at FiO2 0.6', () => {
    const r = run('severe-ards', 1);
    const after = (r.trace[r.finalStartIndex + 59] as TracePoint).pfRatio;
    expect(r.baseline.pfRatio).toBeLessThan(100);
    expect(after).toBeGreaterThan(r.baseline.pfRatio + 20);
    expect(after).toBeLessThan(200);
  });
});
