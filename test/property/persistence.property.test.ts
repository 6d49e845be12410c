/**
 * Alarm-condition delays (issue 13), as properties over the built machine:
 *  - any stream mixing plausible samples with artifact bursts no longer than a rule's
 *    persistence never aborts the maneuver;
 *  - any sustained violation aborts, for its reason, within the persistence plus one sample
 *    period (the delivery check: after the step's settle time).
 * Samples arrive once a second, as from a bedside monitor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SAFETY, type AbortReason } from '../../machines/index.js';
import { Driver, type Vitals } from '../support/driver.js';

type Kind = 'spo2' | 'map' | 'sbp' | 'hr-low' | 'hr-high' | 'peak' | 'peep';

const S = DEFAULT_SAFETY;
/** Per kind: the reason it aborts for, its alarm delay (s) and violating values that stay above the critical limits. */
const KINDS: Record<Kind, { reason: AbortReason; delayS: number; values: fc.Arbitrary<Vitals> }> = {
  spo2: { reason: 'desaturation', delayS: S.persistenceS.desaturation, values: fc.integer({ min: 80, max: 84 }).map((v) => ({ spo2Pct: v })) },
  map: { reason: 'hypotension', delayS: S.persistenceS.hypotension, values: fc.integer({ min: 50, max: 59 }).map((v) => ({ mapMmHg: v })) },
  sbp: { reason: 'hypotension', delayS: S.persistenceS.hypotension, values: fc.integer({ min: 60, max: 79 }).map((v) => ({ sbpMmHg: v })) },
  'hr-low': { reason: 'heart-rate', delayS: S.persistenceS.heartRate, values: fc.integer({ min: 30, max: 59 }).map((v) => ({ hrBpm: v })) },
  'hr-high': { reason: 'heart-rate', delayS: S.persistenceS.heartRate, values: fc.integer({ min: 141, max: 220 }).map((v) => ({ hrBpm: v })) },
  peak: { reason: 'overdistention', delayS: S.persistenceS.overdistention, values: fc.integer({ min: 61, max: 65 }).map((v) => ({ peakCmH2O: v })) },
  // The hold is PEEP 25: a leak or a stuck valve moves the measured PEEP by more than 3 cmH2O.
  peep: { reason: 'delivery-mismatch', delayS: S.delivery.persistenceS, values: fc.oneof(fc.integer({ min: 5, max: 21 }), fc.integer({ min: 29, max: 40 })).map((v) => ({ peepCmH2O: v })) },
};
const kind = fc.constantFrom(...(Object.keys(KINDS) as Kind[]));

/** High-pressure PCV (PEEP 25 / peak 40), held 180 s: a running step to fill with artifacts. */
async function inHold(): Promise<Driver> {
  const d = new Driver('high-pressure-pcv', { protocol: { holdS: 180 } });
  d.start();
  await d.runUntilState('active.highPressure.dwelling');
  return d;
}

/** One sample a second for `seconds`, with `values` over the faithful defaults. */
async function samples(d: Driver, seconds: number, values: Vitals): Promise<void> {
  for (let i = 0; i < seconds && !d.state.startsWith('abort'); i++) {
    d.now += 1000;
    d.sample(values);
    d.tick();
    await Promise.resolve();
  }
}

describe('alarm-condition delays (fast-check)', () => {
  it('artifact bursts no longer than the persistence never abort', async () => {
    const burst = kind.chain((k) =>
      fc.record({
        kind: fc.constant(k),
        values: KINDS[k].values,
        // k samples 1 s apart span k - 1 s: at most the persistence.
        samples: fc.integer({ min: 1, max: KINDS[k].delayS + 1 }),
        gap: fc.integer({ min: 1, max: 8 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(burst, { minLength: 1, maxLength: 10 }), async (bursts) => {
        const d = await inHold();
        // Past the settle time, so the delivery check is live for PEEP bursts too.
        await samples(d, S.delivery.settleS, {});
        for (const b of bursts) {
          await samples(d, b.samples, b.values);
          await samples(d, b.gap, {});
        }
        expect(d.context.abort, JSON.stringify(d.context.abort)).toBeNull();
        expect(d.state).toBe('active.highPressure.dwelling');
      }),
      { numRuns: 60 },
    );
  });

  it('a sustained violation aborts for its reason within the persistence plus one sample period', async () => {
    await fc.assert(
      fc.asyncProperty(kind, fc.integer({ min: 0, max: 60 }), fc.nat(), async (k, waitS, pick) => {
        const d = await inHold();
        await samples(d, S.delivery.settleS + waitS, {});
        const values = fc.sample(KINDS[k].values, { numRuns: 1, seed: pick })[0]!;
        const from = d.now + 1000;
        await samples(d, KINDS[k].delayS + 5, values);
        expect(d.state).toMatch(/^abort/);
        expect(d.context.abort?.reason).toBe(KINDS[k].reason);
        expect(d.context.abort!.at - from).toBeLessThanOrEqual((KINDS[k].delayS + 1) * 1000);
        expect(d.context.abort!.at - from).toBeGreaterThan(KINDS[k].delayS * 1000 - 1);
      }),
      { numRuns: 60 },
    );
  });
});
