import { describe, expect, it } from 'vitest';
import {
  applyScreenPolicy,
  defaultProtocol,
  ProtocolSchema,
  StaircaseProtocolSchema,
  type StaircaseProtocol,
  recruitabilityOf,
  ReleaseReadingsSchema,
  screenRecommendation,
  type ReleaseReadings,
} from '../../machines/index.js';

const base: ReleaseReadings = {
  highPeepCmH2O: 15,
  lowPeepCmH2O: 5,
  tidalVolumeMl: 400,
  releaseExpiredVolumeMl: 1000,
  lowPlateauCmH2O: 25,
  airwayOpeningPressureCmH2O: null,
};

describe('R/I with the published formula (Chen et al. 2020)', () => {
  it('computes Vrel, Crs,low, Vrec, Crec and R/I by hand', () => {
    // Vrel = 1000 - 400 = 600; Crs,low = 400 / (25 - 5) = 20; predicted 20 x 10 = 200;
    // Vrec = 400; Crec = 40; R/I = 2.
    const r = recruitabilityOf(base);
    expect(r.releasedVolumeMl).toBe(600);
    expect(r.lowComplianceMlPerCmH2O).toBe(20);
    expect(r.recruitedVolumeMl).toBe(400);
    expect(r.recruitedComplianceMlPerCmH2O).toBe(40);
    expect(r.effectivePressureCmH2O).toBe(10);
    expect(r.ratio).toBe(2);
    expect(r.recruitability).toBe('high');
  });

  it('is 0 when the released volume is exactly what the compliance at low PEEP predicts (no recruitment)', () => {
    const r = recruitabilityOf({ ...base, releaseExpiredVolumeMl: 600 }); // Vrel 200 = 20 x 10
    expect(r.ratio).toBe(0);
    expect(r.recruitedVolumeMl).toBe(0);
    expect(r.recruitability).toBe('low');
  });

  it('splits at the threshold: exactly 0.5 is high (the median split), just below is low', () => {
    // R/I = Vrel / (Crs,low x dP) - 1 = 0.5 -> Vrel = 300 (Crs,low 20, dP 10).
    expect(recruitabilityOf({ ...base, releaseExpiredVolumeMl: 700 }).recruitability).toBe('high');
    expect(recruitabilityOf({ ...base, releaseExpiredVolumeMl: 699 }).recruitability).toBe('low');
    expect(recruitabilityOf({ ...base, releaseExpiredVolumeMl: 700 }, 0.6).recruitability).toBe('low');
  });

  it('uses the airway opening pressure in place of the low PEEP when it is above it', () => {
    // AOP 8: Crs,low = 400 / (25 - 8) = 23.53; dP = 15 - 8 = 7; predicted 164.7; Vrec = 600 - 164.7 = 435.3;
    // Crec = 62.18; R/I = 2.64.
    const r = recruitabilityOf({ ...base, airwayOpeningPressureCmH2O: 8 });
    expect(r.effectivePressureCmH2O).toBe(7);
    expect(r.lowComplianceMlPerCmH2O).toBeCloseTo(23.53, 2);
    expect(r.recruitedVolumeMl).toBe(435);
    expect(r.ratio).toBeCloseTo(2.64, 2);
    expect(r.detail).toMatch(/airway opening pressure 8/);
    // An AOP below the low PEEP changes nothing.
    expect(recruitabilityOf({ ...base, airwayOpeningPressureCmH2O: 3 }).ratio).toBe(2);
  });

  it('is not assessable when the airway opening pressure is at or above the high PEEP, or a reading is missing', () => {
    const closed = recruitabilityOf({ ...base, airwayOpeningPressureCmH2O: 15 });
    expect(closed.recruitability).toBe('not-assessable');
    expect(closed.ratio).toBeNull();
    expect(closed.detail).toMatch(/cannot be assessed/);
    expect(recruitabilityOf({ ...base, releaseExpiredVolumeMl: Number.NaN }).recruitability).toBe('not-assessable');
    expect(recruitabilityOf({ ...base, lowPlateauCmH2O: 5 }).recruitability).toBe('not-assessable');
    expect(screenRecommendation(closed)).toMatch(/not assessable/);
  });

  it('recommends in the protocol terms', () => {
    expect(screenRecommendation(recruitabilityOf(base))).toMatch(/high recruitability.*proceed/);
    expect(screenRecommendation(recruitabilityOf({ ...base, releaseExpiredVolumeMl: 600 }))).toMatch(/low recruitability.*not recommended/);
  });
});

