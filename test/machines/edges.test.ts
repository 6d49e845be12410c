/**
 * Edge cases that mutation testing showed were not pinned: boundaries of the command limits,
 * state names of unusual values, what the context records, and when a sample itself
 * (not a later tick) must end a step on stale vitals.
 */
import { describe, expect, it } from 'vitest';
import {
  baselineRecord,
  checkCommandLimits,
  decrementalHistory,
  defaultProtocol,
  derecruitedAtCurrentStep,
  emptyLatest,
  evaluateClock,
  finalPeepPlan,
  initialContext,
  newStep,
  SafetyConfigSchema,
  stateName,
  updateLatest,
  valuesOf,
  withPeep,
  withSample,
  type ManeuverContext,
  type StepRecord,
} from '../../machines/index.js';
import { BASELINE, Driver, flush } from '../support/driver.js';
import { checked } from '../support/checked.js';

const PCV = { mode: 'PCV' as const, peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.5 };

describe('command limits at their edges', () => {
  it('PEEP 0 (ZEEP) and rate 0 are allowed; a peak below PEEP and a rate above 40 are not', () => {
    expect(checkCommandLimits({ ...PCV, peepCmH2O: 0, peakCmH2O: 15, rateBpm: 0 }, 55)).toEqual([]);
    expect(checkCommandLimits({ ...PCV, peepCmH2O: 20, peakCmH2O: 18 }, 55).map((v) => v.message)).toEqual(['peak 18 cmH2O below PEEP 20']);
    expect(checkCommandLimits({ ...PCV, rateBpm: 40.5 }, 55).map((v) => v.field)).toEqual(['rateBpm']);
    expect(checkCommandLimits({ ...PCV, rateBpm: -1 }, 55).map((v) => v.field)).toEqual(['rateBpm']);
  });
});

describe('state names', () => {
  it('flattens nested values, and names what is not a state value plainly', () => {
    expect(stateName({ aborting: { restoring: 'applying' } })).toBe('aborting.restoring.applying');
    expect(stateName({ idle: undefined })).toBe('idle');
    expect(stateName({})).toBe('?');
    expect(stateName(null)).toBe('null');
    expect(stateName(42)).toBe('42');
  });
});

function context(): ManeuverContext {
  return initialContext({ protocol: defaultProtocol('staircase'), baseline: BASELINE });
}

describe('what the context records', () => {
  it('starts with nothing restored and nothing verified', () => {
    expect(context().restore).toEqual({ attempts: 0, failures: [], lastFailureAt: null, baselineVerified: false });
  });

  it('a MAP reading at the same instant replaces the previous one (the newest wins)', () => {
    let l = updateLatest(emptyLatest(), checked({ t: 10, source: 's', mapMmHg: 78 }));
    l = updateLatest(l, checked({ t: 10, source: 's', mapMmHg: 70 }));
    expect(l).toMatchObject({ mapMmHg: 70, mapAt: 10 });
  });

  it('the baseline row is labelled and carries the latest vitals', () => {
    const latest = { ...emptyLatest(), spo2Pct: 90, mapMmHg: 75, hrBpm: 88, complianceMlPerCmH2O: 33, peakCmH2O: 30 };
    expect(baselineRecord(BASELINE, latest, 5)).toEqual({
      phase: 'baseline',
      label: 'Baseline',
      settings: BASELINE,
      startedAt: 5,
      endedAt: 5,
      spo2Pct: 90,
      mapMmHg: 75,
      hrBpm: 88,
      complianceMlPerCmH2O: 33,
      peakCmH2O: 30,
    });
  });

  it('a sample counts toward the step only inside its measurement window (the last measureWindowS of the dwell)', () => {
    const ctx = context();
    const windowMs = ctx.protocol.measureWindowS * 1000;
    const current = { ...newStep('incremental', 'x', BASELINE, 120_000), startedAt: 0 };
    const before = withSample({ ...ctx, current, now: 120_000 - windowMs }, checked({ t: 0, source: 's', spo2Pct: 90 }));
    expect(valuesOf(before.current?.acc.spo2)).toEqual([]);
    expect(before.latest.spo2Pct).toBe(90);
    const inside = withSample({ ...ctx, current, now: 120_000 - windowMs + 1 }, checked({ t: 0, source: 's', spo2Pct: 90 }));
    expect(valuesOf(inside.current?.acc.spo2)).toEqual([90]);
  });
});

