/** The simulated ventilator's one-breath PEEP drop: the next breath reports the release (the R/I test). */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { SIMULATED_CAPABILITIES, SimulatedVentilator, SimWorld } from '../../../hal/simulated/index.js';
import type { MonitorSample, VentSettings } from '../../../machines/index.js';
import { BUILTIN_PROFILES } from '../../../sim/index.js';

const VC15: VentSettings = { mode: 'VC', peepCmH2O: 15, peakCmH2O: 40, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };

async function setup(settings: VentSettings) {
  const clock = new VirtualClock(0);
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings });
  const vent = new SimulatedVentilator({ world });
  const samples: MonitorSample[] = [];
  vent.samples$.subscribe((s) => samples.push(s));
  await vent.connect();
  clock.advanceBy(60_000);
  return { clock, world, vent, samples };
}

async function applyAndAdvance(clock: VirtualClock, vent: SimulatedVentilator, change: Partial<VentSettings>, ms: number) {
  const p = vent.apply(change);
  clock.advanceBy(1000);
  await p;
  clock.advanceBy(ms);
}

describe('SimulatedVentilator: one-breath PEEP drop', () => {
  it('says it can drop PEEP for one breath', () => {
    expect(SIMULATED_CAPABILITIES.oneBreathPeepDrop).toBe(true);
  });

  it('reports the release breath once after a VC PEEP drop: VTe above Vt, the plateau of the breath at the low PEEP', async () => {
    const { clock, world, vent, samples } = await setup(VC15);
    const expected = world.patient.releaseBreath(5);
    const before = samples.length;
    await applyAndAdvance(clock, vent, { peepCmH2O: 5 }, 9000);
    const after = samples.slice(before);
    const releases = after.filter((s) => s.expiredVolumeMl !== undefined);
    expect(releases).toHaveLength(1);
    const r = releases[0]!;
    expect(r.expiredVolumeMl).toBe(Math.round(expected.expiredVolumeMl));
    expect(r.expiredVolumeMl!).toBeGreaterThan(420 + 100);
    expect(r.plateauCmH2O).toBeCloseTo(expected.lowPlateauCmH2O, 1);
    // Samples before the drop never carried an expired volume.
    expect(samples.slice(0, before).some((s) => s.expiredVolumeMl !== undefined)).toBe(false);
    await vent.close();
  });

  it('reports no release when PEEP rises, in PCV, or for a drop under 1 cmH2O', async () => {
    const { clock, vent, samples } = await setup(VC15);
    await applyAndAdvance(clock, vent, { peepCmH2O: 20 }, 9000);
    await applyAndAdvance(clock, vent, { peepCmH2O: 19.5 }, 9000);
    await applyAndAdvance(clock, vent, { mode: 'PCV', peakCmH2O: 35 }, 9000);
    await applyAndAdvance(clock, vent, { peepCmH2O: 10 }, 9000);
    expect(samples.some((s) => s.expiredVolumeMl !== undefined)).toBe(false);
    await vent.close();
  });
});