describe('entered readings and the screen protocol are validated with errors naming field, value and range', () => {
  it('rejects out-of-range and inconsistent readings', () => {
    const bad = ReleaseReadingsSchema.safeParse({ ...base, tidalVolumeMl: 50 });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/between 100 and 1000 mL/);
    const low = ReleaseReadingsSchema.safeParse({ ...base, lowPeepCmH2O: 15 });
    expect(low.success).toBe(false);
    expect(low.error?.issues[0]?.path).toEqual(['lowPeepCmH2O']);
    expect(ReleaseReadingsSchema.parse({ tidalVolumeMl: 400, releaseExpiredVolumeMl: 900, lowPlateauCmH2O: 22 })).toMatchObject({ highPeepCmH2O: 15, lowPeepCmH2O: 5, airwayOpeningPressureCmH2O: null });
  });

  it('has Chen defaults and bounds', () => {
    const p = ProtocolSchema.parse({ maneuver: 'recruitability-screen' });
    expect(p).toMatchObject({ highPeepCmH2O: 15, lowPeepCmH2O: 5, thresholdRatio: 0.5, policy: 'warn', releaseMaxBreaths: 2 });
    const r = ProtocolSchema.safeParse({ maneuver: 'recruitability-screen', highPeepCmH2O: 30 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/between 8 and 25 cmH2O/);
    const order = ProtocolSchema.safeParse({ maneuver: 'recruitability-screen', highPeepCmH2O: 10, lowPeepCmH2O: 12 });
    expect(order.success).toBe(false);
    expect(order.error?.issues[0]?.path).toEqual(['lowPeepCmH2O']);
    const aop = ProtocolSchema.safeParse({ maneuver: 'recruitability-screen', airwayOpeningPressureCmH2O: 16 });
    expect(aop.success).toBe(false);
    expect(ProtocolSchema.safeParse({ maneuver: 'recruitability-screen', policy: 'maybe' }).success).toBe(false);
  });
});

describe('screen policy for the staircase that follows', () => {
  const staircase = defaultProtocol('staircase') as StaircaseProtocol;
  const high = recruitabilityOf(base);
  const low = recruitabilityOf({ ...base, releaseExpiredVolumeMl: 650 });
  const unknown = recruitabilityOf({ ...base, airwayOpeningPressureCmH2O: 16 });

  it('proceeds on high recruitability whatever the policy', () => {
    for (const policy of ['warn', 'block', 'cap'] as const) {
      const d = applyScreenPolicy(staircase, high, policy, 35);
      expect(d.action).toBe('proceed');
      expect(d.protocol).toBe(staircase);
    }
  });

  it('warn proceeds, block does not start, on low recruitability', () => {
    expect(applyScreenPolicy(staircase, low, 'warn', 35)).toMatchObject({ action: 'warn', protocol: staircase });
    const b = applyScreenPolicy(staircase, low, 'block', 35);
    expect(b.action).toBe('block');
    expect(b.protocol).toBeNull();
    expect(b.message).toMatch(/R\/I 0.25 < 0.5.*not started/);
  });

  it('cap keeps only recruitment steps under the cap and a valid staircase', () => {
    const d = applyScreenPolicy(staircase, low, 'cap', 35);
    expect(d.action).toBe('cap');
    const p = d.protocol!;
    expect(p.incrementalPeepsCmH2O).toEqual([20]);
    expect(p.peakLimitCmH2O).toBe(35);
    expect(p.reRecruit.peepCmH2O).toBe(20);
    expect(p.decremental.startPeepCmH2O).toBe(20);
    for (const peep of [...p.incrementalPeepsCmH2O, p.reRecruit.peepCmH2O]) expect(peep + p.drivingPressureCmH2O).toBeLessThanOrEqual(35);
    expect(StaircaseProtocolSchema.safeParse(p).success).toBe(true);
    // A cap that leaves no recruitment step blocks, saying why.
    const none = applyScreenPolicy(staircase, low, 'cap', 30);
    expect(none.action).toBe('block');
    expect(none.message).toMatch(/no recruitment step fits/);
  });

  it('proceeds with a warning when recruitability cannot be assessed', () => {
    expect(applyScreenPolicy(staircase, unknown, 'block', 35)).toMatchObject({ action: 'warn', protocol: staircase });
  });
});
