import { describe, expect, it } from 'vitest';
import { blocks, checkPreconditions, DEFAULT_SAFETY, emptyLatest, type LatestValues } from '../../machines/index.js';
import { BASELINE } from '../support/driver.js';

const fresh: LatestValues = { ...emptyLatest(), spo2Pct: 94, spo2At: 10_000, mapMmHg: 78, mapAt: 10_000, sbpMmHg: 115, hrBpm: 90, peakCmH2O: 25, peakAt: 10_000, peepCmH2O: 10, peepAt: 10_000 };
const check = (over: Partial<Parameters<typeof checkPreconditions>[0]> = {}) =>
  checkPreconditions({ now: 10_000, latest: fresh, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55, fault: null, ...over });
const messages = (over: Partial<Parameters<typeof checkPreconditions>[0]> = {}) => check(over).map((i) => `${i.code}/${i.severity}: ${i.message}`);

describe('preconditions', () => {
  it('pass with fresh, normal vitals and a sane baseline', () => {
    expect(check()).toEqual([]);
    expect(blocks(check())).toBe(false);
  });

  it('name the missing vital', () => {
    expect(messages({ latest: { ...fresh, spo2Pct: null, spo2At: null } })).toEqual(['vitals-missing/block: no SpO2 received yet']);
    expect(messages({ latest: { ...fresh, mapMmHg: null, mapAt: null } })).toEqual(['vitals-missing/block: no MAP received yet']);
    expect(messages({ latest: emptyLatest() })).toEqual([
      'vitals-missing/block: no SpO2 and MAP received yet',
      'ventilator-measurements-missing/block: the ventilator has reported no measured peak pressure and PEEP: the overdistention and delivery checks would be blind',
    ]);
  });

  it('block stale vitals, saying how old they are (exactly the limit is still fresh)', () => {
    expect(check({ now: 20_000 })).toEqual([]);
    expect(messages({ now: 22_000 })).toEqual([
      'vitals-stale/block: SpO2 is 12.0 s old (limit 10 s)',
      'vitals-stale/block: MAP is 12.0 s old (limit 10 s)',
    ]);
    expect(messages({ now: 21_000, latest: { ...fresh, spo2At: 20_000 } })).toEqual(['vitals-stale/block: MAP is 11.0 s old (limit 10 s)']);
  });

  it('check every baseline setting against its sane range, boundaries included', () => {
    expect(check({ baseline: { ...BASELINE, peepCmH2O: 0 } })).toEqual([]);
    expect(check({ baseline: { ...BASELINE, peepCmH2O: 20 } })).toEqual([]);
    expect(messages({ baseline: { ...BASELINE, peepCmH2O: -1 } })).toEqual(['baseline-out-of-range/block: baseline PEEP -1 outside 0-20 cmH2O']);
    expect(messages({ baseline: { ...BASELINE, peepCmH2O: 21 } })).toEqual(['baseline-out-of-range/block: baseline PEEP 21 outside 0-20 cmH2O']);
    expect(check({ baseline: { ...BASELINE, peakCmH2O: 40 } })).toEqual([]);
    expect(check({ baseline: { ...BASELINE, peakCmH2O: 10 } })).toEqual([]);
    expect(messages({ baseline: { ...BASELINE, peakCmH2O: 9 } })).toEqual(['baseline-out-of-range/block: baseline peak 9 outside PEEP-40 cmH2O']);
    expect(messages({ baseline: { ...BASELINE, peakCmH2O: 41 } })).toEqual(['baseline-out-of-range/block: baseline peak 41 outside PEEP-40 cmH2O']);
    expect(check({ baseline: { ...BASELINE, fio2: 0.21 } })).toEqual([]);
    expect(check({ baseline: { ...BASELINE, fio2: 1 } })).toEqual([]);
    expect(messages({ baseline: { ...BASELINE, fio2: 0.2 } })).toEqual(['baseline-out-of-range/block: baseline FiO2 0.2 outside 0.21-1']);
    expect(messages({ baseline: { ...BASELINE, fio2: 1.01 } })).toEqual(['baseline-out-of-range/block: baseline FiO2 1.01 outside 0.21-1']);
    expect(check({ baseline: { ...BASELINE, rateBpm: 0 } })).toEqual([]);
    expect(check({ baseline: { ...BASELINE, rateBpm: 40 } })).toEqual([]);
    expect(messages({ baseline: { ...BASELINE, rateBpm: -1 } })).toEqual(['baseline-out-of-range/block: baseline rate -1 outside 0-40 /min']);
    expect(messages({ baseline: { ...BASELINE, rateBpm: 41 } })).toEqual(['baseline-out-of-range/block: baseline rate 41 outside 0-40 /min']);
  });

  it('block vitals already beyond a guard, SBP and HR included', () => {
    expect(messages({ latest: { ...fresh, sbpMmHg: 75 } })).toEqual(['vitals-violate-guard/block: SBP 75 mmHg below 80 before the start (sbpBelowFloor)']);
    expect(messages({ latest: { ...fresh, hrBpm: 150 } })).toEqual(['vitals-violate-guard/block: HR 150/min above 140 before the start (hrAboveMax)']);
    expect(messages({ latest: { ...fresh, spo2Pct: 84 } })).toEqual(['vitals-violate-guard/block: SpO2 84% below 85 before the start (spo2BelowFloor)']);
  });

  it('warn (or block, when configured) when SpO2 is too high to show derecruitment; the ceiling itself is fine', () => {
    expect(check({ latest: { ...fresh, spo2Pct: 97 } })).toEqual([]);
    expect(messages({ latest: { ...fresh, spo2Pct: 98 } })).toEqual([
      'spo2-too-high-to-detect-derecruitment/warn: baseline SpO2 98% above 97%: derecruitment may not show; lower FiO2 for SpO2 90-92% first',
    ]);
    expect(check({ latest: { ...fresh, spo2Pct: 98 }, safety: { ...DEFAULT_SAFETY, blockOnHighBaselineSpo2: true } })[0]?.severity).toBe('block');
  });

  it('block after a device fault, naming it', () => {
    expect(messages({ fault: { code: 'link-lost', message: 'no telemetry' } })).toEqual(['device-fault/block: device fault before start: link-lost (no telemetry)']);
  });
});
