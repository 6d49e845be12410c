import { describe, expect, it } from 'vitest';
import { problems } from '../support/problems.js';
import {
  checkCommandLimits,
  decrementalPeeps,
  walkFloorOf,
  defaultProtocol,
  SafetyConfigSchema,
  StaircaseProtocolSchema,
  type StaircaseProtocol,
} from '../../machines/index.js';


describe('protocol configuration', () => {
  it('defaults follow the clinical reference', () => {
    const s = defaultProtocol('staircase') as StaircaseProtocol;
    expect(s.incrementalPeepsCmH2O).toEqual([20, 30, 40]);
    expect(s.incrementalDwellS).toBe(120);
    expect(s.drivingPressureCmH2O).toBe(15);
    expect(s.decremental).toEqual({ startPeepCmH2O: 25, stepCmH2O: 2.5, floorPeepCmH2O: 15, dwellS: 180 });
    expect(walkFloorOf(s.decremental)).toBe(10);
    expect(s.reRecruit).toEqual({ peepCmH2O: 40, dwellS: 60, when: 'if-derecruited' });
    expect(s.lungProtection).toEqual({ plateauMaxCmH2O: 30, drivingPressureMaxCmH2O: 15, tidalVolumeMaxMlPerKg: 8, tidalVolumeMinMlPerKg: 4 });
    expect(s.fio2Titration).toMatchObject({ enabled: true, targetMinPct: 90, targetMaxPct: 92 });
    expect(s.titration).toEqual({ decide: 'auto', complianceMarginCmH2O: 2 });
    expect(s.finalMarginCmH2O).toBe(2.5);
    expect(s.safety.mapFloorMmHg).toBe(60);
    // PHARLAP's levels to the floor 15, then (only while no derecruitment is seen) on down to 10.
    expect(decrementalPeeps(s)).toEqual([25, 22.5, 20, 17.5, 15, 12.5, 10]);
    expect(decrementalPeeps(s, 10)).toEqual([25, 22.5, 20, 17.5, 15, 12.5, 10]);
    expect(decrementalPeeps(s, 14)).toEqual([25, 22.5, 20, 17.5, 15, 14]);
    expect(decrementalPeeps(s, 16)).toEqual([25, 22.5, 20, 17.5, 15]);
    const si = defaultProtocol('sustained-inflation');
    expect(si).toMatchObject({ peepCmH2O: 40, holdS: 30 });
    expect(defaultProtocol('high-pressure-pcv')).toMatchObject({ peepCmH2O: 25, peakCmH2O: 40, holdS: 120 });
  });

  it('names the field, the value and the allowed range', () => {
    expect(problems({ maneuver: 'sustained-inflation', peepCmH2O: 55 })).toEqual(['peepCmH2O = 55: must be between 30 and 50 cmH2O']);
    expect(problems({ maneuver: 'staircase', safety: { mapFloorMmHg: 20 } })).toEqual([
      'safety.mapFloorMmHg = 20: must be between 45 and 80 mmHg',
    ]);
    expect(problems({ maneuver: 'high-pressure-pcv', peakCmH2O: 'forty' })).toEqual([
      'peakCmH2O = "forty": must be a number (must be between 40 and 45 cmH2O)',
    ]);
  });

  it('rejects unknown fields and unknown maneuvers', () => {
    expect(problems({ maneuver: 'staircase', peepMax: 60 })).toEqual(['peepMax = 60: unknown field (not allowed)']);
    expect(problems({ maneuver: 'yoga' })[0]).toMatch(/^maneuver = "yoga": /);
  });

  it('enforces hard bounds across fields: PEEP + driving pressure within the peak limit', () => {
    const out = problems({ maneuver: 'staircase', incrementalPeepsCmH2O: [20, 30, 45], drivingPressureCmH2O: 15 });
    expect(out).toEqual([
      'incrementalPeepsCmH2O[2] = 45: PEEP + driving pressure (60) must not exceed peakLimitCmH2O (55 cmH2O)',
    ]);
    expect(problems({ maneuver: 'staircase', incrementalPeepsCmH2O: [30, 20] })[0]).toMatch(/strictly ascending/);
    expect(problems({ maneuver: 'staircase', peakLimitCmH2O: 61 })[0]).toBe('peakLimitCmH2O = 61: must be between 30 and 60 cmH2O');
    expect(problems({ maneuver: 'staircase', decremental: { startPeepCmH2O: 15, floorPeepCmH2O: 15 } })[0]).toMatch(/must be above/);
  });

  it('safety thresholds cannot be switched off, and HR limits must be ordered', () => {
    expect(SafetyConfigSchema.safeParse({ vitalsStaleS: 0 }).success).toBe(false);
    expect(SafetyConfigSchema.safeParse({ hrMinBpm: 80, hrMaxBpm: 100 }).success).toBe(true);
    expect(SafetyConfigSchema.safeParse({ restoreAttempts: 2.5 }).success).toBe(false);
  });

  it('decremental levels end at the floor even when the step does not divide the range', () => {
    const p = StaircaseProtocolSchema.parse({ maneuver: 'staircase', decremental: { startPeepCmH2O: 25, stepCmH2O: 3, floorPeepCmH2O: 15 } });
    expect(decrementalPeeps(p)).toEqual([25, 22, 19, 16, 15, 12, 10]);
    const pharlap = StaircaseProtocolSchema.parse({ maneuver: 'staircase', decremental: { startPeepCmH2O: 25, stepCmH2O: 3, floorPeepCmH2O: 15, extendToPeepCmH2O: 15 } });
    expect(decrementalPeeps(pharlap)).toEqual([25, 22, 19, 16, 15]);
    // A floor below the default extension: the floor is the lowest level (a protocol valid before stays valid).
    const low = StaircaseProtocolSchema.parse({ maneuver: 'staircase', decremental: { floorPeepCmH2O: 8 } });
    expect(walkFloorOf(low.decremental)).toBe(8);
    expect(decrementalPeeps(low).at(-1)).toBe(8);
  });

  it('extendToPeepCmH2O above the floor is refused, naming the field, the value and the allowed range', () => {
    expect(problems({ maneuver: 'staircase', decremental: { extendToPeepCmH2O: 17.5 } })).toEqual([
      'decremental.extendToPeepCmH2O = 17.5: must not exceed decremental.floorPeepCmH2O (15 cmH2O): allowed 5-15 cmH2O',
    ]);
    expect(problems({ maneuver: 'staircase', decremental: { extendToPeepCmH2O: 4 } })).toEqual(['decremental.extendToPeepCmH2O = 4: must be between 5 and 25 cmH2O']);
    expect(problems({ maneuver: 'sustained-inflation', postRmPeep: { mode: 'titration' }, decrementalTitration: { decremental: { extendToPeepCmH2O: 20 } } })).toEqual([
      'decrementalTitration.decremental.extendToPeepCmH2O = 20: must not exceed decremental.floorPeepCmH2O (15 cmH2O): allowed 5-15 cmH2O',
    ]);
  });

  it('checkCommandLimits rejects anything beyond the hard limits', () => {
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 40, peakCmH2O: 55, rateBpm: 20, fio2: 0.6 }, 55)).toEqual([]);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 51, peakCmH2O: 56, rateBpm: 20, fio2: 0.6 }, 60).map((v) => v.field)).toEqual(['peepCmH2O']);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 40, peakCmH2O: 61, rateBpm: 20, fio2: 0.6 }, 70).map((v) => v.limit)).toEqual([60]);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 20, peakCmH2O: 15, rateBpm: 20, fio2: 1.2 }, 55).map((v) => v.field)).toEqual(['peakCmH2O', 'fio2']);
  });
});
