/**
 * The per-sample hot path, rewritten for speed (issue 20, third pass), against the code it
 * replaced, kept here as the specification: same values, same keys in the same order (the
 * journal and the decision-identity tests serialise the context), for arbitrary inputs.
 * test/runner/quiescent.test.ts and test/runner/engineIdentity.test.ts compare whole runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accumulate,
  defaultProtocol,
  DEFAULT_SAFETY,
  emptyAccumulator,
  emptyLatest,
  initialContext,
  judgeSample,
  median,
  newStep,
  NO_CONDITIONS,
  SAMPLE_RULES,
  Series,
  stepMeasurement,
  updateLatest,
  valuesOf,
  withSample,
  type CheckedSample,
  type Conditions,
  type CurrentStep,
  type LatestValues,
  type ManeuverContext,
  type SampleGuardInput,
  type SampleVerdict,
  type StepAccumulator,
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

/** median as it was before the third pass: a copy sorted with a comparator. */
function medianBefore(values: readonly number[]): number | null {
  const n = values.length;
  if (n === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = n >> 1;
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

describe('median: the native numeric sort gives the comparator sort\'s median', () => {
  it('for any list, with duplicates, zeros of either sign, infinities and NaN', () => {
    const v = fc.oneof(
      fc.double({ min: -200, max: 200, noNaN: true }),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-300, -1e-300),
    );
    fc.assert(
      fc.property(fc.array(v, { maxLength: 70 }), (values) => {
        const before = values.slice();
        // Object.is: the same number to the sign of a zero and NaN for NaN.
        expect(Object.is(median(values), medianBefore(values))).toBe(true);
        expect(values).toEqual(before); // the list itself is not sorted in place
      }),
      { numRuns: 2000 },
    );
  });

  it('odd and even lengths, and the empty list', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Object.is(median([-0, 0, -0]), medianBefore([-0, 0, -0]))).toBe(true);
  });

  it('lists of any length one after the other (the scratch array it sorts in grows and is reused)', () => {
    // Longer than the scratch's first 128 slots and back: a shorter list never reads a longer one's values.
    fc.assert(
      fc.property(fc.array(fc.array(fc.double({ min: 1, max: 500, noNaN: true }), { maxLength: 400 }), { minLength: 2, maxLength: 8 }), (lists) => {
        for (const values of lists) expect(median(values)).toBe(medianBefore(values));
      }),
      { numRuns: 200 },
    );
    expect(median(Array.from({ length: 301 }, (_, i) => 1000 - i))).toBe(850);
    expect(median([7, 5, 6])).toBe(6);
  });
});

describe('stepMeasurement: measured once per window and latest values, a fresh record each time', () => {
  it('the same values as measuring anew, and never the held object', () => {
    const latest = updateLatest(emptyLatest(), { checked: true, t: 0, source: 's', spo2Pct: 95, mapMmHg: 80, peakCmH2O: 30 });
    const step = { ...newStep('decremental', 'D1', { ...BASELINE }, 180_000), startedAt: 0, acc: { spo2: [93, 91, 92], map: [70, 72], hr: [], compliance: [30, 31], peakMax: 33, plateau: [25], vt: [400, 410] } };
    const a = stepMeasurement(step, latest);
    const b = stepMeasurement(step, latest);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    expect(a).toEqual({ plateauCmH2O: 25, tidalVolumeMl: 405, spo2Pct: 92, mapMmHg: 71, hrBpm: null, complianceMlPerCmH2O: 30.5, peakCmH2O: 33 });
    // A caller changing its copy changes nothing for the next.
    a.spo2Pct = 1;
    expect(stepMeasurement(step, latest).spo2Pct).toBe(92);
    // Another window (a new acc) or other latest values: measured again.
    const step2 = { ...step, acc: { ...step.acc, spo2: [80, 81, 82] } };
    expect(stepMeasurement(step2, latest).spo2Pct).toBe(81);
    const latest2 = updateLatest(latest, { checked: true, t: 1, source: 's', hrBpm: 77 });
    expect(stepMeasurement(step2, latest2).hrBpm).toBe(77);
    expect(stepMeasurement(step, latest2).spo2Pct).toBe(92);
  });
});

