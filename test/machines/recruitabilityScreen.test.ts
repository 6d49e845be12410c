import { describe, expect, it } from 'vitest';
import { planOf, settingsMatch } from '../../machines/index.js';
import { BASELINE, Driver, flush } from '../support/driver.js';

const SHORT = { highDwellS: 30, returnDwellS: 5, measureWindowS: 10 } as const;

/** Runs to the release step and returns the driver there (PEEP 5 verified, dwelling). */
async function atRelease(protocol: Record<string, unknown> = {}) {
  const d = new Driver('recruitability-screen', { protocol: { ...SHORT, ...protocol } });
  d.start();
  await d.runUntilState('active.release.dwelling');
  expect(d.state).toBe('active.release.dwelling');
  return d;
}

describe('recruitability screen machine', () => {
  it('plans VC at PEEP 15, one breath at 5, back to 15, then the baseline; only PEEP changes on the drop', () => {
    const d = new Driver('recruitability-screen', { protocol: SHORT });
    const plan = planOf(d.protocol, BASELINE);
    expect(plan.map((s) => [s.phase, s.peepCmH2O])).toEqual([
      ['screen', 15],
      ['release', 5],
      ['screen', 15],
      ['assessment', 10],
    ]);
    const [high, release] = plan;
    expect(release!.settings).toEqual({ ...high!.settings, peepCmH2O: 5 });
    expect(high!.settings).toMatchObject({ mode: 'VC', tidalVolumeMl: 420, rateBpm: 20 });
    // One breath at rate 20 is 3 s; the release step waits at most 2 breaths.
    expect(release!.dwellMs).toBe(6000);
  });

  it('runs the test at the protocol rate when given (slow rate: complete expiration), the low PEEP for at most 2 of its breaths', () => {
    const d = new Driver('recruitability-screen', { protocol: { ...SHORT, rateBpm: 8 } });
    const [high, release, back, baseline] = planOf(d.protocol, BASELINE);
    for (const s of [high!, release!, back!]) expect(s.settings.rateBpm).toBe(8);
    expect(release!.dwellMs).toBe(2 * 7500);
    expect(baseline!.settings.rateBpm).toBe(20);
  });

  it('measures the release breath, returns to the high PEEP verified, computes R/I and ends at the baseline', async () => {
    const d = await atRelease();
    // The release breath: VTe 420 + 500; first plateau at PEEP 5: 5 + 420/21 = 25 (Crs,low 21).
    d.now += 1000;
    d.sample({ expiredVolumeMl: 920, plateauCmH2O: 25 });
    await flush();
    expect(d.state).toMatch(/^active\.back/);
    const back = d.lastCommand!;
    expect(back.settings.peepCmH2O).toBe(15);
    await d.runUntilState('completed');
    expect(d.state).toBe('completed');
    const r = d.context.run.screen!.result!;
    // Vrel 500; predicted 21 x 10 = 210; Vrec 290; Crec 29; R/I 29/21 = 1.38.
    expect(r.releasedVolumeMl).toBe(500);
    expect(r.recruitedVolumeMl).toBe(290);
    expect(r.ratio).toBeCloseTo(1.38, 2);
    expect(r.recruitability).toBe('high');
    expect(settingsMatch(d.context.verified!, BASELINE)).toBe(true);
    // Commands: high, release, back, baseline.
    expect(d.commands.map((c) => c.settings.peepCmH2O)).toEqual([15, 5, 15, 10]);
    // The low PEEP lasted one breath: the back command came 1 s after the release was verified.
    const steps = d.context.steps.filter((s) => s.phase === 'release');
    expect(steps).toHaveLength(1);
    expect(steps[0]!.endedAt - steps[0]!.startedAt).toBeLessThanOrEqual(3000);
  });

  it('never takes a breath reported before the drop took effect (PEEP still high) for the release breath', async () => {
    const d = await atRelease();
    // The last breath at PEEP 15, reported after the drop was confirmed: VTe a little above Vt, the high plateau.
    d.now += 500;
    d.sample({ peepCmH2O: 15, expiredVolumeMl: 430, plateauCmH2O: 23 });
    await flush();
    expect(d.state).toBe('active.release.dwelling');
    // Then the release breath: expired to PEEP 5, with the plateau of the first breath at 5.
    d.now += 500;
    d.sample({ expiredVolumeMl: 920, plateauCmH2O: 25 });
    await d.runUntilState('completed');
    const r = d.context.run.screen!.result!;
    expect(r.readings.releaseExpiredVolumeMl).toBe(920);
    expect(r.readings.lowPlateauCmH2O).toBe(25);
    expect(r.ratio).toBeCloseTo(1.38, 2);
  });

  it('takes the plateau reported with the release breath, not an earlier plateau of the window', async () => {
    const d = await atRelease();
    d.now += 500;
    d.sample({ plateauCmH2O: 40 }); // a plateau sample without an expired volume
    await flush();
    expect(d.state).toBe('active.release.dwelling');
    d.now += 500;
    d.sample({ expiredVolumeMl: 630, plateauCmH2O: 25 });
    await d.runUntilState('completed');
    expect(d.context.run.screen!.result).toMatchObject({ ratio: 0, recruitability: 'low' });
  });

  it('classifies a release no larger than Crs,low x dPEEP as low recruitability', async () => {
    const d = await atRelease();
    d.now += 1000;
    d.sample({ expiredVolumeMl: 420 + 210, plateauCmH2O: 25 });
    await d.runUntilState('completed');
    expect(d.context.run.screen!.result).toMatchObject({ recruitability: 'low', ratio: 0 });
  });

  it('returns to the high PEEP after at most releaseMaxBreaths when the release breath is not measured: not assessable', async () => {
    const d = await atRelease();
    // The driver's samples carry no expired volume.
    await d.runUntilState('active.back');
    const release = d.context.steps.find((s) => s.phase === 'release')!;
    expect(release.endedAt - release.startedAt).toBe(6000);
    await d.runUntilState('completed');
    const r = d.context.run.screen!.result!;
    expect(r.recruitability).toBe('not-assessable');
    expect(r.detail).toMatch(/not measured within 2 breath/);
  });

  it('uses the configured airway opening pressure', async () => {
    const d = await atRelease({ airwayOpeningPressureCmH2O: 8 });
    d.now += 1000;
    d.sample({ expiredVolumeMl: 920, plateauCmH2O: 25 });
    await d.runUntilState('completed');
    expect(d.context.run.screen!.result!.effectivePressureCmH2O).toBe(7);
  });

  it('aborts to the verified baseline when the return to the high PEEP is not confirmed by readback', async () => {
    const d = await atRelease();
    d.autoApply = false;
    d.now += 1000;
    d.sample({ expiredVolumeMl: 920, plateauCmH2O: 25 });
    await flush();
    const back = d.lastCommand!;
    expect(back.settings.peepCmH2O).toBe(15);
    // The device reads back PEEP 5: still at the low PEEP.
    d.actor.send({ type: 'APPLIED', now: d.now, seq: back.seq, readback: { ...back.settings, peepCmH2O: 5 } });
    expect(d.state).toBe('aborting.restoring');
    expect(d.context.abort?.guard).toBe('readbackMismatch');
    const restore = d.lastCommand!;
    expect(restore.purpose).toBe('restore-baseline');
    d.actor.send({ type: 'APPLIED', now: d.now, seq: restore.seq, readback: BASELINE });
    expect(d.state).toBe('aborted');
  });

  it('aborts to the verified baseline on desaturation during the release (the same safety monitor)', async () => {
    const d = await atRelease();
    d.now += 1000;
    d.sample({ spo2Pct: 70 });
    await flush();
    expect(d.context.abort?.reason).toBe('desaturation');
    await d.runUntilState('aborted');
    expect(d.state).toBe('aborted');
    expect(settingsMatch(d.context.verified!, BASELINE)).toBe(true);
  });
});