describe('titration helpers', () => {
  const row = (phase: StepRecord['phase'], peep: number, spo2Pct: number): StepRecord => ({
    phase,
    label: phase,
    settings: withPeep(BASELINE, peep, 55),
    startedAt: 0,
    endedAt: 0,
    spo2Pct,
    mapMmHg: 80,
    hrBpm: 90,
    complianceMlPerCmH2O: 30,
    peakCmH2O: peep + 20,
  });

  it('the detector sees only decremental steps', () => {
    const ctx = { ...context(), steps: [row('incremental', 40, 99), row('decremental', 25, 96), row('decremental', 22.5, 95)] };
    expect(decrementalHistory(ctx).map((m) => m.peepCmH2O)).toEqual([25, 22.5]);
  });

  it('derecruitment is judged only at the end of a decremental step', () => {
    const steps = [row('decremental', 25, 97)];
    const latest = { ...emptyLatest(), spo2Pct: 90 };
    const dec = { ...newStep('decremental', 'd', withPeep(BASELINE, 22.5, 55), 180_000), startedAt: 0 };
    expect(derecruitedAtCurrentStep({ ...context(), steps, latest, current: dec })).toBe(true);
    expect(derecruitedAtCurrentStep({ ...context(), steps, latest, current: { ...dec, phase: 're-recruit' } })).toBe(false);
    expect(derecruitedAtCurrentStep({ ...context(), steps, latest, current: null })).toBe(false);
  });

  it('the final step says why it chose its PEEP', () => {
    const seen = { ...context(), titration: { derecruitmentPeepCmH2O: 17.5, finalPeepCmH2O: 20 } };
    expect(finalPeepPlan(seen).label).toBe('Titrated PEEP 20 cmH2O (derecruitment at 17.5); assessing for 60 s');
    // Before the decision: the lowest level the trial may walk (10, below PHARLAP's floor) + 2.5.
    expect(finalPeepPlan(context()).label).toBe('Titrated PEEP 12.5 cmH2O (no derecruitment seen); assessing for 60 s');
  });

  it('a CPAP baseline keeps peak = PEEP when its PEEP is changed', () => {
    // A CPAP readback may carry another peak (a device's last PCV setting): it is no gap to keep.
    expect(withPeep({ mode: 'CPAP', peepCmH2O: 8, peakCmH2O: 20, rateBpm: 0, fio2: 0.5 }, 12, 55)).toMatchObject({ peepCmH2O: 12, peakCmH2O: 12 });
  });
});

describe('stale vitals', () => {
  it('the watchdog names its guard', () => {
    const safety = SafetyConfigSchema.parse({});
    expect(evaluateClock(20_000, { ...emptyLatest(), spo2At: 0, mapAt: 20_000 }, safety)).toMatchObject({ guard: 'vitalsStale', reason: 'stale-vitals' });
  });

  it('a sample that brings no SpO2 while SpO2 is stale ends the step on that sample, without waiting for a tick', async () => {
    const d = new Driver('high-pressure-pcv');
    d.start();
    await d.runUntilState('active.highPressure.dwelling');
    const lastSpo2 = d.now;
    d.now = lastSpo2 + d.context.safety.vitalsStaleS * 1000 + 1;
    d.actor.send({ type: 'SAMPLE', now: d.now, sample: checked({ t: d.now, source: 'test', mapMmHg: 78, hrBpm: 90, ...d.delivered() }) });
    await flush();
    expect(d.state).toMatch(/^abort/); // no TICK was sent: the sample itself ended the step
    expect(d.context.abort).toMatchObject({ reason: 'stale-vitals', guard: 'vitalsStale' });
  });

  it('commands are numbered from 1, one more for each', async () => {
    const d = new Driver('sustained-inflation');
    d.start();
    await d.runUntilState('completed');
    expect(d.commands.map((c) => c.seq)).toEqual(d.commands.map((_, i) => i + 1));
    expect(d.commands.length).toBeGreaterThanOrEqual(2);
  });
});
