import { VirtualClock } from '../../common/clock.js';
import { SimulatedVentilator, SimWorld } from '../../hal/simulated/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { BASELINE } from '../support/driver.js';
import { ventilatorConformance } from '../../conformance/index.js';

ventilatorConformance('SimulatedVentilator', async () => {
  const clock = new VirtualClock(0);
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: BASELINE });
  const ventilator = new SimulatedVentilator({ world });
  return {
    ventilator,
    advance: async (ms) => {
      clock.advanceBy(ms);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
    cutLink: () => ventilator.setLinkDown(true),
    pendingTimers: () => clock.pending(),
  };
});
