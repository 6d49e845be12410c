import { describe, expect, it } from 'vitest';
import { MACHINES, MONITOR_EVENTS, recruitabilityScreenMachine, type ManeuverMachine } from '../../machines/index.js';
import { BASELINE, Driver, flush } from '../support/driver.js';

interface NodeLike {
  id: string;
  on: Record<string, unknown>;
  states: Record<string, NodeLike>;
}

function descendants(node: NodeLike): NodeLike[] {
  return Object.values(node.states).flatMap((c) => [c, ...descendants(c)]);
}

describe('the shared shell', () => {
  it.each(Object.entries({ ...MACHINES, 'recruitability-screen': recruitabilityScreenMachine }))('%s: no phase inside active handles a monitor event (the monitor cannot be shadowed)', (_, machine) => {
    const active = (machine as ManeuverMachine).root.states['active'] as unknown as NodeLike;
    for (const node of descendants(active)) {
      for (const type of MONITOR_EVENTS) expect(Object.keys(node.on), `${node.id} handles ${type}`).not.toContain(type);
    }
    for (const type of MONITOR_EVENTS) expect(Object.keys(active.on)).toContain(type);
  });

  it('refuses to start without fresh vitals and changes nothing', () => {
    const d = new Driver('sustained-inflation');
    d.actor.send({ type: 'START', now: 0 });
    expect(d.state).toBe('notStarted');
    expect(d.context.run.preconditionIssues.map((i) => i.code)).toContain('vitals-missing');
    expect(d.commands).toEqual([]);
  });

  it('refuses to start when vitals already violate a guard, or the baseline is not sane', () => {
    const a = new Driver('sustained-inflation');
    a.vitals.mapMmHg = 55;
    a.start();
    expect(a.state).toBe('notStarted');
    expect(a.context.run.preconditionIssues.map((i) => i.message).join()).toMatch(/mapBelowFloor/);
    const b = new Driver('sustained-inflation', { baseline: { ...BASELINE, peepCmH2O: 24 } });
    b.start();
    expect(b.state).toBe('notStarted');
    expect(b.context.run.preconditionIssues[0]?.code).toBe('baseline-out-of-range');
    expect(a.commands.length + b.commands.length).toBe(0);
  });

  it('warns (but starts) when baseline SpO2 is too high to detect derecruitment; blocks when configured', () => {
    const warn = new Driver('staircase');
    warn.vitals.spo2Pct = 99;
    warn.start();
    expect(warn.state).toMatch(/^active/);
    expect(warn.context.run.preconditionIssues).toEqual([expect.objectContaining({ code: 'spo2-too-high-to-detect-derecruitment', severity: 'warn' })]);
    const block = new Driver('staircase', { protocol: { safety: { blockOnHighBaselineSpo2: true } } });
    block.vitals.spo2Pct = 99;
    block.start();
    expect(block.state).toBe('notStarted');
  });

  it('a device fault before the start blocks it', () => {
    const d = new Driver('staircase');
    d.actor.send({ type: 'DEVICE_FAULT', now: 0, code: 'link-lost', message: 'no telemetry' });
    d.start();
    expect(d.state).toBe('notStarted');
    expect(d.context.run.preconditionIssues[0]?.code).toBe('device-fault');
  });

  it('operator cancel before the start ends without commands', () => {
    const d = new Driver('staircase');
    d.actor.send({ type: 'OPERATOR_ABORT', now: 0 });
    expect(d.state).toBe('cancelled');
    expect(d.commands).toEqual([]);
  });

  it('aborts when vitals go stale and restores baseline', async () => {
    const d = new Driver('high-pressure-pcv');
    d.start();
    await d.run(5000);
    // Vitals stop; only ticks arrive.
    for (let i = 0; i < 11; i++) {
      d.now += 1000;
      d.tick();
      await flush();
    }
    expect(d.state).toBe('aborted');
    expect(d.context.abort).toMatchObject({ reason: 'stale-vitals', guard: 'vitalsStale' });
    expect(d.lastCommand?.settings).toEqual(BASELINE);
  });

  it('aborts on an apply timeout (the device never confirms)', async () => {
    const d = new Driver('high-pressure-pcv', { autoApply: false });
    d.start();
    expect(d.state).toBe('active.highPressure.applying');
    await d.run(11_000);
    expect(d.state).toBe('aborting.restoring');
    expect(d.context.abort).toMatchObject({ reason: 'device-fault', guard: 'applyOverdue' });
    const restore = d.lastCommand!;
    d.actor.send({ type: 'APPLIED', now: d.now, seq: restore.seq, readback: BASELINE });
    expect(d.state).toBe('aborted');
  });

  it('aborts on a readback that does not match and ignores confirmations of older commands', async () => {
    const d = new Driver('sustained-inflation', { autoApply: false });
    d.start();
    const cmd = d.lastCommand!;
    d.actor.send({ type: 'APPLIED', now: 0, seq: cmd.seq - 1, readback: cmd.settings });
    expect(d.state).toBe('active.inflation.applying');
    d.actor.send({ type: 'APPLIED', now: 0, seq: cmd.seq, readback: { ...cmd.settings, peepCmH2O: 35 } });
    expect(d.state).toBe('aborting.restoring');
    expect(d.context.abort).toMatchObject({ reason: 'device-fault', guard: 'readbackMismatch' });
  });

  it('verifies readback within the device resolution (Draeger sets pressures in 1 mbar = 1.02 cmH2O steps)', () => {
    const coarse = new Driver('sustained-inflation', { autoApply: false, pressureToleranceCmH2O: 1.02 });
    coarse.start();
    const cmd = coarse.lastCommand!;
    coarse.actor.send({ type: 'APPLIED', now: 0, seq: cmd.seq, readback: { ...cmd.settings, peepCmH2O: cmd.settings.peepCmH2O - 0.51 } });
    expect(coarse.state).toBe('active.inflation.dwelling');
    const fine = new Driver('sustained-inflation', { autoApply: false });
    fine.start();
    const c2 = fine.lastCommand!;
    fine.actor.send({ type: 'APPLIED', now: 0, seq: c2.seq, readback: { ...c2.settings, peepCmH2O: c2.settings.peepCmH2O - 0.51 } });
    expect(fine.state).toBe('aborting.restoring');
  });

  it('turns a HAL failure into an abort, retries the restore, then ends in failsafe that needs acknowledgement', async () => {
    const d = new Driver('sustained-inflation', { autoApply: false });
    d.start();
    d.actor.send({ type: 'APPLY_FAILED', now: 0, seq: d.lastCommand!.seq, code: 'disconnected', message: 'link down' });
    expect(d.state).toBe('aborting.restoring');
    expect(d.context.abort?.guard).toBe('apply-disconnected');
    // Three restore attempts fail (APPLY_FAILED, wrong readback, timeout).
    d.actor.send({ type: 'APPLY_FAILED', now: 0, seq: d.lastCommand!.seq, code: 'timeout', message: 'no reply' });
    expect(d.state).toBe('aborting.waiting');
    await d.run(1000);
    expect(d.state).toBe('aborting.restoring');
    d.actor.send({ type: 'APPLIED', now: d.now, seq: d.lastCommand!.seq, readback: { ...BASELINE, peepCmH2O: 40 } });
    await d.run(1000);
    expect(d.state).toBe('aborting.restoring');
    await d.run(11_000);
    expect(d.state.startsWith('failsafe')).toBe(true);
    expect(d.context.restore.failures).toHaveLength(3);
    // Failsafe keeps trying; a verified restore is recorded but the state still needs a person.
    await d.run(2000);
    const seq = d.lastCommand!.seq;
    expect(d.lastCommand?.purpose).toBe('restore-baseline');
    d.actor.send({ type: 'APPLIED', now: d.now, seq, readback: BASELINE });
    expect(d.state).toBe('failsafe.restored');
    expect(d.context.restore.baselineVerified).toBe(true);
    d.actor.send({ type: 'OPERATOR_ACK', now: d.now });
    expect(d.state).toBe('halted');
    expect(d.snapshot.status).toBe('done');
  });

  it('confirmEachStep waits for the operator before each step, and aborts when nobody confirms', async () => {
    const d = new Driver('sustained-inflation', { protocol: { confirmEachStep: true, confirmTimeoutS: 30 } });
    d.start();
    expect(d.state).toBe('active.inflation.confirming');
    expect(d.commands).toEqual([]);
    d.actor.send({ type: 'OPERATOR_CONFIRM', now: d.now });
    await flush();
    expect(d.state).toBe('active.inflation.dwelling');
    await d.run(31_000);
    expect(d.state).toBe('active.assessment.confirming');
    await d.run(31_000);
    expect(d.state).toBe('aborted');
    expect(d.context.abort).toMatchObject({ reason: 'operator-timeout', guard: 'confirmOverdue' });
  });

  it('operator abort from any running state restores baseline', async () => {
    const d = new Driver('staircase');
    d.start();
    await d.run(400_000);
    d.actor.send({ type: 'OPERATOR_ABORT', now: d.now, note: 'patient coughing' });
    await flush();
    expect(d.state).toBe('aborted');
    expect(d.context.abort).toMatchObject({ reason: 'operator-abort', message: 'operator abort: patient coughing' });
    // At 400 s the FiO2 titration runs (SpO2 94 is above the 90-92% target).
    expect(d.context.abort?.fromState).toMatch(/^fio2/);
  });
});

