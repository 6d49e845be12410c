/**
 * Readback verification and the cross-field protocol rules: the checks that decide whether
 * a setting counts as applied, and whether a protocol may start at all.
 */
import { describe, expect, it } from 'vitest';
import { problems } from '../support/problems.js';
import { READBACK_TOLERANCE, SafetyConfigSchema, settingsMatch, type VentSettings } from '../../machines/index.js';

const PCV: VentSettings = { mode: 'PCV', peepCmH2O: 30, peakCmH2O: 45, rateBpm: 20, fio2: 0.6 };
const CPAP: VentSettings = { mode: 'CPAP', peepCmH2O: 40, peakCmH2O: 40, rateBpm: 0, fio2: 0.6 };

describe('settingsMatch (readback verification)', () => {
  it('accepts an exact readback and one at the edge of each tolerance', () => {
    const t = READBACK_TOLERANCE;
    expect(settingsMatch(PCV, PCV)).toBe(true);
    expect(settingsMatch(PCV, { ...PCV, peepCmH2O: 30 + t.pressureCmH2O, peakCmH2O: 45 - t.pressureCmH2O, fio2: 0.61, rateBpm: 20 + t.rateBpm })).toBe(true);
  });

  it('one tolerance away still matches despite binary fractions (FiO2 0.60 read back as 0.61)', () => {
    expect(0.61 - 0.6).toBeGreaterThan(READBACK_TOLERANCE.fio2);
    expect(settingsMatch({ ...PCV, fio2: 0.6 }, { ...PCV, fio2: 0.61 })).toBe(true);
    expect(settingsMatch({ ...PCV, fio2: 0.6 }, { ...PCV, fio2: 0.59 })).toBe(true);
    expect(settingsMatch({ ...PCV, fio2: 0.6 }, { ...PCV, fio2: 0.611 })).toBe(false);
  });

  it('refuses a readback just beyond any tolerance, field by field', () => {
    expect(settingsMatch(PCV, { ...PCV, mode: 'VC' })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, peepCmH2O: 30.51 })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, peakCmH2O: 44.49 })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, fio2: 0.62 })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, rateBpm: 20.51 })).toBe(false);
  });

  it('a readback with a missing (NaN) value never matches', () => {
    expect(settingsMatch(PCV, { ...PCV, peepCmH2O: Number.NaN })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, peakCmH2O: Number.NaN })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, fio2: Number.NaN })).toBe(false);
    expect(settingsMatch(PCV, { ...PCV, rateBpm: Number.NaN })).toBe(false);
    expect(settingsMatch({ ...PCV, peepCmH2O: Number.NaN }, PCV)).toBe(false);
  });

  it('in CPAP only PEEP and FiO2 are compared (peak and rate are not set)', () => {
    expect(settingsMatch(CPAP, { ...CPAP, peakCmH2O: 55, rateBpm: 12 })).toBe(true);
    expect(settingsMatch(CPAP, { ...CPAP, peepCmH2O: 41 })).toBe(false);
    expect(settingsMatch(CPAP, { ...CPAP, fio2: 0.7 })).toBe(false);
  });

  it('in VC the tidal volume must be read back within 10 mL', () => {
    const vc: VentSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.5, tidalVolumeMl: 400 };
    expect(settingsMatch(vc, { ...vc, tidalVolumeMl: 410 })).toBe(true);
    expect(settingsMatch(vc, { ...vc, tidalVolumeMl: 411 })).toBe(false);
    expect(settingsMatch(vc, { ...vc, tidalVolumeMl: undefined })).toBe(false);
    // PCV with a stray tidal volume in the readback: not compared.
    expect(settingsMatch({ ...PCV, tidalVolumeMl: 400 }, { ...PCV, tidalVolumeMl: 999 })).toBe(true);
  });

  it('a wider configured pressure tolerance is honoured (devices that quantise to 1 cmH2O)', () => {
    expect(settingsMatch(PCV, { ...PCV, peepCmH2O: 31 }, 1)).toBe(true);
    expect(settingsMatch(PCV, { ...PCV, peakCmH2O: 46.01 }, 1)).toBe(false);
  });
});

