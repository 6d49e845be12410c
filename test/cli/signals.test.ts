/**
 * The signal handling of `rmseq run` against a simulated session on a virtual clock, with a
 * fake process: timers follow the session clock, and a second signal or a direct restore
 * never re-runs a restore that was already verified. (A signal after the run settled is tested
 * here, not on a child process: there it races the process's own exit.)
 */
import { describe, expect, it } from 'vitest';
import { handleSignals, type SignalHost } from '../../src/cli/interactive.js';
import { runSession } from '../../src/runner/drive.js';
import { openModerateArds } from '../support/simSession.js';
import { DEFAULT_WATCH_CONFIG, defaultProtocol } from '../../machines/index.js';
import { watchAfter } from '../../src/runner/watch.js';
import { VirtualClock } from '../../common/clock.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { openSimulatedSession } from '../../src/runner/simulated.js';

class FakeHost implements SignalHost {
  readonly handlers = new Map<string, (...a: never[]) => void>();
  readonly exits: number[] = [];
  constructor(private readonly onExit: (code: number) => void = () => undefined) {}
  on(event: string, fn: (...a: never[]) => void): unknown {
    this.handlers.set(event, fn);
    return this;
  }
  off(event: string): unknown {
    this.handlers.delete(event);
    return this;
  }
  exit(code: number): void {
    this.exits.push(code);
    this.onExit(code);
  }
  signal(s: 'SIGINT' | 'SIGTERM'): void {
    (this.handlers.get(s) as (sig: NodeJS.Signals) => void)(s);
  }
}

async function open(onFailsafe: 'end' | 'wait') {
  const { clock, sim } = await openModerateArds('high-pressure-pcv', onFailsafe);
  const io = { stdout: () => undefined, stderr: (s: string) => void (err += s), isTTY: false };
  let err = '';
  return { clock, sim, session: sim.session, io, stderr: () => err };
}

describe('signal handling (fake process, virtual clock)', () => {
  it('a second signal after the machine verified the restore does not restore again, and a signal after the run settled exits with the settled code (3, not 130)', async () => {
    const { session, sim, io, stderr } = await open('end');
    const host = new FakeHost();
    const signals = handleSignals(session, io, { host });
    session.telemetry$.subscribe((e) => e.kind === 'state' && e.state === 'active.highPressure.dwelling' && queueMicrotask(() => host.signal('SIGINT')));
    const summary = await runSession(session);
    expect(summary.outcome).toBe('aborted');
    const applies: number[] = [];
    const apply = sim.ventilator.apply.bind(sim.ventilator);
    sim.ventilator.apply = (c) => (applies.push(1), apply(c));
    await session.close();
    host.signal('SIGINT'); // 50 ms later, on a closed adapter
    expect(await session.emergencyRestore('late')).toBe(true);
    expect(host.exits).toEqual([]);
    expect(stderr()).not.toMatch(/FAILSAFE/);
    signals.settle(3);
    host.signal('SIGTERM');
    expect(host.exits).toEqual([3]);
    expect(applies).toEqual([]);
  });

  it('the deadline after a first signal runs on the session clock: a restore that never verifies ends in exit 4 in virtual time', async () => {
    const { session, sim, io, clock, stderr } = await open('wait');
    const host = new FakeHost(() => session.operator('ack', 'test: the process exits'));
    handleSignals(session, io, { host });
    session.telemetry$.subscribe((e) => {
      if (e.kind === 'state' && e.state === 'active.highPressure.dwelling') {
        sim.ventilator.faults.refuseApplies = 1_000;
        queueMicrotask(() => host.signal('SIGINT'));
      }
    });
    const wallStart = Date.now();
    await runSession(session);
    const s = session.context.safety;
    expect(host.exits).toEqual([4]);
    expect(clock.now()).toBeGreaterThanOrEqual((s.restoreTimeoutS + s.restoreRetryDelayS) * 1000 * (s.restoreAttempts + 1));
    expect(Date.now() - wallStart).toBeLessThan(5_000);
    expect(stderr()).toMatch(/CHECK THE VENTILATOR/);
    await session.close();
  });

  it('concurrent direct restores share one attempt sequence, and close waits for it instead of pulling the port from under it', async () => {
    const { session, clock } = await open('end');
    const applies: number[] = [];
    const vent = session.options.ventilator;
    const apply = vent.apply.bind(vent);
    vent.apply = (c) => (applies.push(1), apply(c));
    session.begin();
    let done = false;
    const all = Promise.all([session.emergencyRestore('one'), session.emergencyRestore('two'), session.close()]).finally(() => (done = true));
    for (let i = 0; i < 1000 && !done; i++) {
      clock.advanceBy(100);
      await new Promise((r) => setImmediate(r));
    }
    const [a, b] = await all;
    expect(a).toBe(true);
    expect(b).toBe(true);
    expect(applies).toHaveLength(1);
    expect(await session.emergencyRestore('after close')).toBe(true);
    expect(applies).toHaveLength(1);
  });
});

describe('a signal during the post-maneuver watch (issue 19)', () => {
  it('ends the watch (operator) and the completed session with its settings kept: no exit, no restore, nothing written', async () => {
    const clock = new VirtualClock(0);
    const sim = await openSimulatedSession({ maneuver: 'sustained-inflation', protocol: defaultProtocol('sustained-inflation'), profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, baseline: DEFAULT_SIM_BASELINE, session: { onCompleted: 'wait', onFailsafe: 'end' } });
    const session = sim.session;
    let err = '';
    const io = { stdout: () => undefined, stderr: (s: string) => void (err += s), isTTY: false };
    const host = new FakeHost();
    let watch: ReturnType<typeof watchAfter> = null;
    const applies: number[] = [];
    session.telemetry$.subscribe((e) => {
      if (e.kind !== 'state' || e.state !== 'completed' || watch) return;
      const apply = sim.ventilator.apply.bind(sim.ventilator);
      sim.ventilator.apply = (c) => (applies.push(1), apply(c));
      watch = watchAfter(session, { ...session.summary(), outcome: 'completed' }, DEFAULT_WATCH_CONFIG)!;
      void watch.done.then(() => session.operator('end', 'post-maneuver watch ended'));
      clock.setTimeout(() => host.signal('SIGINT'), 90_000);
    });
    handleSignals(session, io, { host, onWatch: (sig) => (watch && watch.state.status !== 'ended' ? (watch.end(`operator (${sig})`), true) : false) });
    const summary = await runSession(session);
    expect(summary).toMatchObject({ outcome: 'completed', state: 'finished', baselineVerified: false });
    const w = await watch!.done;
    expect(w).toMatchObject({ endedBy: 'operator (SIGINT)', watchedMs: 90_000 });
    expect(err).toMatch(/SIGINT: ending the post-maneuver watch/);
    expect(host.exits).toEqual([]);
    expect(applies).toEqual([]);
    await session.close();
  });
});