/** judgeSample as it was before the third pass: the rule's fields tested by name, `also` made up front. */
function judgeSampleBefore(input: SampleGuardInput, conditions: Conditions, now: number): SampleVerdict {
  let next: Record<string, number> | null = null;
  const edit = (): Record<string, number> => (next ??= { ...conditions });
  let abort: SampleVerdict['abort'] = null;
  const also: string[] = [];
  const { sample, safety } = input;
  for (const rule of SAMPLE_RULES) {
    if (!rule.fields.some((f) => sample[f] !== undefined)) continue;
    const since = conditions[rule.guard];
    if (!rule.check(input)) {
      if (since !== undefined && !(rule.hysteresis > 0 && rule.check(input, rule.hysteresis))) delete edit()[rule.guard];
      continue;
    }
    const start = since ?? now;
    if (since === undefined) edit()[rule.guard] = now;
    const persistence = rule.persistenceMs(safety);
    const held = now - start;
    if (persistence === 0 || held > persistence) {
      if (abort === null) {
        const heldNote = persistence === 0 ? '' : ` (held ${(held / 1000).toFixed(1)} s, alarm delay ${(persistence / 1000).toFixed(0)} s)`;
        abort = { guard: rule.guard, reason: rule.reason, priority: rule.priority, message: rule.explain(input) + heldNote, heldMs: held, also };
      } else also.push(rule.guard);
    }
  }
  return { conditions: next ?? conditions, abort };
}

