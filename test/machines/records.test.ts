/**
 * What the machine records: abort records (reason, guard, message, where), restore failures,
 * command sequence numbers, and the exact boundaries of its time-based guards.
 */
import { describe, expect, it } from 'vitest';
import { sampleAbort, defaultProtocol, initialContext, type MonitorSample } from '../../machines/index.js';
import { BASELINE, Driver, flush } from '../support/driver.js';
import { checked } from '../support/checked.js';

const at = async (d: Driver, now: number, sample = true) => {
  d.now = now;
  if (sample) d.sample();
  d.tick();
  await flush();
};

describe('abort records', () => {
  it('a sample abort names the first guard, lists the others and keeps the sample', () => {
    const ctx = { ...initialContext({ protocol: defaultProtocol('staircase'), baseline: BASELINE }) };
    expect(sampleAbort(ctx, 0, checked({ t: 0, source: 's', mapMmHg: 40 }))).toBeNull(); // not started: no baseline vitals yet
    const running = { ...ctx, run: { ...ctx.run, startedAt: 0, baselineVitals: { spo2Pct: 94, mapMmHg: 80, sbpMmHg: 120, hrBpm: 90, complianceMlPerCmH2O: null } } };
    // Critical limits abort at once; the ordinary conditions of the same sample have only begun.
    const sample = checked({ t: 5, source: 's', mapMmHg: 40, spo2Pct: 75 });
    expect(sampleAbort(running, 5, sample)).toEqual({
      reason: 'desaturation',
      guard: 'spo2Critical',
      message: 'SpO2 75% below the critical 80% (also: mapCritical)',
      at: 5,
      sample,
      heldMs: 0,
      fromState: 'idle',
    });
    // An ordinary condition aborts once it has held longer than its alarm delay (hypotension: 5 s).
    const since = { ...running, run: { ...running.run, conditions: { sbpBelowFloor: 1000 } } };
    expect(sampleAbort(since, 6000, checked({ t: 6000, source: 's', sbpMmHg: 70 }))).toBeNull();
    expect(sampleAbort(since, 6001, checked({ t: 6001, source: 's', sbpMmHg: 70 }))?.message).toBe('SBP 70 mmHg below 80 (held 5.0 s, alarm delay 5 s)');
  });

  it('an apply timeout: exactly applyTimeoutS is still in time, a millisecond later aborts, with the step named', async () => {
    const d = new Driver('high-pressure-pcv', { autoApply: false });
    d.start();
    await at(d, 10_000);
    expect(d.state).toBe('active.highPressure.applying');
    await at(d, 10_001);
    expect(d.context.abort).toEqual({
      reason: 'device-fault',
      guard: 'applyOverdue',
      message: '"High-pressure PCV: PEEP 25, peak 40 cmH2O for 120 s" not confirmed within 10 s',
      at: 10_001,
      fromState: 'high-pressure: High-pressure PCV: PEEP 25, peak 40 cmH2O for 120 s',
    });
  });

  it('apply failure, readback mismatch and operator abort say what happened', async () => {
    const a = new Driver('sustained-inflation', { autoApply: false });
    a.start();
    a.actor.send({ type: 'APPLY_FAILED', now: 0, seq: a.lastCommand!.seq, code: 'refused', message: 'mode locked' });
    expect(a.context.abort?.message).toBe('"Sustained inflation: CPAP 40 cmH2O for 30 s" failed: mode locked');
    const b = new Driver('sustained-inflation', { autoApply: false });
    b.start();
    b.actor.send({ type: 'APPLIED', now: 0, seq: b.lastCommand!.seq, readback: { ...b.lastCommand!.settings, mode: 'PCV', peepCmH2O: 30, peakCmH2O: 45 } });
    expect(b.context.abort?.message).toBe('readback of "Sustained inflation: CPAP 40 cmH2O for 30 s" does not match: PEEP 30, peak 45, mode PCV');
    const c = new Driver('sustained-inflation');
    c.start();
    await flush();
    c.actor.send({ type: 'OPERATOR_ABORT', now: 0 });
    expect(c.context.abort).toMatchObject({ reason: 'operator-abort', guard: 'operatorAbort', message: 'operator abort' });
    expect(c.context.steps.at(-1)).toMatchObject({ phase: 'inflation', aborted: true });
  });

  it('a stale abort and a confirm timeout name their guard and limit', async () => {
    const d = new Driver('sustained-inflation');
    d.start();
    await at(d, 1000);
    await at(d, 11_001, false);
    expect(d.context.abort).toMatchObject({ reason: 'stale-vitals', guard: 'vitalsStale', message: 'no fresh SpO2 for 10.0 s (limit 10 s)' });
    const c = new Driver('sustained-inflation', { protocol: { confirmEachStep: true, confirmTimeoutS: 30 } });
    c.start();
    await at(c, 30_000);
    expect(c.state).toBe('active.inflation.confirming');
    await at(c, 30_001);
    expect(c.context.abort).toMatchObject({ reason: 'operator-timeout', guard: 'confirmOverdue', message: 'no operator confirmation within 30 s' });
  });
});

