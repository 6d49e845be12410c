/**
 * Measurement validity into the guards: each state bit, special FLOAT values, unknown units
 * and INOPs make a field invalid (so `checkSample` drops it and the staleness clock runs from
 * the last valid value); demo/test data is refused; kPa converts; NBP never stands in for the
 * arterial line; ABP is preferred over ART.
 */
import { describe, expect, it } from 'vitest';
import { checkSample } from '../../../machines/safety/sample.js';
import { mapReadings, type NumericValue, type TechnicalAlarm } from '../../../hal/intellivue/index.js';

const num = (physioId: number, value: number | null, o: Partial<NumericValue> = {}): NumericValue => ({
  handle: 1,
  physioId,
  state: 0,
  unit: physioId === 0x4bb8 ? 0x0220 : physioId === 0x4182 || physioId === 0x4822 ? 0x0aa0 : 0x0f20,
  value,
  special: value === null ? 'NaN' : null,
  relTime: null,
  absTimeMs: null,
  ...o,
});

const ALL = [num(0x4bb8, 93), num(0x4a15, 112), num(0x4a17, 78), num(0x4182, 88)];

describe('mapReadings', () => {
  it('maps SpO2, ABP mean/sys and ECG HR when all are valid', () => {
    const r = mapReadings(ALL, [], 0);
    expect(r.sample).toEqual({ spo2Pct: 93, mapMmHg: 78, sbpMmHg: 112, hrBpm: 88 });
    expect(r.refused).toBeNull();
  });

  it.each([
    [0x8000, 'invalid'],
    [0x4000, 'questionable'],
    [0x2000, 'unavailable'],
    [0x1000, 'calibration ongoing'],
  ])('state %i marks the field invalid; checkSample drops it', (state, name) => {
    const r = mapReadings([num(0x4bb8, 93, { state }), num(0x4a17, 78)], [], 0);
    expect(r.sample.invalid).toEqual(['spo2Pct']);
    expect(r.reasons.spo2Pct).toContain(name);
    const checked = checkSample({ t: 1000, source: 'intellivue', ...r.sample }, 1000, 2000);
    expect(checked.ok && checked.sample.spo2Pct).toBe(undefined);
    expect(checked.ok && checked.sample.rejected).toEqual({ spo2Pct: 'marked-invalid' });
    expect(checked.ok && checked.sample.mapMmHg).toBe(78);
  });

  it.each([
    [0x0400, 'DEMO'],
    [0x0800, 'TEST'],
  ])('state %i is refused outright', (state, name) => {
    const r = mapReadings([num(0x4bb8, 93), num(0x4a17, 78, { state })], [], 0);
    expect(r.refused).toContain(name);
    expect(r.sample.invalid).toContain('mapMmHg');
  });

  it('a special FLOAT (NaN, NRes, INF) or an unknown unit is invalid, never a number', () => {
    const r = mapReadings([num(0x4bb8, null, { special: 'NRes' }), num(0x4a17, 78, { unit: 0x0500 }), num(0x4182, null, { special: '+INF' })], [], 0);
    expect(r.sample).toEqual({ invalid: ['spo2Pct', 'mapMmHg', 'hrBpm'] }); // a value in an unknown unit is not converted, not guessed
    expect(r.reasons).toMatchObject({ spo2Pct: 'value NRes', hrBpm: 'value +INF' });
    expect(r.reasons.mapMmHg).toMatch(/unit 0x500/);
  });

  it('converts kPa to mmHg', () => {
    const r = mapReadings([num(0x4a17, 10.4, { unit: 0x0f03 })], [], 0);
    expect(r.sample.mapMmHg).toBeCloseTo(78.01, 1);
  });

  it('an INOP on SpO2, the arterial line or the ECG marks its fields invalid even when a value is still sent', () => {
    const alarms: TechnicalAlarm[] = [
      { source: 0x4bb8, code: 308, type: 2, state: 0 },
      { source: 0x4a14, code: 336, type: 4, state: 0 },
      { source: 0x0102, code: 274, type: 2, state: 0 },
    ];
    const r = mapReadings(ALL, alarms, 0);
    expect(r.sample.invalid).toEqual(['spo2Pct', 'mapMmHg', 'sbpMmHg', 'hrBpm']);
    expect(r.reasons.spo2Pct).toMatch(/INOP sensor disconnected/);
    expect(r.reasons.mapMmHg).toMatch(/INOP transducer disconnected/);
    expect(r.reasons.hrBpm).toMatch(/INOP leads off/);
  });

  it('an INOP on a vital whose numeric is no longer sent is still recorded as invalid', () => {
    const r = mapReadings([num(0x4182, 88)], [{ source: 0x4bb8, code: 308, type: 2, state: 0 }], 0);
    expect(r.sample).toEqual({ hrBpm: 88, invalid: ['spo2Pct'] });
  });

  it('a field marked invalid without a value (NaN from the monitor) is still named as refused after the edge check, so the journal shows it', () => {
    const r = mapReadings([num(0x4bb8, null, { state: 0x8000 }), num(0x4a17, 78)], [{ source: 0x4bb8, code: 308, type: 2, state: 0 }], 0);
    expect(r.sample).toEqual({ mapMmHg: 78, invalid: ['spo2Pct'] });
    const checked = checkSample({ t: 1000, source: 'intellivue', ...r.sample }, 1000, 2000);
    expect(checked.ok && checked.sample.rejected).toEqual({ spo2Pct: 'marked-invalid' });
    expect(checked.ok && checked.sample.spo2Pct).toBeUndefined();
  });

  it('physiological alarms (not INOPs) do not invalidate values', () => {
    const r = mapReadings(ALL, [{ source: 0x4bb8, code: 3246, type: 1024, state: 0 }], 0);
    expect(r.sample.invalid).toBeUndefined();
  });

  it('NBP never stands in for a missing or invalid arterial line', () => {
    const nbp = [num(0x4a05, 120), num(0x4a07, 85, { absTimeMs: 123 })];
    const none = mapReadings([num(0x4bb8, 93), ...nbp], [], 0);
    expect(none.sample.mapMmHg).toBeUndefined();
    expect(none.sample.sbpMmHg).toBeUndefined();
    expect(none.other.nbp).toEqual({ sysMmHg: 120, meanMmHg: 85, absTimeMs: 123 });
    const bad = mapReadings([num(0x4a17, 78, { state: 0x8000 }), num(0x4a15, 100, { state: 0x8000 }), ...nbp], [], 0);
    expect(bad.sample).toEqual({ mapMmHg: 78, sbpMmHg: 100, invalid: ['mapMmHg', 'sbpMmHg'] });
  });

  it('an arterial pressure without a pulse pressure (flush, clotted or damped line) is invalid', () => {
    const r = mapReadings([num(0x4a15, 300), num(0x4a16, 298), num(0x4a17, 299)], [], 0);
    expect(r.sample.invalid).toEqual(['mapMmHg', 'sbpMmHg']);
    expect(mapReadings([num(0x4a15, 112), num(0x4a16, 62), num(0x4a17, 78)], [], 0).sample.invalid).toBeUndefined();
  });

  it('prefers ABP over ART; uses ART when there is no ABP', () => {
    expect(mapReadings([num(0x4a13, 70), num(0x4a17, 78)], [], 0).sample.mapMmHg).toBe(78);
    expect(mapReadings([num(0x4a13, 70), num(0x4a11, 101)], [], 0).sample).toEqual({ mapMmHg: 70, sbpMmHg: 101 });
  });

  it('the sample is as old as its oldest valid value (relative time stamps, 1/8 ms)', () => {
    const r = mapReadings([num(0x4bb8, 93, { relTime: 8000 }), num(0x4a17, 78, { relTime: 4000 })], [], 8000 + 8 * 300);
    expect(r.ageMs).toBe(800);
  });
});
