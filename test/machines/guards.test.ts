import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SAFETY,
  evaluateClock,
  evaluateSample,
  hrAboveMax,
  hrBelowMin,
  mapBelowFloor,
  mapFallExceeded,
  peakAboveLimit,
  checkSample,
  sbpBelowFloor,
  spo2BelowFloor,
  spo2FallExceeded,
  staleValue,
  emptyLatest,
  type BaselineVitals,
  type MonitorSample,
} from '../../machines/index.js';

const staleVital = staleValue;
const vitalsStale = (...a: Parameters<typeof staleValue>) => staleValue(...a) !== null;
const sanitize = (raw: MonitorSample) => {
  const r = checkSample(raw, raw.t, 0);
  if (!r.ok) throw new Error('rejected');
  const { checked: _c, rejected, ...sample } = r.sample;
  return { sample, dropped: Object.keys(rejected ?? {}) };
};

const baseline: BaselineVitals = { spo2Pct: 94, mapMmHg: 80, sbpMmHg: 120, hrBpm: 90, complianceMlPerCmH2O: 33 };
const input = (s: Partial<MonitorSample>) => ({
  sample: { checked: true as const, t: 0, source: 'test', ...s },
  baseline,
  safety: DEFAULT_SAFETY,
  peakLimitCmH2O: 55,
});

describe('safety guards (defaults: MAP 60 / 20%, SBP 80, SpO2 85 / 5 pts, HR 60-140, peak 55+5)', () => {
  it('mapBelowFloor fires strictly below the floor', () => {
    expect(mapBelowFloor(input({ mapMmHg: 59.9 }))).toBe(true);
    expect(mapBelowFloor(input({ mapMmHg: 60 }))).toBe(false);
    expect(mapBelowFloor(input({}))).toBe(false);
  });
  it('mapFallExceeded fires when MAP falls more than 20% below baseline', () => {
    expect(mapFallExceeded(input({ mapMmHg: 64 }))).toBe(false); // exactly 20%
    expect(mapFallExceeded(input({ mapMmHg: 63.9 }))).toBe(true);
    expect(mapFallExceeded({ ...input({ mapMmHg: 10 }), baseline: { ...baseline, mapMmHg: 0 } })).toBe(false);
  });
  it('sbpBelowFloor fires below 80', () => {
    expect(sbpBelowFloor(input({ sbpMmHg: 79 }))).toBe(true);
    expect(sbpBelowFloor(input({ sbpMmHg: 80 }))).toBe(false);
  });
  it('spo2BelowFloor fires below 85', () => {
    expect(spo2BelowFloor(input({ spo2Pct: 84 }))).toBe(true);
    expect(spo2BelowFloor(input({ spo2Pct: 85 }))).toBe(false);
  });
  it('spo2FallExceeded fires when SpO2 falls more than 5 points below baseline', () => {
    expect(spo2FallExceeded(input({ spo2Pct: 89 }))).toBe(false);
    expect(spo2FallExceeded(input({ spo2Pct: 88.9 }))).toBe(true);
  });
  it('heart rate guards fire outside 60-140', () => {
    expect(hrBelowMin(input({ hrBpm: 59 }))).toBe(true);
    expect(hrBelowMin(input({ hrBpm: 60 }))).toBe(false);
    expect(hrAboveMax(input({ hrBpm: 141 }))).toBe(true);
    expect(hrAboveMax(input({ hrBpm: 140 }))).toBe(false);
  });
  it('peakAboveLimit fires above protocol limit + tolerance', () => {
    expect(peakAboveLimit(input({ peakCmH2O: 60 }))).toBe(false);
    expect(peakAboveLimit(input({ peakCmH2O: 60.1 }))).toBe(true);
  });
  it('evaluateSample returns every violation in table order with its reason', () => {
    const v = evaluateSample(input({ mapMmHg: 50, spo2Pct: 80, peakCmH2O: 63 }));
    expect(v.map((x) => x.guard)).toEqual(['mapBelowFloor', 'mapFallExceeded', 'spo2BelowFloor', 'spo2FallExceeded', 'peakAboveLimit']);
    expect(v[0]?.reason).toBe('hypotension');
    expect(v[2]?.reason).toBe('desaturation');
    expect(v[4]?.reason).toBe('overdistention');
    // The critical limits come first in the table: they name the abort when several fire.
    expect(evaluateSample(input({ mapMmHg: 45, spo2Pct: 75, hrBpm: 0, peakCmH2O: 70 })).map((x) => x.guard).slice(0, 4)).toEqual(['spo2Critical', 'mapCritical', 'hrCritical', 'peakCritical']);
    expect(evaluateSample(input({ mapMmHg: 78, spo2Pct: 93, hrBpm: 90, sbpMmHg: 110, peakCmH2O: 50 }))).toEqual([]);
  });
});

