import { describe, expect, it } from 'vitest';
import { LAYER_COUNT, UNIT_COUNT, UNITS_PER_LAYER } from '../../sim/constants.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { buildLungUnits, UNIT_CONSOLIDATED, UNIT_RECRUITABLE, type LungUnits } from '../../sim/lungUnits.js';
import { stepRecruitment } from '../../sim/recruitment.js';
import { typicalProfile } from './support/typical.js';

const moderate = BUILTIN_PROFILES['moderate-ards'];
const count = (u: LungUnits, kind: number): number => u.kind.reduce((n, k) => n + (k === kind ? 1 : 0), 0);
const recruitable = (u: LungUnits, field: 'openingCmH2O' | 'closingCmH2O'): number[] =>
  [...u[field]].filter((_, i) => u.kind[i] === UNIT_RECRUITABLE).sort((a, b) => a - b);
const quantile = (xs: number[], q: number): number => xs[Math.round(q * (xs.length - 1))] as number;

describe('lung units (Hickling layers)', () => {
  it('has the profile fractions of recruitable and consolidated units', () => {
    const u = buildLungUnits(moderate, 1);
    expect(count(u, UNIT_RECRUITABLE) / UNIT_COUNT).toBeCloseTo(moderate.lung.recruitableFraction, 2);
    expect(count(u, UNIT_CONSOLIDATED) / UNIT_COUNT).toBeCloseTo(moderate.lung.nonRecruitableFraction, 2);
  });

  it('puts superimposed pressure from ~0 at the top to the profile maximum at the base, and collapse in dependent layers', () => {
    const u = buildLungUnits(moderate, 1);
    expect(u.spCmH2O[0]).toBeLessThan(1);
    expect(u.spCmH2O[LAYER_COUNT - 1]).toBeCloseTo(moderate.lung.superimposedPressureMaxCmH2O * (1 - 0.5 / LAYER_COUNT), 6);
    const recruitableIn = (l: number): number => [...u.kind.subarray(l * UNITS_PER_LAYER, (l + 1) * UNITS_PER_LAYER)].filter((k) => k === UNIT_RECRUITABLE).length;
    expect(recruitableIn(LAYER_COUNT - 1)).toBeGreaterThan(recruitableIn(LAYER_COUNT / 2));
    expect(recruitableIn(0)).toBe(0);
  });

  it('gives every recruitable unit a closing pressure below its opening pressure, both rising with depth', () => {
    const u = buildLungUnits(moderate, 1);
    for (let i = 0; i < UNIT_COUNT; i++) {
      if (u.kind[i] === UNIT_CONSOLIDATED) {
        expect(u.openingCmH2O[i]).toBe(Number.POSITIVE_INFINITY);
        continue;
      }
      expect(u.closingCmH2O[i] as number).toBeLessThan(u.openingCmH2O[i] as number);
    }
  });

  it('opens recruitable units over a wide range that continues up to ~45 cmH2O (Crotti 2001), closing pressures lower', () => {
    const u = buildLungUnits(moderate, 1);
    const po = recruitable(u, 'openingCmH2O');
    const pc = recruitable(u, 'closingCmH2O');
    expect(quantile(po, 0.05)).toBeGreaterThan(20);
    expect(quantile(po, 0.95)).toBeGreaterThan(40);
    expect(quantile(po, 1)).toBeLessThanOrEqual(50);
    expect(quantile(pc, 0.5)).toBeLessThan(quantile(po, 0.05));
  });

  it('is stratified: without a between-patient spread another seed pairs the units differently but keeps the distributions', () => {
    // The spread itself (each seed its own patient) is tested in patientVariation.test.ts.
    const typical = typicalProfile('moderate-ards');
    const a = buildLungUnits(typical, 1);
    const b = buildLungUnits(typical, 2);
    expect(recruitable(a, 'openingCmH2O')).toEqual(recruitable(b, 'openingCmH2O'));
    expect([...a.closingCmH2O]).not.toEqual([...b.closingCmH2O]);
    const meanPc = (u: LungUnits): number => recruitable(u, 'closingCmH2O').reduce((s, x) => s + x, 0) / count(u, UNIT_RECRUITABLE);
    expect(Math.abs(meanPc(a) - meanPc(b))).toBeLessThan(0.3);
    expect([...buildLungUnits(typical, 1).closingCmH2O]).toEqual([...a.closingCmH2O]);
  });
});

describe('recruitment integrator', () => {
  it('never moves consolidated or compressed units and keeps every trajectory in [0, 1]', () => {
    const u = buildLungUnits(BUILTIN_PROFILES['severe-ards'], 1);
    u.compressed[0] = 1;
    for (const [insp, exp] of [[55, 40], [30, 15], [5, 0], [45, 30]] as const) {
      for (let s = 0; s < 120; s++) stepRecruitment(u, insp, exp, 1 / 3, 1);
      for (let i = 0; i < UNIT_COUNT; i++) {
        expect(u.x[i]).toBeGreaterThanOrEqual(0);
        expect(u.x[i]).toBeLessThanOrEqual(1);
        if (u.kind[i] === UNIT_CONSOLIDATED || u.compressed[i]) expect(u.open[i]).toBe(0);
      }
      const counted = Array.from({ length: LAYER_COUNT }, (_, l) => [...u.open.subarray(l * UNITS_PER_LAYER, (l + 1) * UNITS_PER_LAYER)].filter((o) => o === 1).length);
      expect([...u.openCount]).toEqual(counted);
    }
  });
});