describe('cross-field protocol rules', () => {
  it('sustained inflation: CPAP level within the peak limit', () => {
    expect(problems({ maneuver: 'sustained-inflation', peepCmH2O: 45, peakLimitCmH2O: 40 })).toEqual([
      'peepCmH2O = 45: must not exceed peakLimitCmH2O (40 cmH2O)',
    ]);
    expect(problems({ maneuver: 'sustained-inflation', peepCmH2O: 40, peakLimitCmH2O: 40 })).toEqual([]);
  });

  it('high-pressure PCV: peak within the peak limit', () => {
    expect(problems({ maneuver: 'high-pressure-pcv', peakCmH2O: 45, peakLimitCmH2O: 44 })).toEqual([
      'peakCmH2O = 45: must not exceed peakLimitCmH2O (44 cmH2O)',
    ]);
    expect(problems({ maneuver: 'high-pressure-pcv', peakCmH2O: 45, peakLimitCmH2O: 45 })).toEqual([]);
  });

  it('staircase: levels strictly ascending, naming the offending index and the previous level', () => {
    expect(problems({ maneuver: 'staircase', incrementalPeepsCmH2O: [20, 25, 25, 30] })).toEqual([
      'incrementalPeepsCmH2O[2] = 25: must be strictly ascending (previous level 25)',
    ]);
  });

  it('staircase: re-recruitment pressure within the peak limit', () => {
    expect(problems({ maneuver: 'staircase', reRecruit: { peepCmH2O: 45 } })).toEqual([
      'reRecruit.peepCmH2O = 45: PEEP + driving pressure (60) must not exceed peakLimitCmH2O (55 cmH2O)',
    ]);
    expect(problems({ maneuver: 'staircase', reRecruit: { peepCmH2O: 40 } })).toEqual([]);
  });

  it('staircase: decremental start above the floor, at most 20 steps', () => {
    expect(problems({ maneuver: 'staircase', decremental: { startPeepCmH2O: 14, floorPeepCmH2O: 15 } })).toEqual([
      'decremental.startPeepCmH2O = 14: must be above decremental.floorPeepCmH2O (15 cmH2O)',
    ]);
    // 35 -> 5 in 1.5 steps is exactly 20 steps: allowed; in 1 cmH2O steps it is 30: refused.
    expect(problems({ maneuver: 'staircase', decremental: { startPeepCmH2O: 35, floorPeepCmH2O: 5, stepCmH2O: 1.5 } })).toEqual([]);
    expect(problems({ maneuver: 'staircase', decremental: { startPeepCmH2O: 35, floorPeepCmH2O: 5, stepCmH2O: 1 } })).toEqual([
      'decremental.stepCmH2O = 1: gives more than 20 decremental steps; use a larger step',
    ]);
    expect(problems({ maneuver: 'staircase', decremental: { startPeepCmH2O: 25, floorPeepCmH2O: 5, stepCmH2O: 1 } })).toEqual([]);
  });

  it('staircase: the final PEEP (floor + margin) plus driving pressure stays within the peak limit', () => {
    const base = { maneuver: 'staircase', incrementalPeepsCmH2O: [15], reRecruit: { peepCmH2O: 20 }, drivingPressureCmH2O: 10, peakLimitCmH2O: 35 };
    expect(problems({ ...base, decremental: { startPeepCmH2O: 25, floorPeepCmH2O: 20 }, finalMarginCmH2O: 5 })).toEqual([]);
    expect(problems({ ...base, decremental: { startPeepCmH2O: 25, floorPeepCmH2O: 21 }, finalMarginCmH2O: 5 })).toEqual([
      'finalMarginCmH2O = 5: final PEEP would exceed the peak limit',
    ]);
  });

  it('safety: the HR floor is always below the HR ceiling (their bounds are disjoint)', () => {
    expect(problems({ hrMinBpm: 80, hrMaxBpm: 100 }, SafetyConfigSchema)).toEqual([]);
    expect(problems({ hrMinBpm: 81, hrMaxBpm: 99 }, SafetyConfigSchema)).toEqual([
      'hrMinBpm = 81: must be between 30 and 80 /min',
      'hrMaxBpm = 99: must be between 100 and 180 /min',
    ]);
  });
});
