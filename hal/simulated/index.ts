/**
 * The simulated adapters (the only part of hal/ that imports sim/): one simulated patient
 * (`SimWorld`) seen through the `Ventilator` and `VitalsSource` ports.
 *
 * @example
 * import { VirtualClock } from 'rm-sequencer';
 * import { SimWorld, SimulatedVentilator, SimulatedVitals } from 'rm-sequencer/hal/simulated';
 * import { BUILTIN_PROFILES } from 'rm-sequencer/sim';
 * const clock = new VirtualClock();
 * const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 } });
 * const ventilator = new SimulatedVentilator({ world });
 * const vitals = new SimulatedVitals({ world });
 */
export * from './world.js';
export * from './ventilator.js';
export * from './vitals.js';
