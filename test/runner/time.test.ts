/**
 * Time the controller can trust (issue 13): a sample's claimed time never makes it fresher
 * than its receipt, and the wall clock of device runs is monotonic.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock, WallClock } from '../../common/clock.js';
import { defaultProtocol, type Protocol } from '../../machines/index.js';
import { runSession } from '../../src/runner/drive.js';
import { Session } from '../../src/runner/session.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';
import { BASELINE, NORMAL_VITALS } from '../support/driver.js';
import { FakeVentilator } from '../support/fakeVentilator.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';

async function open(protocol: Protocol, script: (now: number) => Record<string, number> | null, periodMs = 1000) {
  const clock = new VirtualClock(0);
  const ventilator = new FakeVentilator({ ...BASELINE }, clock, undefined, 200);
  const vitals = new ScriptedVitals(clock, script, periodMs);
  const session = await Session.open({ maneuver: protocol.maneuver, protocol, ventilator, vitals, clock });
  const events: TelemetryEvent[] = [];
  session.telemetry$.subscribe((e) => events.push(e));
  return { clock, session, events };
}

describe('sample times', () => {
  it('a sample dated 120 s in the future does not delay the stale-vitals abort: it is rejected and counted', async () => {
    let lastRealAt = 0;
    let dwellAt: number | null = null;
    const { session, events } = await open(defaultProtocol('high-pressure-pcv'), (now) => {
      if (dwellAt === null || now < dwellAt + 20_000) {
        lastRealAt = now;
        return { ...NORMAL_VITALS };
      }
      // From 20 s into the hold the monitor sends one last sample, dated 120 s ahead, then nothing.
      return now < dwellAt + 21_000 ? { ...NORMAL_VITALS, t: now + 120_000 } : null;
    });
    session.telemetry$.subscribe((e) => {
      if (e.kind === 'state' && e.state === 'active.highPressure.dwelling') dwellAt = e.t;
    });
    const summary = await runSession(session);
    expect(summary.abort).toMatchObject({ reason: 'stale-vitals', guard: 'vitalsStale' });
    // Judged from the last sample it could trust, within the limit plus one tick.
    const s = session.context.safety;
    expect(summary.abort!.at - lastRealAt).toBeLessThanOrEqual((s.vitalsStaleS + 1.5) * 1000);
    expect(session.rejectedSamples.future).toBe(1);
    expect(events.find((e) => e.kind === 'rejected-sample')).toMatchObject({ reason: 'future-timestamp', count: 1 });
    await session.close();
  });

  it('rejections are reported once and then every 100th, so a broken source cannot flood the journal', async () => {
    // A monitor at 10 Hz whose every sample claims to be a minute ahead, for the whole warm-up.
    const { session, events, clock } = await open(defaultProtocol('high-pressure-pcv'), (now) => ({ ...NORMAL_VITALS, t: now + 60_000 }), 100);
    session.begin();
    clock.advanceBy(60_000);
    expect(session.rejectedSamples.future).toBeGreaterThanOrEqual(300);
    expect(events.filter((e) => e.kind === 'rejected-sample').map((e) => (e as { count?: number }).count)).toEqual([1, 100, 200, 300]);
    // Nothing it sent counted: the start was refused for want of vitals, and nothing was commanded.
    expect(session.state).toBe('notStarted');
    expect(events.some((e) => e.kind === 'command')).toBe(false);
    await session.close();
  });
});

describe('the wall clock', () => {
  it('is monotonic: a calendar clock stepping back 60 s or forward neither freezes nor shortens time', () => {
    let mono = 5_000;
    let calendar = 1_700_000_000_000;
    const clock = new WallClock(1, () => mono, () => calendar);
    const t0 = clock.now();
    expect(t0).toBe(1_700_000_000_000);
    calendar -= 60_000; // NTP steps the system clock back
    mono += 1_000;
    expect(clock.now() - t0).toBe(1_000);
    calendar += 3_600_000; // and forward
    mono += 2_000;
    expect(clock.now() - t0).toBe(3_000);
  });

  it('scales real time by its speed', () => {
    let mono = 0;
    const clock = new WallClock(20, () => mono, () => 0);
    mono = 1_000;
    expect(clock.now()).toBe(20_000);
  });

  it('reads the real monotonic clock by default (no calendar time after construction)', () => {
    const clock = new WallClock();
    const a = clock.now();
    const b = clock.now();
    expect(b).toBeGreaterThanOrEqual(a);
  });
});