describe('stale-vitals watchdog', () => {
  const latest = { ...emptyLatest(), spo2Pct: 94, spo2At: 1000, mapMmHg: 78, mapAt: 2000 };
  it('reports missing vitals', () => {
    expect(staleVital(0, emptyLatest(), DEFAULT_SAFETY)).toBe('spo2');
    expect(vitalsStale(0, emptyLatest(), DEFAULT_SAFETY)).toBe(true);
  });
  it('fires when a vital is older than vitalsStaleS', () => {
    expect(vitalsStale(11_000, latest, DEFAULT_SAFETY)).toBe(false);
    expect(staleVital(11_001, latest, DEFAULT_SAFETY)).toBe('spo2');
    expect(staleVital(12_001, { ...latest, spo2At: 12_000 }, DEFAULT_SAFETY)).toBe('map');
    expect(evaluateClock(11_001, latest, DEFAULT_SAFETY)?.message).toMatch(/no fresh SpO2 for 10\.0 s/);
    expect(evaluateClock(0, emptyLatest(), DEFAULT_SAFETY)?.message).toBe('no SpO2 received');
  });
});

describe('checkSample (raw -> plausible)', () => {
  it('drops implausible and non-finite values so they never count as fresh', () => {
    const { sample, dropped } = sanitize({ t: 5, source: 'x', spo2Pct: 0, mapMmHg: Number.NaN, hrBpm: 88, peakCmH2O: 999 });
    expect(sample).toEqual({ t: 5, source: 'x', hrBpm: 88 });
    // HR 0 is not implausible: it is asystole or ECG leads off, and must reach the guards.
    expect(sanitize({ t: 5, source: 'x', hrBpm: 0 }).sample).toEqual({ t: 5, source: 'x', hrBpm: 0 });
    expect(dropped.sort()).toEqual(['mapMmHg', 'peakCmH2O', 'spo2Pct']);
  });
});

describe('guard boundaries and explanations', () => {
  it('every rule names its guard and explains itself with the value and the limit', () => {
    const v = (s: Partial<MonitorSample>) => evaluateSample(input(s)).map((x) => `${x.guard}: ${x.message}`);
    expect(v({ mapMmHg: 59 })).toEqual(['mapBelowFloor: MAP 59 mmHg below 60', 'mapFallExceeded: MAP 59 mmHg fell more than 20% from baseline 80']);
    expect(v({ sbpMmHg: 79 })).toEqual(['sbpBelowFloor: SBP 79 mmHg below 80']);
    expect(v({ spo2Pct: 84 })).toEqual(['spo2BelowFloor: SpO2 84% below 85', 'spo2FallExceeded: SpO2 84% fell more than 5 points from baseline 94']);
    expect(v({ hrBpm: 59 })).toEqual(['hrBelowMin: HR 59/min below 60']);
    expect(v({ hrBpm: 141 })).toEqual(['hrAboveMax: HR 141/min above 140']);
    expect(v({ peakCmH2O: 61 })).toEqual(['peakAboveLimit: peak pressure 61 cmH2O above limit 55 + 5']);
  });

  it('a non-positive baseline MAP never makes the fall guard fire', () => {
    expect(mapFallExceeded({ ...input({ mapMmHg: 70 }), baseline: { ...baseline, mapMmHg: -10 } })).toBe(false);
  });

  it('MAP exactly vitalsStaleS old is still fresh; the clock check names the stale vital', () => {
    const latest = { ...emptyLatest(), spo2Pct: 94, spo2At: 5000, mapMmHg: 78, mapAt: 1000 };
    expect(staleVital(11_000, latest, DEFAULT_SAFETY)).toBeNull();
    expect(staleVital(11_001, latest, DEFAULT_SAFETY)).toBe('map');
    expect(evaluateClock(11_001, latest, DEFAULT_SAFETY)?.message).toBe('no fresh MAP for 10.0 s (limit 10 s)');
    expect(evaluateClock(0, { ...latest, mapAt: null, mapMmHg: null }, DEFAULT_SAFETY)?.message).toBe('no MAP received');
  });

  it('plausible ranges include their ends', () => {
    expect(sanitize({ t: 0, source: 's', spo2Pct: 1, mapMmHg: 250 }).sample).toEqual({ t: 0, source: 's', spo2Pct: 1, mapMmHg: 250 });
    expect(sanitize({ t: 0, source: 's', spo2Pct: 100, hrBpm: 300 }).dropped).toEqual([]);
  });
});
