/**
 * The edge check of a raw sample (src/runner/sampleSchema.ts): its quick path for plain objects
 * must give exactly zod's answer (issue 20, third pass): accepted or not, the same sample with
 * the same keys in the same order, the same problems. Compared on generated inputs, valid ones
 * and every way of being almost valid.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAMPLE_FIELDS } from '../../machines/index.js';
import { toProblems, describeProblem } from '../../common/validation.js';
import { checkSampleShape, MonitorSampleSchema } from '../../src/runner/sampleSchema.js';

/** zod alone: what checkSampleShape answered before the quick path. */
function zodOnly(input: unknown): { sample: unknown } | { problems: string } {
  const r = MonitorSampleSchema.safeParse(input);
  if (r.success) return { sample: r.data };
  return { problems: toProblems(r.error, input).map(describeProblem).join('; ') };
}

function expectSame(input: unknown): void {
  const a = checkSampleShape(input);
  const b = zodOnly(input);
  expect(a).toStrictEqual(b);
  if ('sample' in a && 'sample' in b) {
    expect(Object.keys(a.sample)).toEqual(Object.keys(b.sample as object));
    expect(a.sample).not.toBe(input); // a new object, as zod's
  }
}

const anyValue = fc.oneof(
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  fc.integer(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, undefined, null, '', 'x', '12', true, [], {}),
  fc.string({ maxLength: 70 }),
);
const goodNumber = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer(), fc.constant(-0));
const invalidList = fc.oneof(
  fc.array(fc.constantFrom(...SAMPLE_FIELDS), { maxLength: 12 }),
  fc.array(fc.oneof(fc.constantFrom(...SAMPLE_FIELDS), fc.constantFrom('nope', 'SPO2PCT', 3, null)), { maxLength: 4 }),
  fc.constantFrom(undefined, 'spo2Pct', null, {}),
);

/** A sample as a source sends it: some fields, in any key order, sometimes broken in one place. */
const rawSample = fc
  .record(
    {
      t: fc.oneof(goodNumber, anyValue),
      source: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom('', 'x'.repeat(65), 'monitor'), anyValue),
      ...Object.fromEntries(SAMPLE_FIELDS.map((f) => [f, fc.oneof({ weight: 4, arbitrary: goodNumber }, { weight: 1, arbitrary: anyValue })])),
      invalid: invalidList,
      extra: anyValue,
    },
    { requiredKeys: [] },
  )
  .chain((r) => fc.shuffledSubarray(Object.keys(r), { minLength: Object.keys(r).length }).map((order) => Object.fromEntries(order.map((k) => [k, (r as Record<string, unknown>)[k]]))));

describe('the edge check of a sample: the quick path answers as zod', () => {
  it('on generated inputs, valid and almost valid', () => {
    fc.assert(
      fc.property(rawSample, (raw) => expectSame(raw)),
      { numRuns: 3000 },
    );
  });

  it('on valid samples only (the quick path itself), in any key order', () => {
    const valid = fc
      .record(
        {
          t: goodNumber,
          source: fc.string({ minLength: 1, maxLength: 64 }),
          ...Object.fromEntries(SAMPLE_FIELDS.map((f) => [f, fc.option(goodNumber, { nil: undefined })])),
          invalid: fc.option(fc.array(fc.constantFrom(...SAMPLE_FIELDS), { maxLength: SAMPLE_FIELDS.length }), { nil: undefined }),
        },
        { requiredKeys: ['t', 'source'] },
      )
      .chain((r) => fc.shuffledSubarray(Object.keys(r), { minLength: Object.keys(r).length }).map((order) => Object.fromEntries(order.map((k) => [k, (r as Record<string, unknown>)[k]]))));
    fc.assert(
      fc.property(valid, (raw) => {
        expectSame(raw);
        expect('sample' in checkSampleShape(raw)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('on what is not a plain object, inherited and symbol keys, and the limits', () => {
    const base = { t: 1000, source: 'monitor', spo2Pct: 95 };
    const inherited = Object.assign(Object.create({ mapMmHg: 70 }) as object, base);
    const inheritedUnknown = Object.assign(Object.create({ colour: 'red' }) as object, base);
    const nullProto = Object.assign(Object.create(null) as object, base);
    class Sample {
      t = 1000;
      source = 'monitor';
    }
    const withGetter = Object.defineProperty({ ...base }, 'mapMmHg', { enumerable: true, get: () => 71 });
    const hidden = Object.defineProperty({ ...base }, 'extra', { enumerable: false, value: 1 });
    const cases: unknown[] = [
      null, undefined, 0, 'sample', [], [base], new Date(0), new Map(), inherited, inheritedUnknown, nullProto, new Sample(), withGetter, hidden,
      { ...base, [Symbol('s')]: 1 },
      { ...base, source: 'x'.repeat(64) }, { ...base, source: 'x'.repeat(65) }, { ...base, source: '' },
      { ...base, t: Number.MAX_VALUE }, { ...base, t: Number.POSITIVE_INFINITY }, { ...base, t: undefined }, { source: 'm' }, { t: 1 },
      { ...base, invalid: [...SAMPLE_FIELDS] }, { ...base, invalid: [...SAMPLE_FIELDS, 'spo2Pct'] }, { ...base, invalid: [, 'spo2Pct'] }, // eslint-disable-line no-sparse-arrays
      { ...base, spo2Pct: undefined, invalid: undefined }, { ...base, spo2Pct: '95' }, { ...base, hrBpm: null },
      { ...base, __proto__: { t: 2 } }, JSON.parse('{"t": 1, "source": "m", "__proto__": 5}'),
    ];
    for (const c of cases) expectSame(c);
  });
});
