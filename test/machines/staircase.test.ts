import { describe, expect, it } from 'vitest';
import { BASELINE, Driver } from '../support/driver.js';

/** SpO2 while a decremental step at `peep` runs: the lung stays open down to 20 cmH2O. */
const spo2ForPeep = (peep: number, state: string): number => (state.includes('decremental') && peep <= 17.5 ? 91 : 95);

async function runScripted(d: Driver, spo2: (peep: number, state: string) => number): Promise<void> {
  d.start();
  await d.run(60 * 60_000, {
    until: (x) => {
      x.vitals.spo2Pct = spo2(x.context.current?.settings.peepCmH2O ?? 10, x.state);
      return x.state === 'completed' || x.snapshot.status === 'done';
    },
  });
}

describe('staircase', () => {
  it('ends with the prescribed PEEP: derecruitment seen at 17.5 -> final 20', async () => {
    const d = new Driver('staircase');
    await runScripted(d, spo2ForPeep);
    expect(d.state).toBe('completed');
    expect(d.context.titration.derecruitmentPeepCmH2O).toBe(17.5);
    expect(d.context.titration.finalPeepCmH2O).toBe(20);
    // The last command applies the baseline mode at the titrated PEEP.
    expect(d.lastCommand?.settings).toEqual({ ...BASELINE, peepCmH2O: 20, peakCmH2O: 40 });
    expect(d.lastCommand?.purpose).toBe('final');
  });

  it('shows 2-minute incremental and 3-minute decremental dwells in virtual time (PHARLAP: re-recruit always, no FiO2 titration)', async () => {
    const d = new Driver('staircase', { protocol: { fio2Titration: { enabled: false }, reRecruit: { when: 'always' } } });
    await runScripted(d, spo2ForPeep);
    const rows = d.context.steps.map((s) => ({ phase: s.phase, peep: s.settings.peepCmH2O, peak: s.settings.peakCmH2O, dwellS: (s.endedAt - s.startedAt) / 1000 }));
    expect(rows).toEqual([
      { phase: 'baseline', peep: 10, peak: 30, dwellS: 0 },
      { phase: 'incremental', peep: 20, peak: 35, dwellS: 120 },
      { phase: 'incremental', peep: 30, peak: 45, dwellS: 120 },
      { phase: 'incremental', peep: 40, peak: 55, dwellS: 120 },
      { phase: 'decremental', peep: 25, peak: 40, dwellS: 180 },
      { phase: 'decremental', peep: 22.5, peak: 37.5, dwellS: 180 },
      { phase: 'decremental', peep: 20, peak: 35, dwellS: 180 },
      { phase: 'decremental', peep: 17.5, peak: 32.5, dwellS: 180 },
      { phase: 're-recruit', peep: 40, peak: 55, dwellS: 60 },
      { phase: 'final', peep: 20, peak: 40, dwellS: 60 },
    ]);
    // Each step records SpO2, MAP and the time.
    const dec175 = d.context.steps[7]!;
    expect(dec175.spo2Pct).toBe(91);
    expect(dec175.mapMmHg).toBe(78);
    expect(dec175.endedAt).toBe(dec175.startedAt + 180_000);
    // Total: 6 + 12 + 1 + 1 minutes = 20 min of maneuver.
    expect(d.context.run.completedAt! - d.context.run.startedAt!).toBe(20 * 60_000);
  });

  it('without derecruitment down to the floor the trial goes on below it (default to 10): lowest PEEP held + margin', async () => {
    const d = new Driver('staircase');
    await runScripted(d, () => 95);
    expect(d.context.titration.derecruitmentPeepCmH2O).toBeNull();
    expect(d.context.steps.filter((s) => s.phase === 'decremental').map((s) => s.settings.peepCmH2O)).toEqual([25, 22.5, 20, 17.5, 15, 12.5, 10]);
    expect(d.context.titration.finalPeepCmH2O).toBe(12.5);
    expect(d.context.titration.methods?.find((m) => m.method === 'spo2')?.detail).toMatch(/PEEP 10 \+ 2\.5/);
  });

  it('derecruitment seen below the floor (SpO2 falls at 12.5) sets 12.5 + margin after re-recruiting', async () => {
    const d = new Driver('staircase');
    await runScripted(d, (peep, state) => (state.includes('decremental') && peep <= 12.5 ? 92 : 95));
    expect(d.context.steps.filter((s) => s.phase === 'decremental').map((s) => s.settings.peepCmH2O)).toEqual([25, 22.5, 20, 17.5, 15, 12.5]);
    expect(d.context.titration.derecruitmentPeepCmH2O).toBe(12.5);
    expect(d.context.titration.derecruitmentSeen).toBe(true);
    expect(d.context.steps.some((s) => s.phase === 're-recruit')).toBe(true);
    expect(d.context.titration.finalPeepCmH2O).toBe(15);
  });

  it('derecruitment seen above the floor: the trial stops there, nothing below the floor runs (PHARLAP unchanged)', async () => {
    const d = new Driver('staircase');
    await runScripted(d, (peep, state) => (state.includes('decremental') && peep <= 17.5 ? 92 : 95));
    expect(d.context.steps.filter((s) => s.phase === 'decremental').map((s) => s.settings.peepCmH2O)).toEqual([25, 22.5, 20, 17.5]);
    expect(d.context.titration.finalPeepCmH2O).toBe(20);
  });

  it('extendToPeepCmH2O equal to the floor is PHARLAP exactly: down to 15, then floor + margin', async () => {
    const d = new Driver('staircase', { protocol: { decremental: { extendToPeepCmH2O: 15 } } });
    await runScripted(d, () => 95);
    expect(d.context.steps.filter((s) => s.phase === 'decremental').map((s) => s.settings.peepCmH2O)).toEqual([25, 22.5, 20, 17.5, 15]);
    expect(d.context.titration.finalPeepCmH2O).toBe(17.5);
  });

  it('the trial never goes below the baseline PEEP when it goes on below the floor', async () => {
    const d = new Driver('staircase', { baseline: { mode: 'VC', peepCmH2O: 12, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 } });
    await runScripted(d, () => 95);
    expect(d.context.steps.filter((s) => s.phase === 'decremental').map((s) => s.settings.peepCmH2O)).toEqual([25, 22.5, 20, 17.5, 15, 12.5, 12]);
    expect(d.context.titration.finalPeepCmH2O).toBe(14.5);
  });

  it('compliance method detects derecruitment from a compliance fall; best compliance + 2 decides when SpO2 sees none', async () => {
    const d = new Driver('staircase', { protocol: { derecruitment: { method: 'compliance' } } });
    d.vitals.complianceMlPerCmH2O = 40;
    await runScripted(d, (peep, state) => {
      d.vitals.complianceMlPerCmH2O = state.includes('decremental') ? (peep >= 22.5 ? 42 : peep === 20 ? 43 : 38) : 40;
      return 95;
    });
    expect(d.context.titration.derecruitmentPeepCmH2O).toBe(17.5);
    // Best compliance 43 at PEEP 20: Open Lung Tool / OLA set 20 + 2.
    expect(d.context.titration.decidedBy).toBe('compliance');
    expect(d.context.titration.finalPeepCmH2O).toBe(22);
  });

  it('measures each step over the end of its dwell (measureWindowS), not its start', async () => {
    const d = new Driver('staircase');
    d.start();
    // First decremental step: SpO2 95 for the first 2 minutes, 97 in the last minute.
    await d.runUntilState('active.decremental');
    const started = d.now;
    await d.run(180_000, {
      until: (x) => {
        x.vitals.spo2Pct = x.now - started >= 120_000 ? 97 : 95;
        return x.context.steps.some((s) => s.phase === 'decremental');
      },
    });
    expect(d.context.steps.find((s) => s.phase === 'decremental')?.spo2Pct).toBe(97);
  });

  it('aborts on hypotension in the incremental phase and restores the baseline', async () => {
    const d = new Driver('staircase');
    d.start();
    await d.run(200_000);
    expect(d.state).toBe('active.incremental.dwelling');
    d.vitals.mapMmHg = 55;
    // MAP 55 is below the floor (60) but above the critical 50: it must hold longer than the
    // 5-s alarm delay. First low sample at +1 s; at +6 s it has held exactly 5 s; at +7 s, 6 s.
    await d.run(6000);
    expect(d.state).toBe('active.incremental.dwelling');
    await d.run(1000);
    expect(d.state).toBe('aborted');
    expect(d.context.abort).toMatchObject({ reason: 'hypotension', guard: 'mapBelowFloor', heldMs: 6000 });
    expect(d.context.abort?.sample?.mapMmHg).toBe(55);
    expect(d.lastCommand).toMatchObject({ purpose: 'restore-baseline', settings: BASELINE });
    expect(d.context.restore.baselineVerified).toBe(true);
  });
});
