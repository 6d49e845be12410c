/** Issue 19: scripted disconnection / open suction on the simulated world (PEEP lost for the event only). */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { SimulatedVentilator, SimWorld } from '../../../hal/simulated/index.js';
import { BUILTIN_PROFILES } from '../../../sim/index.js';

const SETTINGS = { mode: 'PCV' as const, peepCmH2O: 14, peakCmH2O: 29, rateBpm: 20, fio2: 0.5 };

function world() {
  const clock = new VirtualClock(0);
  const w = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: SETTINGS });
  w.start();
  const until = (t: number) => {
    while (clock.now() < t && clock.runNext());
  };
  return { clock, w, until };
}

describe('SimWorld circuit events', () => {
  it('a disconnection takes PEEP and breaths away for its duration, then the ventilator settings return', () => {
    const { w, until } = world();
    w.scheduleCircuitEvent({ kind: 'disconnection', atMs: 10_000, durationMs: 20_000 });
    until(15_000);
    expect(w.patient.breath().peepCmH2O).toBe(0);
    expect(w.patient.breath().tidalVolumeMl).toBe(0);
    expect(w.patient.settings().fio2).toBe(0.21);
    until(31_000);
    expect(w.patient.settings()).toEqual(SETTINGS);
    expect(w.circuitEvents()).toHaveLength(1);
  });

  it('open suction keeps the set FiO2; a setting applied meanwhile reaches the patient only at reconnection', async () => {
    const { clock, w, until } = world();
    const vent = new SimulatedVentilator({ world: w });
    await vent.connect();
    w.scheduleCircuitEvent({ kind: 'suction', atMs: 5000, durationMs: 15_000 });
    until(6000);
    expect(w.patient.settings()).toMatchObject({ peepCmH2O: 0, fio2: 0.5 });
    const applied = vent.apply({ peepCmH2O: 12, peakCmH2O: 27 });
    until(clock.now() + 1000);
    await applied;
    expect(w.patient.settings().peepCmH2O).toBe(0);
    until(21_000);
    expect(w.patient.settings()).toMatchObject({ peepCmH2O: 12, peakCmH2O: 27 });
    await vent.close();
  });

  it('an event in the past or without a duration is refused', () => {
    const { w, until } = world();
    until(10_000);
    expect(() => w.scheduleCircuitEvent({ kind: 'disconnection', atMs: 5000, durationMs: 1000 })).toThrow(/atMs >= now/);
    expect(() => w.scheduleCircuitEvent({ kind: 'suction', atMs: 20_000, durationMs: 0 })).toThrow(/durationMs > 0/);
  });
});
