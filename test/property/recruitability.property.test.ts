/** Properties of the R/I formula (Chen 2020) over the whole range of entered readings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recruitabilityOf, ReleaseReadingsSchema, type ReleaseReadings } from '../../machines/index.js';

const readings = fc
  .record({
    highPeepCmH2O: fc.double({ min: 10, max: 25, noNaN: true }),
    dPeep: fc.double({ min: 2, max: 10, noNaN: true }),
    tidalVolumeMl: fc.double({ min: 100, max: 1000, noNaN: true }),
    releasedMl: fc.double({ min: 0, max: 1500, noNaN: true }),
    drivingCmH2O: fc.double({ min: 3, max: 40, noNaN: true }),
    aop: fc.option(fc.double({ min: 0, max: 30, noNaN: true }), { nil: null }),
  })
  .map(
    (r): ReleaseReadings => ({
      highPeepCmH2O: r.highPeepCmH2O,
      lowPeepCmH2O: r.highPeepCmH2O - r.dPeep,
      tidalVolumeMl: r.tidalVolumeMl,
      releaseExpiredVolumeMl: r.tidalVolumeMl + r.releasedMl,
      lowPlateauCmH2O: r.highPeepCmH2O - r.dPeep + r.drivingCmH2O,
      airwayOpeningPressureCmH2O: r.aop,
    }),
  );

describe('R/I formula properties', () => {
  it('R/I = Vrel / (Crs,low x dP) - 1 with the effective low pressure; the class follows the threshold', () => {
    fc.assert(
      fc.property(readings, fc.double({ min: 0.1, max: 2, noNaN: true }), (rd, threshold) => {
        const r = recruitabilityOf(rd, threshold);
        const floor = rd.airwayOpeningPressureCmH2O !== null && rd.airwayOpeningPressureCmH2O > rd.lowPeepCmH2O ? rd.airwayOpeningPressureCmH2O : rd.lowPeepCmH2O;
        if (floor >= rd.highPeepCmH2O || rd.lowPlateauCmH2O <= floor) {
          expect(r.recruitability).toBe('not-assessable');
          expect(r.ratio).toBeNull();
          return;
        }
        const crs = rd.tidalVolumeMl / (rd.lowPlateauCmH2O - floor);
        const exact = (rd.releaseExpiredVolumeMl - rd.tidalVolumeMl) / (crs * (rd.highPeepCmH2O - floor)) - 1;
        expect(r.ratio!).toBeCloseTo(exact, 1);
        expect(r.recruitability).toBe(exact >= threshold ? 'high' : 'low');
      }),
      { numRuns: 500 },
    );
  });

  it('more volume released at the same mechanics never lowers R/I', () => {
    fc.assert(
      fc.property(readings, fc.double({ min: 1, max: 500, noNaN: true }), (rd, more) => {
        const a = recruitabilityOf(rd).ratio;
        const b = recruitabilityOf({ ...rd, releaseExpiredVolumeMl: rd.releaseExpiredVolumeMl + more }).ratio;
        if (a === null) expect(b).toBeNull();
        else expect(b!).toBeGreaterThanOrEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('entered readings outside their ranges are refused, never computed', () => {
    fc.assert(
      // The release volume at the top of its range: at least any in-range Vt, so only the Vt's own
      // range decides (with 900, a Vt in (900, 1000] was refused by the cross-field rule: a flaky run).
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 90, max: 1010, noNaN: true })), (v) => {
        const ok = ReleaseReadingsSchema.safeParse({ tidalVolumeMl: v, releaseExpiredVolumeMl: 3000, lowPlateauCmH2O: 25 }).success;
        expect(ok).toBe(v >= 100 && v <= 1000);
      }),
      { numRuns: 300 },
    );
    expect(ReleaseReadingsSchema.safeParse({ tidalVolumeMl: 950, releaseExpiredVolumeMl: 3000, lowPlateauCmH2O: 25 }).success).toBe(true);
  });
});
