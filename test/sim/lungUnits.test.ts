import { describe, expect, it } from 'vitest';
import { LAYER_COUNT, UNIT_COUNT, UNITS_PER_LAYER } from '../../sim/constants.js';
import { buildLungUnits, isRecruitableKind, UNIT_CONSOLIDATED, UNIT_RECRUITABLE, UNIT_RECRUITABLE_LOW_PRESSURE, type LungUnits } from '../../sim/lungUnits.js';
import { BUILTIN_PROFILES, parseProfile } from '../../sim/index.js';
import { stepRecruitment } from '../../sim/recruitment.js';
import { typicalProfile } from './support/typical.js';

const moderate = BUILTIN_PROFILES['moderate-ards'];
const count = (u: LungUnits, kind: number): number => u.kind.reduce((n, k) => n + (k === kind ? 1 : 0), 0);
const recruitable = (u: LungUnits, field: 'openingCmH2O' | 'closingCmH2O'): number[] =>
  [...u[field]].filter((_, i) => u.kind[i] === UNIT_RECRUITABLE).sort((a, b) => a - b);
const recruitableOf = (u: LungUnits, kind: number, field: 'openingCmH2O' | 'closingCmH2O'): number[] =>
  [...u[field]].filter((_, i) => u.kind[i] === kind).sort((a, b) => a - b);
const quantile = (xs: number[], q: number): number => xs[Math.round(q * (xs.length - 1))] as number;

describe('lung units (Hickling layers)', () => {
  it('has the profile fractions of recruitable and consolidated units', () => {
    const u = buildLungUnits(moderate, 1);
    expect((count(u, UNIT_RECRUITABLE) + count(u, UNIT_RECRUITABLE_LOW_PRESSURE)) / UNIT_COUNT).toBeCloseTo(moderate.lung.recruitableFraction, 2);
    expect(count(u, UNIT_RECRUITABLE_LOW_PRESSURE) / UNIT_COUNT).toBeCloseTo(moderate.lung.recruitableFraction * moderate.lung.lowPressureRecruitableShare, 2);
    expect([...u.kind].filter(isRecruitableKind).length).toBe(count(u, UNIT_RECRUITABLE) + count(u, UNIT_RECRUITABLE_LOW_PRESSURE));
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

  it('places the low-pressure recruitable population in every layer (exponent 0), opening ~10 and closing ~7 cmH2O above its layer (Crotti 2001)', () => {
    const u = buildLungUnits(moderate, 1);
    const lowIn = (l: number): number => [...u.kind.subarray(l * UNITS_PER_LAYER, (l + 1) * UNITS_PER_LAYER)].filter((k) => k === UNIT_RECRUITABLE_LOW_PRESSURE).length;
    for (let l = 0; l < LAYER_COUNT; l++) expect(lowIn(l), `layer ${l}`).toBeGreaterThan(0);
    // The typical patient: tissue thresholds (airway threshold minus the layer's SP) at the profile means.
    const t = buildLungUnits(typicalProfile('moderate-ards'), 1);
    const open: number[] = [];
    const close: number[] = [];
    for (let i = 0; i < UNIT_COUNT; i++) {
      if (t.kind[i] !== UNIT_RECRUITABLE_LOW_PRESSURE) continue;
      const sp = t.spCmH2O[(i / UNITS_PER_LAYER) | 0] as number;
      open.push((t.openingCmH2O[i] as number) - sp);
      close.push((t.closingCmH2O[i] as number) - sp);
      expect(t.closingCmH2O[i] as number).toBeLessThan(t.openingCmH2O[i] as number);
    }
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(open)).toBeCloseTo(moderate.lung.lowPressureOpeningMeanCmH2O, 0);
    expect(Math.abs(avg(close) - moderate.lung.lowPressureClosingMeanCmH2O)).toBeLessThan(0.5);
    // Airway opening pressures below ~25 and closing pressures between 5 and 15: what the release from PEEP 15 to 5 measures.
    const airwayOpen = recruitableOf(t, UNIT_RECRUITABLE_LOW_PRESSURE, 'openingCmH2O');
    const airwayClose = recruitableOf(t, UNIT_RECRUITABLE_LOW_PRESSURE, 'closingCmH2O');
    expect(quantile(airwayOpen, 1)).toBeLessThan(25);
    expect(quantile(airwayClose, 0.05)).toBeGreaterThan(5);
    expect(quantile(airwayClose, 1)).toBeLessThan(17);
  });

  it('without lowPressureRecruitableShare every recruitable unit is of the dependent high-pressure population (custom profiles keep their meaning)', () => {
    const input = structuredClone(moderate) as Record<string, any>;
    for (const k of ['lowPressureRecruitableShare', 'lowPressureOpeningMeanCmH2O', 'lowPressureOpeningSdCmH2O', 'lowPressureClosingMeanCmH2O', 'lowPressureCollapseExponent']) delete input.lung[k];
    const p = parseProfile(input);
    expect(p.lung.lowPressureRecruitableShare).toBe(0);
    const u = buildLungUnits(p, 1);
    expect(count(u, UNIT_RECRUITABLE_LOW_PRESSURE)).toBe(0);
    expect(count(u, UNIT_RECRUITABLE) / UNIT_COUNT).toBeCloseTo(p.lung.recruitableFraction, 2);
    const recruitableIn = (l: number): number => [...u.kind.subarray(l * UNITS_PER_LAYER, (l + 1) * UNITS_PER_LAYER)].filter((k) => k === UNIT_RECRUITABLE).length;
    expect(recruitableIn(0)).toBe(0);
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
