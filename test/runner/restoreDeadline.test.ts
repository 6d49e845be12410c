/**
 * A baseline restore that is not confirmed escalates at its deadline (issue 17 point 1).
 * The machine checks the restore deadline on its clock ticks; with the monitor streaming
 * samples the runner sent no tick, so an unconfirmed guided restore waited for the guided
 * instruction's own timeout (590 s per attempt, 27 minutes to FAILSAFE) while the screen
 * promised 60 s. Each missed restore deadline is a HIGH alarm; FAILSAFE follows the last one.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { defaultProtocol } from '../../machines/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { openSimulatedSession } from '../../src/runner/simulated.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';
import { FakeVentilator } from '../support/fakeVentilator.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';
import { BASELINE, NORMAL_VITALS } from '../support/driver.js';
import { Session } from '../../src/runner/session.js';
import { GUIDED_TIMEOUT_MAX_MS } from '../../hal/guided/index.js';

async function guidedSession() {
  const clock = new VirtualClock(0);
  const sim = await openSimulatedSession({
    maneuver: 'staircase',
    protocol: defaultProtocol('staircase'),
    profile: BUILTIN_PROFILES['moderate-ards'],
    seed: 1,
    clock,
    baseline: DEFAULT_SIM_BASELINE,
    guided: { timeoutMs: GUIDED_TIMEOUT_MAX_MS },
    session: { onCompleted: 'wait', onFailsafe: 'wait' },
  });
  const events: TelemetryEvent[] = [];
  sim.session.telemetry$.subscribe((e) => events.push(e));
  return { clock, sim, events };
}

const flush = () => new Promise<void>((r) => setImmediate(r));
/** Virtual time in 500-ms steps, letting the HAL's promises settle at each. */
async function advance(clock: VirtualClock, ms: number, until: () => boolean = () => false): Promise<void> {
  for (let t = 0; t < ms && !until(); t += 500) {
    clock.advanceBy(500);
    await flush();
  }
}

describe('restore deadline', () => {
  it('guided: an unconfirmed restore raises a HIGH alarm at each deadline the screen shows and reaches FAILSAFE after the last attempt', async () => {
    const { clock, sim, events } = await guidedSession();
    const { session, guided } = sim;
    const prompts: { id: number; since: number }[] = [];
    guided!.prompts$.subscribe((p) => p && p.status === 'waiting' && prompts.push({ id: p.id, since: p.since }));
    session.begin();
    // The first step's instruction: carry it out, let the step run a little, then abort.
    await advance(clock, 120_000, () => prompts.length > 0);
    expect(prompts).toHaveLength(1);
    void guided!.confirm(prompts[0]!.id);
    await advance(clock, 5_000);
    expect(session.state).toMatch(/^active\..*dwelling$/);
    session.operator('abort', 'test');
    const abortAt = clock.now();
    const safety = session.options.protocol.safety;
    expect(session.state).toMatch(/^aborting/);
    // Nobody confirms the restore. Advance in 1-s steps, samples keep flowing.
    let failsafeAt: number | null = null;
    for (let t = 0; t < 20 * 60_000 && failsafeAt === null; t += 1000) {
      await advance(clock, 1000);
      if (session.state.startsWith('failsafe')) failsafeAt = clock.now();
    }
    expect(failsafeAt).not.toBeNull();
    const perAttempt = safety.restoreTimeoutS * 1000 + safety.restoreRetryDelayS * 1000;
    expect(failsafeAt! - abortAt).toBeLessThanOrEqual(safety.restoreAttempts * perAttempt + 5_000);
    const high = events.filter((e): e is Extract<TelemetryEvent, { kind: 'alarm' }> => e.kind === 'alarm' && e.priority === 'high');
    // One per missed deadline, and the FAILSAFE one.
    const missed = high.filter((a) => /restore not confirmed/i.test(a.message));
    expect(missed).toHaveLength(safety.restoreAttempts);
    expect(missed[0]!.t - abortAt).toBeGreaterThanOrEqual(safety.restoreTimeoutS * 1000);
    expect(missed[0]!.t - abortAt).toBeLessThanOrEqual(safety.restoreTimeoutS * 1000 + 2000);
    expect(missed[0]!.message).toMatch(/attempt 1 of 3/);
    expect(high.some((a) => a.message.startsWith('FAILSAFE'))).toBe(true);
    await session.close();
  });

  it('not guided: a ventilator that never answers the restore still reaches FAILSAFE on time while samples flow', async () => {
    const clock = new VirtualClock(0);
    const protocol = defaultProtocol('staircase');
    const ventilator = new FakeVentilator({ ...BASELINE }, clock, undefined, 200);
    const vitals = new ScriptedVitals(clock, () => ({ ...NORMAL_VITALS }));
    const session = await Session.open({ maneuver: 'staircase', protocol, ventilator, vitals, clock, onFailsafe: 'wait' });
    const events: TelemetryEvent[] = [];
    session.telemetry$.subscribe((e) => events.push(e));
    session.begin();
    let aborted = false;
    let abortAt = 0;
    let failsafeAt: number | null = null;
    for (let t = 0; t < 10 * 60_000 && failsafeAt === null; t += 500) {
      await advance(clock, 500);
      if (!aborted && session.state.endsWith('dwelling')) {
        // From now on the ventilator accepts nothing and never answers.
        ventilator.apply = () => new Promise(() => undefined);
        session.operator('abort', 'test');
        aborted = true;
        abortAt = clock.now();
      }
      if (session.state.startsWith('failsafe')) failsafeAt = clock.now();
    }
    expect(aborted).toBe(true);
    expect(failsafeAt).not.toBeNull();
    const s = protocol.safety;
    expect(failsafeAt! - abortAt).toBeLessThanOrEqual(s.restoreAttempts * (s.restoreTimeoutS + s.restoreRetryDelayS) * 1000 + 5000);
    expect(events.filter((e) => e.kind === 'alarm' && e.priority === 'high' && /restore not confirmed/i.test(e.message))).toHaveLength(s.restoreAttempts);
    await session.close();
  });
});