describe('repeat', () => {
  async function completedSustainedInflation(spo2After: number) {
    const d = new Driver('sustained-inflation', { protocol: { repeat: { maxRepeats: 1, minIntervalS: 60 } } });
    d.start();
    await d.run(5 * 60_000, {
      until: (x) => {
        if (x.state.startsWith('active.assessment')) x.vitals.spo2Pct = spo2After;
        return x.state === 'completed';
      },
    });
    return d;
  }

  it('is allowed after a response, at most maxRepeats times, after the minimum interval', async () => {
    const d = await completedSustainedInflation(97);
    expect(d.context.run.response).toMatchObject({ met: true, spo2BeforePct: 94, spo2AfterPct: 97 });
    d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    expect(d.state).toBe('completed'); // too early
    await d.run(60_000);
    d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    await flush();
    expect(d.state).toMatch(/^active\.inflation/);
    expect(d.context.run.repeats).toBe(1);
    expect(d.context.run.previousRuns).toHaveLength(1);
    await d.run(5 * 60_000, { until: (x) => x.state === 'completed' });
    await d.run(120_000);
    d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    expect(d.state).toBe('completed'); // maxRepeats reached
    d.actor.send({ type: 'OPERATOR_END', now: d.now });
    expect(d.state).toBe('finished');
  });

  it('is refused without a response', async () => {
    const d = await completedSustainedInflation(94);
    expect(d.context.run.response?.met).toBe(false);
    await d.run(120_000);
    d.actor.send({ type: 'OPERATOR_REPEAT', now: d.now });
    expect(d.state).toBe('completed');
  });
});

