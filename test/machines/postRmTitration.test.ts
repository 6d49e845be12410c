/**
 * Issue 15, item 7: after a single-step RM (sustained inflation, high-pressure PCV) the protocol
 * can hand over to the decremental titration: the FiO2 step and the decremental PEEP trial of the
 * staircase (its methods, limits and fallback ladder) instead of ending at baseline / baseline + X.
 */
import { describe, expect, it } from 'vitest';
import { planOf, ProtocolSchema } from '../../machines/index.js';
import { BASELINE, Driver } from '../support/driver.js';

const spo2ForPeep = (peep: number, state: string): number => (state.includes('decremental') && peep <= 17.5 ? 91 : 95);

async function run(d: Driver, spo2: (peep: number, state: string) => number): Promise<void> {
  d.start();
  await d.run(60 * 60_000, {
    until: (x) => {
      x.vitals.spo2Pct = spo2(x.context.current?.settings.peepCmH2O ?? 10, x.state);
      return x.state === 'completed' || x.snapshot.status === 'done';
    },
  });
}

describe.each(['sustained-inflation', 'high-pressure-pcv'] as const)('%s with postRmPeep titration', (maneuver) => {
  it('runs the RM, then the FiO2 step and the decremental trial, and sets the titrated PEEP within the limits', async () => {
    const d = new Driver(maneuver, { protocol: { postRmPeep: { mode: 'titration' } } });
    await run(d, (peep, state) => (state.includes('fio2') && (d.context.current?.settings.fio2 ?? 1) <= 0.5 ? 91 : spo2ForPeep(peep, state)));
    expect(d.state).toBe('completed');
    const phases = [...new Set(d.context.steps.map((s) => s.phase))];
    expect(phases).toEqual(['baseline', maneuver === 'sustained-inflation' ? 'inflation' : 'high-pressure', 'fio2', 'decremental', 're-recruit', 'final']);
    expect(d.context.steps.filter((s) => s.phase === 'decremental').map((s) => s.settings.peepCmH2O)).toEqual([25, 22.5, 20, 17.5]);
    const t = d.context.titration;
    expect(t.derecruitmentPeepCmH2O).toBe(17.5);
    expect(t.finalPeepCmH2O).toBe(20);
    expect(t.decidedBy).toBe('spo2');
    expect(t.methods?.map((m) => m.method)).toEqual(['spo2', 'compliance', 'driving-pressure']);
    expect(t.limitsMeasured?.within).toBe(true);
    expect(d.lastCommand?.purpose).toBe('final');
    expect(d.lastCommand?.settings).toMatchObject({ mode: BASELINE.mode, peepCmH2O: 20, fio2: BASELINE.fio2 });
  });

  it('the fallback ladder applies: a desaturation in the decremental phase re-recruits and sets the last PEEP that held', async () => {
    // Vt 380 mL: at PEEP 22.5 the driver's lung (52.5 mL/cmH2O) has a plateau of 29.7, within 30.
    const d = new Driver(maneuver, { baseline: { ...BASELINE, tidalVolumeMl: 380 }, protocol: { postRmPeep: { mode: 'titration' }, decrementalTitration: { fio2Titration: { enabled: false } } } });
    d.start();
    await d.run(60 * 60_000, {
      until: (x) => {
        x.vitals.spo2Pct = x.state.includes('decremental') && (x.context.current?.settings.peepCmH2O ?? 25) <= 20 ? 84 : 95;
        return x.state === 'completed' || x.snapshot.status === 'done';
      },
    });
    expect(d.state).toBe('completed');
    expect(d.context.titration.fallback?.atPeepCmH2O).toBe(20);
    expect(d.context.steps.some((s) => s.phase === 're-recruit')).toBe(true);
    expect(d.context.titration.finalPeepCmH2O).toBe(22.5);
  });

  it('its own titration settings apply (decrementalTitration), validated with clear errors', () => {
    const d = new Driver(maneuver, { protocol: { postRmPeep: { mode: 'titration' }, decrementalTitration: { decremental: { startPeepCmH2O: 20, stepCmH2O: 5, floorPeepCmH2O: 10 } } } });
    const plan = planOf(d.protocol, BASELINE);
    expect(plan.filter((s) => s.phase === 'decremental').map((s) => s.peepCmH2O)).toEqual([20, 15, 10]);
    expect(plan.map((s) => s.phase)).not.toContain('assessment');
    const bad = ProtocolSchema.safeParse({ maneuver, postRmPeep: { mode: 'titration' }, decrementalTitration: { decremental: { startPeepCmH2O: 15, floorPeepCmH2O: 15 } } });
    expect(bad.error?.issues[0]).toMatchObject({ path: ['decrementalTitration', 'decremental', 'startPeepCmH2O'], message: expect.stringMatching(/above decremental.floorPeepCmH2O \(15/) });
    const mode = ProtocolSchema.safeParse({ maneuver, postRmPeep: { mode: 'titrate' } });
    expect(mode.error?.issues[0]).toMatchObject({ path: ['postRmPeep', 'mode'], message: 'must be baseline, baseline-plus or titration (got "titrate")' });
    // Not in titration mode, the titration settings are not checked against the protocol (they are not used).
    expect(ProtocolSchema.safeParse({ maneuver, decrementalTitration: { decremental: { startPeepCmH2O: 35 }, drivingPressureCmH2O: 25 } }).success).toBe(true);
  });

  it('baseline mode still ends at the baseline after the RM', async () => {
    const d = new Driver(maneuver);
    await run(d, () => 95);
    expect(d.context.steps.map((s) => s.phase)).toEqual(['baseline', maneuver === 'sustained-inflation' ? 'inflation' : 'high-pressure', 'assessment']);
  });
});
