/**
 * Issue 21, point 8, driven by the emulator: the firmware's "plateau not reached" while the
 * plateau ramps after a step is an expected transient (no abort when it clears within the
 * grace), but not when it outlasts the grace; any other high-priority alarm aborts at once.
 * Emulator and adapter on one VirtualClock (20 breaths/min: a state snapshot every 3 s).
 */
import { describe, expect, it } from 'vitest';
import type { DeviceFault } from '../../hal/port.js';
import { makairOnOneClock, track } from './support/rig.js';

async function connected() {
  const { clock, emulator, vent, faults, advance, connect } = makairOnOneClock({ fio2: 0.4 }, 50);
  expect((await connect()).state).toBe('resolved');
  /** Applies a high-pressure step (PEEP 20, plateau 35) and waits for its confirmation. */
  const step = async () => {
    const p = track(vent.apply({ peepCmH2O: 20, peakCmH2O: 35 }));
    for (let t = 0; t < 10_000 && p.state === 'pending'; t += 100) await advance(100);
    expect(p.state).toBe('resolved');
  };
  const close = async () => {
    await vent.close();
    await emulator.close();
  };
  return { clock, emulator, vent, faults, advance, step, close };
}

const alarms = (faults: DeviceFault[]) => faults.filter((f) => f.code === 'device-alarm');

describe('MakAir alarm policy against the emulator', () => {
  it('plateau not reached for two breaths after a step, then reached: the maneuver goes on (no device-alarm)', async () => {
    const r = await connected();
    await r.step();
    r.emulator.raiseAlarm(12);
    await r.advance(6000); // two state snapshots list it
    r.emulator.clearAlarm(12);
    await r.advance(30_000);
    expect(alarms(r.faults)).toEqual([]);
    await r.close();
  });

  it('plateau not reached beyond the grace (4 breaths): one device-alarm fault, which aborts the maneuver', async () => {
    const r = await connected();
    await r.step();
    const t0 = r.clock.now();
    r.emulator.raiseAlarm(12);
    await r.advance(9000);
    expect(alarms(r.faults)).toEqual([]); // still within the grace
    await r.advance(9000);
    const a = alarms(r.faults);
    expect(a).toHaveLength(1);
    expect(a[0]!.message).toMatch(/alarm 12 \(plateau pressure not reached\) still active 4 breaths after the step change/);
    expect(a[0]!.t - t0).toBeLessThanOrEqual(5 * 3000 + 100);
    await r.close();
  });

  it('patient unplugged (11) right after a step aborts at once', async () => {
    const r = await connected();
    await r.step();
    r.emulator.raiseAlarm(11);
    await r.advance(100);
    expect(alarms(r.faults).map((f) => f.message)).toEqual([expect.stringMatching(/alarm 11 \(patient unplugged\)/)]);
    await r.close();
  });

  it('plateau not reached with no step change aborts at once', async () => {
    const r = await connected();
    await r.advance(20_000); // long after connect, no setting changed
    r.emulator.raiseAlarm(12);
    await r.advance(100);
    expect(alarms(r.faults)).toHaveLength(1);
    await r.close();
  });
});
