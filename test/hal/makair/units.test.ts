import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cmH2OToMmH2O, firmwareRoundCmH2O, mmH2OToCmH2O } from '../../../hal/makair/index.js';

describe('MakAir pressure units (mmH2O on the wire, cmH2O in the API)', () => {
  it('converts cmH2O to mmH2O at 0.1 cmH2O resolution', () => {
    expect(cmH2OToMmH2O(10)).toBe(100);
    expect(cmH2OToMmH2O(12.5)).toBe(125);
    expect(cmH2OToMmH2O(12.34)).toBe(123);
    expect(cmH2OToMmH2O(12.35)).toBe(124); // binary 12.35 * 10 = 123.49999999999999: not rounded down
    expect(cmH2OToMmH2O(0.1 + 0.2)).toBe(3);
    expect(cmH2OToMmH2O(0)).toBe(0);
  });

  it('rejects a non-finite pressure', () => {
    expect(() => cmH2OToMmH2O(Number.NaN)).toThrow(RangeError);
    expect(() => cmH2OToMmH2O(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('converts mmH2O to cmH2O exactly', () => {
    expect(mmH2OToCmH2O(125)).toBe(12.5);
    expect(mmH2OToCmH2O(300)).toBe(30);
  });

  it('round-trips every wire value', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), (mm) => cmH2OToMmH2O(mmH2OToCmH2O(mm)) === mm));
  });

  it('rounds like the firmware mmH2OtoCmH2O: last digit below 5 down, otherwise up', () => {
    expect(firmwareRoundCmH2O(120)).toBe(12);
    expect(firmwareRoundCmH2O(124)).toBe(12);
    expect(firmwareRoundCmH2O(125)).toBe(13);
    expect(firmwareRoundCmH2O(129)).toBe(13);
    expect(firmwareRoundCmH2O(0)).toBe(0);
    expect(firmwareRoundCmH2O(300)).toBe(30);
  });
});
