import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alveolarPo2MmHg, arterialPo2MmHg, o2ContentMlPerDl, po2ForContentMmHg, severinghausPo2MmHg, severinghausSaturation } from '../../sim/oxygen.js';

const ISO = { hb: 12, avDiff: 3.5, paco2: 40, rq: 0.8, pb: 760 };
const pao2 = (shunt: number, fio2: number): number => arterialPo2MmHg(shunt, alveolarPo2MmHg(fio2, ISO.paco2, ISO.rq, ISO.pb), ISO.hb, ISO.avDiff);

describe('oxygen: alveolar gas, Severinghaus, shunt equation', () => {
  it('alveolar gas equation: FiO2 0.6, PaCO2 40, RQ 0.8 at sea level gives 383.8 mmHg', () => {
    expect(alveolarPo2MmHg(0.6, 40, 0.8, 760)).toBeCloseTo(0.6 * 713 - 40 * (0.6 + 0.4 / 0.8), 6);
    expect(alveolarPo2MmHg(0.21, 40, 0.8, 760)).toBeCloseTo(0.21 * 713 - 40 * (0.21 + 0.79 / 0.8), 6);
  });

  it('Severinghaus 1979: P50 ~26.9 mmHg, 60 mmHg -> ~90.6%, 100 mmHg -> ~97.7%', () => {
    expect(severinghausSaturation(26.9)).toBeCloseTo(0.5, 2);
    expect(100 * severinghausSaturation(60)).toBeCloseTo(90.6, 1);
    expect(100 * severinghausSaturation(100)).toBeCloseTo(97.7, 0);
    expect(severinghausSaturation(0)).toBe(0);
  });

  it('iso-shunt check (Hb 12, a-v 3.5 mL/dL, PaCO2 40): shunt 30% / FiO2 0.6 -> PaO2 ~85 mmHg within 10%', () => {
    expect(pao2(0.3, 0.6)).toBeGreaterThan(85 * 0.9);
    expect(pao2(0.3, 0.6)).toBeLessThan(85 * 1.1);
  });

  it('iso-shunt check: shunt 10% / FiO2 0.6 -> PaO2 ~263 mmHg within 10%', () => {
    expect(pao2(0.1, 0.6)).toBeGreaterThan(263 * 0.9);
    expect(pao2(0.1, 0.6)).toBeLessThan(263 * 1.1);
  });

  it('inverts Severinghaus exactly (Cardano), to a relative 1e-8', () => {
    // Exact up to double rounding. Near PO2 600 the curve is flat (1 - S is about 1e-4), so
    // rounding S to a double moves the inverse by up to ~1e-9 of PO2 (2,000,000 draws: worst
    // 9.7e-10 at 591 mmHg). An absolute tolerance of 5e-7 mmHg failed there once in CI.
    fc.assert(
      fc.property(fc.double({ min: 1, max: 600, noNaN: true }), (po2) => {
        expect(Math.abs(severinghausPo2MmHg(severinghausSaturation(po2)) - po2)).toBeLessThanOrEqual(1e-8 * po2);
      }),
    );
    expect(severinghausPo2MmHg(0)).toBe(0);
  });

  it('content inversion is exact: C(PO2(C)) = C', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 600, noNaN: true }), fc.double({ min: 6, max: 18, noNaN: true }), (po2, hb) => {
        const c = o2ContentMlPerDl(po2, hb);
        expect(po2ForContentMmHg(c, hb, 700)).toBeCloseTo(po2, 4);
      }),
    );
  });

  it('PaO2 falls as the shunt rises and rises with FiO2 (never above alveolar PO2)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.double({ min: 0.01, max: 0.3, noNaN: true }),
        fc.double({ min: 0.21, max: 0.9, noNaN: true }),
        (shunt, dShunt, fio2) => {
          expect(pao2(shunt + dShunt, fio2)).toBeLessThan(pao2(shunt, fio2));
          expect(pao2(shunt, Math.min(1, fio2 + 0.1))).toBeGreaterThan(pao2(shunt, fio2));
          expect(pao2(shunt, fio2)).toBeLessThanOrEqual(alveolarPo2MmHg(fio2, ISO.paco2, ISO.rq, ISO.pb) + 1e-9);
        },
      ),
    );
  });
});
