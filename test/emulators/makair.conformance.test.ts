/** The conformance suite on `MakAirVentilator` against `MakAirEmulator`, in process, virtual time. */
import { MakAirVentilator } from '../../hal/makair/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import { MakAirEmulator } from '../../emulators/index.js';
import { ventilatorConformance } from '../../conformance/index.js';
import { Lockstep, MAKAIR_BASELINE, world } from './support/rig.js';

ventilatorConformance('MakAirVentilator against MakAirEmulator (in process)', async () => {
  const clocks = new Lockstep();
  const [hostSide, deviceSide] = transportPair();
  const emulator = new MakAirEmulator({ transport: deviceSide, clock: clocks.device, world: world(clocks.device, MAKAIR_BASELINE) });
  emulator.start();
  const ventilator = new MakAirVentilator({ transport: hostSide, clock: clocks.host, fio2: MAKAIR_BASELINE.fio2 });
  return {
    ventilator,
    advance: (ms) => clocks.advance(ms),
    cutLink: () => emulator.faults.drop(),
    pendingTimers: () => clocks.host.pending(),
    teardown: async () => {
      await emulator.close();
      await deviceSide.close();
    },
  };
});
