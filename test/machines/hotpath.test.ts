/**
 * The per-sample hot path, rewritten for speed (issue 20, third pass), against the code it
 * replaced, kept here as the specification: same values, same keys in the same order (the
 * journal and the decision-identity tests serialise the context), for arbitrary inputs.
 * test/runner/quiescent.test.ts and test/runner/engineIdentity.test.ts compare whole runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultProtocol,
  emptyLatest,
  initialContext,
  newStep,
  updateLatest,
  withSample,
  type CheckedSample,
  type LatestValues,
  type ManeuverContext,
} from '../../machines/index.js';
import { BASELINE } from '../support/driver.js';

/** updateLatest as it was before the third pass: a spread of the held values, fields written after. */
function updateLatestBefore(latest: LatestValues, sample: CheckedSample): LatestValues {
  const next = { ...latest };
  const t = sample.t;
  const newer = (at: number | null) => at === null || t >= at;
  if (sample.spo2Pct !== undefined && newer(latest.spo2At)) {
    next.spo2Pct = sample.spo2Pct;
    next.spo2At = t;
  }
  if (sample.mapMmHg !== undefined && newer(latest.mapAt)) {
    next.mapMmHg = sample.mapMmHg;
    next.mapAt = t;
  }
  if (sample.sbpMmHg !== undefined && newer(latest.sbpAt)) {
    next.sbpMmHg = sample.sbpMmHg;
    next.sbpAt = t;
  }
  if (sample.hrBpm !== undefined && newer(latest.hrAt)) {
    next.hrBpm = sample.hrBpm;
    next.hrAt = t;
  }
  if (sample.peakCmH2O !== undefined && newer(latest.peakAt)) {
    next.peakCmH2O = sample.peakCmH2O;
    next.peakAt = t;
  }
  if (sample.peepCmH2O !== undefined && newer(latest.peepAt)) {
    next.peepCmH2O = sample.peepCmH2O;
    next.peepAt = t;
  }
  if (sample.tidalVolumeMl !== undefined) next.tidalVolumeMl = sample.tidalVolumeMl;
  if (sample.plateauCmH2O !== undefined) next.plateauCmH2O = sample.plateauCmH2O;
  if (sample.complianceMlPerCmH2O !== undefined) next.complianceMlPerCmH2O = sample.complianceMlPerCmH2O;
  return next;
}

const value = fc.option(fc.double({ min: -50, max: 300, noNaN: true }), { nil: undefined });
const time = fc.integer({ min: 0, max: 20 }).map((s) => s * 500);
const sampleArb: fc.Arbitrary<CheckedSample> = fc
  .record({
    t: time,
    spo2Pct: value,
    mapMmHg: value,
    sbpMmHg: value,
    hrBpm: value,
    peakCmH2O: value,
    plateauCmH2O: value,
    peepCmH2O: value,
    tidalVolumeMl: value,
    complianceMlPerCmH2O: value,
    expiredVolumeMl: value,
  })
  .map((r) => {
    // Absent, not undefined: as checkSample builds them.
    const s: Record<string, unknown> = { checked: true, t: r.t, source: 'prop' };
    for (const [k, v] of Object.entries(r)) if (k !== 't' && v !== undefined) s[k] = v;
    return s as unknown as CheckedSample;
  });

/** Same values and the same keys in the same order. */
const same = (a: unknown, b: unknown): void => {
  expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  expect(a).toStrictEqual(b);
};

describe('updateLatest: the fixed-shape fold gives what the spread gave', () => {
  it('over any sequence of samples, in and out of order', () => {
    fc.assert(
      fc.property(fc.array(sampleArb, { maxLength: 30 }), (samples) => {
        let a = emptyLatest();
        let b = emptyLatest();
        for (const s of samples) {
          a = updateLatest(a, s);
          b = updateLatestBefore(b, s);
          same(a, b);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('from held values without a plateau, with a plateau held as null, and in another key order', () => {
    const { plateauCmH2O: _omit, ...older } = { ...emptyLatest(), plateauCmH2O: null };
    const withNull: LatestValues = { ...emptyLatest(), plateauCmH2O: null };
    const s = { checked: true, t: 5, source: 's', spo2Pct: 91 } as const;
    for (const held of [older, withNull]) same(updateLatest(held, s), updateLatestBefore(held, s));
    // Values held under another key order (a hand-built or restored object): the same values.
    const shuffled = Object.fromEntries(Object.entries(emptyLatest()).reverse()) as unknown as LatestValues;
    expect(updateLatest(shuffled, s)).toEqual(updateLatestBefore(shuffled, s));
  });

  it('the memo answers only for the same held values and the same sample', () => {
    const s1 = { checked: true, t: 1000, source: 's', spo2Pct: 90 } as const;
    const s2 = { checked: true, t: 1000, source: 's', spo2Pct: 90 } as const; // equal, not the same sample
    const l0 = emptyLatest();
    const a = updateLatest(l0, s1);
    expect(updateLatest(l0, s1)).toBe(a);
    const other = { ...emptyLatest(), spo2Pct: 99, spo2At: 2000 };
    // Another held value with the same sample: folded again (the newer SpO2 held wins).
    expect(updateLatest(other, s1).spo2Pct).toBe(99);
    expect(updateLatest(l0, s2)).not.toBe(a);
    expect(updateLatest(l0, s2)).toEqual(a);
  });
});

describe('withSample at an explicit time: what it gave on a context copied with that time', () => {
  const ctx0 = (): ManeuverContext => initialContext({ protocol: defaultProtocol('staircase'), baseline: BASELINE });
  it('in the baseline window and in a step, inside and outside its measurement window', () => {
    const windowMs = defaultProtocol('staircase').measureWindowS * 1000;
    fc.assert(
      fc.property(sampleArb, fc.integer({ min: 0, max: 240_000 }), fc.boolean(), (sample, now, started) => {
        const base = ctx0();
        const current = { ...newStep('incremental', 'Step 1', { ...BASELINE }, 120_000), startedAt: 0 };
        const ctx: ManeuverContext = started ? { ...base, current, run: { ...base.run, startedAt: 0, history: null } } : base;
        same(withSample(ctx, sample, now), withSample({ ...ctx, now }, sample));
        expect(windowMs).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