describe('sustained inflation and high-pressure PCV', () => {
  it('sustained inflation holds CPAP 40 for 30 s, then returns to baseline and assesses', async () => {
    const d = new Driver('sustained-inflation');
    d.start();
    await d.run(10 * 60_000, { until: (x) => x.state === 'completed' });
    expect(d.commands.map((c) => [c.purpose, c.settings.mode, c.settings.peepCmH2O])).toEqual([
      ['step', 'CPAP', 40],
      ['final', 'VC', 10],
    ]);
    const [, inflation, assessment] = d.context.steps;
    expect(inflation!.endedAt - inflation!.startedAt).toBe(30_000);
    expect(assessment!.phase).toBe('assessment');
    expect(assessment!.endedAt - assessment!.startedAt).toBe(60_000);
  });

  it('high-pressure PCV applies PEEP 25 / peak 40 for 2 min', async () => {
    const d = new Driver('high-pressure-pcv');
    d.start();
    await d.run(10 * 60_000, { until: (x) => x.state === 'completed' });
    expect(d.commands[0]?.settings).toEqual({ mode: 'PCV', peepCmH2O: 25, peakCmH2O: 40, rateBpm: 20, fio2: 0.6 });
    const step = d.context.steps[1]!;
    expect(step.endedAt - step.startedAt).toBe(120_000);
    expect(d.lastCommand?.settings).toEqual(BASELINE);
  });
});