describe('restore attempts', () => {
  it('records why each attempt failed, waits exactly the retry delay, and counts attempts', async () => {
    const d = new Driver('sustained-inflation', { autoApply: false });
    d.start();
    d.actor.send({ type: 'OPERATOR_ABORT', now: 0 });
    const first = d.lastCommand!;
    expect(first).toMatchObject({ purpose: 'restore-baseline', label: 'Restore baseline', settings: BASELINE });
    d.actor.send({ type: 'APPLY_FAILED', now: 0, seq: first.seq, code: 'timeout', message: 'no reply' });
    await at(d, 999);
    expect(d.state).toBe('aborting.waiting');
    await at(d, 1000);
    expect(d.state).toBe('aborting.restoring');
    const second = d.lastCommand!;
    expect(second.seq).toBe(first.seq + 1);
    d.actor.send({ type: 'APPLIED', now: 1000, seq: second.seq, readback: { ...BASELINE, peepCmH2O: 12 } });
    await at(d, 2000);
    const third = d.lastCommand!;
    await at(d, 12_000);
    expect(d.state).toBe('aborting.restoring'); // exactly restoreTimeoutS: still waiting
    await at(d, 12_001);
    expect(d.state.startsWith('failsafe')).toBe(true);
    expect(d.context.restore.failures).toEqual([
      'attempt 1: timeout: no reply',
      'attempt 2: readback does not match the baseline',
      'attempt 3: no confirmation within 10 s',
    ]);
    expect(third.seq).toBe(second.seq + 1);
    expect(d.context.restore.attempts).toBe(4); // failsafe's own first attempt
  });
});

describe('repeat policy boundaries', () => {
  it('allows a repeat at exactly the minimum interval, refuses one at maxRepeats', async () => {
    const d = new Driver('sustained-inflation', { protocol: { repeat: { maxRepeats: 2, minIntervalS: 60 } } });
    const improve = (x: Driver) => {
      if (x.state.startsWith('active.assessment')) x.vitals.spo2Pct = 97;
      return x.state === 'completed';
    };
    d.start();
    await d.run(10 * 60_000, { until: improve });
    const doneAt = d.context.run.completedAt!;
    d.vitals.spo2Pct = 94; // oxygenation drifts back; each repeat is judged against its own start
    d.now = doneAt + 59_999;
    d.sample(); // fresh vitals: only the interval can refuse
    d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    expect(d.state).toBe('completed');
    d.now = doneAt + 60_000;
    d.sample();
    d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    expect(d.state).toMatch(/^active/);
    const repeatOnce = async () => {
      await d.run(10 * 60_000, { until: improve });
      expect(d.context.run.response?.met).toBe(true);
      await d.run(61_000);
      d.vitals.spo2Pct = 94;
      d.sample();
      d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    };
    await repeatOnce();
    expect(d.state).toMatch(/^active/);
    expect(d.context.run.repeats).toBe(2);
    await repeatOnce();
    expect(d.state).toBe('completed'); // maxRepeats reached: refused although the response is met
    expect(d.context.run.repeats).toBe(2);
    expect(d.context.run.previousRuns).toHaveLength(2);
  });
});