describe('judgeSample: the fields a rule reads found by bits give the verdicts found by name', () => {
  it('over sequences of samples near every limit, with conditions carried from one to the next', () => {
    const safety = DEFAULT_SAFETY;
    const baseline = { spo2Pct: 95, mapMmHg: 80, sbpMmHg: 120, hrBpm: 80, complianceMlPerCmH2O: 40, window: { fromMs: 0, toMs: 30_000, samples: { spo2: 30, map: 30, sbp: 30, hr: 30 } } };
    const near = (lo: number, hi: number) => fc.option(fc.double({ min: lo, max: hi, noNaN: true }), { nil: undefined, freq: 2 });
    const sample = fc
      .record({
        spo2Pct: near(60, 100),
        mapMmHg: near(30, 100),
        sbpMmHg: near(50, 140),
        hrBpm: near(0, 180),
        peakCmH2O: near(10, 75),
        plateauCmH2O: near(10, 50),
        peepCmH2O: near(0, 45),
        tidalVolumeMl: near(100, 900),
        complianceMlPerCmH2O: near(5, 80),
        expiredVolumeMl: near(100, 900),
      })
      .map((r) => Object.fromEntries([['checked', true], ['t', 0], ['source', 'prop'], ...Object.entries(r).filter(([, v]) => v !== undefined)]) as unknown as CheckedSample);
    const delivering = fc.option(fc.constantFrom({ ...BASELINE }, { mode: 'VC' as const, peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.5, tidalVolumeMl: 450 }), { nil: null });
    fc.assert(
      fc.property(fc.array(fc.tuple(sample, fc.integer({ min: 0, max: 4000 }), delivering), { minLength: 1, maxLength: 25 }), (steps) => {
        let ca: Conditions = NO_CONDITIONS;
        let cb: Conditions = NO_CONDITIONS;
        let now = 0;
        for (const [s, dt, d] of steps) {
          now += dt;
          const input = { sample: s, baseline, safety, peakLimitCmH2O: 45, delivering: d };
          const a = judgeSample(input, ca, now);
          const b = judgeSampleBefore(input, cb, now);
          expect(a).toStrictEqual(b);
          expect(a.conditions === ca).toBe(b.conditions === cb); // unchanged conditions stay the same object
          ca = a.conditions;
          cb = b.conditions;
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** accumulate as it was before the third pass: a spread of the window, lists written after. */
function accumulateBefore(acc: StepAccumulator, s: CheckedSample): StepAccumulator {
  const next = { ...acc };
  if (s.spo2Pct !== undefined) next.spo2 = [...acc.spo2, s.spo2Pct];
  if (s.mapMmHg !== undefined) next.map = [...acc.map, s.mapMmHg];
  if (s.hrBpm !== undefined) next.hr = [...acc.hr, s.hrBpm];
  if (s.complianceMlPerCmH2O !== undefined) next.compliance = [...acc.compliance, s.complianceMlPerCmH2O];
  if (s.plateauCmH2O !== undefined) next.plateau = [...(acc.plateau ?? []), s.plateauCmH2O];
  if (s.tidalVolumeMl !== undefined) next.vt = [...(acc.vt ?? []), s.tidalVolumeMl];
  if (s.expiredVolumeMl !== undefined) {
    next.vte = [...(acc.vte ?? []), s.expiredVolumeMl];
    next.vtePlateau = [...(acc.vtePlateau ?? []), s.plateauCmH2O ?? Number.NaN];
    next.vtePeep = [...(acc.vtePeep ?? []), s.peepCmH2O ?? Number.NaN];
  }
  if (s.peakCmH2O !== undefined) next.peakMax = next.peakMax === null ? s.peakCmH2O : Math.max(next.peakMax, s.peakCmH2O);
  return next;
}

/**
 * A window with its lists read as plain arrays (the fourth pass keeps them in Series,
 * machines/series.ts): the same keys in the same order, each list's values through `valuesOf`.
 */
const plainAcc = (acc: StepAccumulator): Record<string, unknown> =>
  Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v instanceof Series ? valuesOf(v as Series<number>) : v]));

describe('accumulate and the step it is kept in: literals give what the spreads gave', () => {
  it('over any sequence of samples, from an empty window and from windows of older shapes', () => {
    const { plateau: _p, vt: _v, ...older } = emptyAccumulator();
    const starts: StepAccumulator[] = [
      emptyAccumulator(),
      older as StepAccumulator,
      { ...emptyAccumulator(), vte: [500] } as StepAccumulator,
      { ...emptyAccumulator(), vte: [500], vtePlateau: [20], vtePeep: [5] },
      { ...emptyAccumulator(), vte: undefined, vtePlateau: undefined, vtePeep: undefined } as unknown as StepAccumulator,
    ];
    fc.assert(
      fc.property(fc.constantFrom(...starts), fc.array(sampleArb, { maxLength: 30 }), (start, samples) => {
        let a = start;
        let b = start;
        for (const s of samples) {
          a = accumulate(a, s);
          b = accumulateBefore(b, s);
          same(plainAcc(a), plainAcc(b));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('withSample keeps the step\'s keys and values, its window grown as before', () => {
    const base = initialContext({ protocol: defaultProtocol('staircase'), baseline: BASELINE });
    const windowMs = defaultProtocol('staircase').measureWindowS * 1000;
    fc.assert(
      fc.property(fc.array(sampleArb, { minLength: 1, maxLength: 20 }), (samples) => {
        let step: CurrentStep = { ...newStep('decremental', 'D1', { ...BASELINE }, windowMs), startedAt: 0 };
        for (const s of samples) {
          const ctx: ManeuverContext = { ...base, current: step, run: { ...base.run, startedAt: 0, history: null } };
          const got = withSample(ctx, s, 1).current!;
          same({ ...got, acc: plainAcc(got.acc) }, { ...step, acc: plainAcc(accumulateBefore(step.acc, s)) });
          step = got;
        }
      }),
      { numRuns: 200 },
    );
  });
});
