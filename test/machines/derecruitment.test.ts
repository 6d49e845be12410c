import { describe, expect, it } from 'vitest';
import { complianceDerecruited, detectDerecruitment, spo2Derecruited, titratedPeep } from '../../machines/index.js';

const m = (peepCmH2O: number, spo2Pct: number | null, complianceMlPerCmH2O: number | null = null) => ({ peepCmH2O, spo2Pct, complianceMlPerCmH2O });

describe('derecruitment detector', () => {
  it('SpO2 method: a drop of >= 2 points below the best earlier step', () => {
    const earlier = [m(25, 97), m(22.5, 98), m(20, 97.5)];
    expect(spo2Derecruited(earlier, m(17.5, 96.5), 2)).toBe(false);
    expect(spo2Derecruited(earlier, m(17.5, 96), 2)).toBe(true);
    expect(spo2Derecruited([], m(25, 80), 2)).toBe(false);
    expect(spo2Derecruited(earlier, m(17.5, null), 2)).toBe(false);
  });
  it('compliance method: a fall of >= 5% below the best earlier step', () => {
    const earlier = [m(25, null, 38), m(22.5, null, 42), m(20, null, 41)];
    expect(complianceDerecruited(earlier, m(17.5, null, 40), 5)).toBe(false);
    expect(complianceDerecruited(earlier, m(17.5, null, 39.9), 5)).toBe(true);
    expect(complianceDerecruited([m(25, null, 0)], m(20, null, 10), 5)).toBe(false);
  });
  it('dispatches on the method', () => {
    const earlier = [m(25, 98, 40)];
    const current = m(22.5, 95, 40);
    expect(detectDerecruitment(earlier, current, { method: 'spo2', spo2DropPts: 2, complianceDropPct: 5 })).toBe(true);
    expect(detectDerecruitment(earlier, current, { method: 'compliance', spo2DropPts: 2, complianceDropPct: 5 })).toBe(false);
  });
  it('titratedPeep is derecruitment PEEP + margin, or floor + margin', () => {
    expect(titratedPeep(17.5, 15, 2.5)).toBe(20);
    expect(titratedPeep(null, 15, 2.5)).toBe(17.5);
  });
});

describe('derecruitment detector boundaries', () => {
  it('a drop of exactly the threshold counts', () => {
    expect(spo2Derecruited([m(25, 97)], m(22.5, 95), 2)).toBe(true);
    expect(complianceDerecruited([m(25, null, 40)], m(22.5, null, 38), 5)).toBe(true);
  });
  it('missing or non-positive compliance never counts', () => {
    expect(complianceDerecruited([m(25, null, 40)], m(22.5, null, null), 5)).toBe(false);
    expect(complianceDerecruited([m(25, null, -4)], m(22.5, null, -40), 5)).toBe(false);
    expect(complianceDerecruited([m(25, null, null)], m(22.5, null, 30), 5)).toBe(false);
  });
  it('the best earlier step is the reference, ties included', () => {
    expect(spo2Derecruited([m(25, 96), m(22.5, 96), m(20, 95)], m(17.5, 94), 2)).toBe(true);
    expect(spo2Derecruited([m(25, null), m(22.5, 96)], m(20, 94.5), 2)).toBe(false);
  });
});
