/**
 * The built-in simulated ventilator as a path subject: what a generated test runs against
 * until a vendor points it at their own `Ventilator` (and a reference to compare with).
 */
import { VirtualClock } from '../common/clock.js';
import { SimulatedVentilator, SimWorld } from '../hal/simulated/index.js';
import type { VentSettings } from '../machines/index.js';
import { BUILTIN_PROFILES, type BuiltinProfileName } from '../sim/index.js';
import type { PathSubject } from './replay.js';

/**
 * A fresh simulated patient and ventilator on a virtual clock, at `baseline`.
 *
 * @example
 * import { simulatedSubject } from 'rm-sequencer/testing';
 * const make = simulatedSubject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 });
 * const { ventilator, advance } = await make();
 */
export function simulatedSubject(baseline: VentSettings, options: { profile?: BuiltinProfileName; seed?: number } = {}): () => Promise<PathSubject> {
  return async () => {
    const clock = new VirtualClock(0);
    const world = new SimWorld({ profile: BUILTIN_PROFILES[options.profile ?? 'moderate-ards'], seed: options.seed ?? 1, clock, settings: baseline });
    const ventilator = new SimulatedVentilator({ world });
    return {
      ventilator,
      advance: async (ms) => {
        clock.advanceBy(ms);
        for (let i = 0; i < 5; i++) await Promise.resolve();
      },
    };
  };
}
