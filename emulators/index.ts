/**
 * Device emulators: the device side of the MakAir and MEDIBUS protocols, driven by the
 * simulated patient, so that rm-sequencer (or a third-party host) can run against them over
 * a pseudo-terminal or a serial cable without hardware. See docs/integration.md.
 *
 * @example
 * import { WallClock } from 'rm-sequencer';
 * import { MakAirEmulator } from 'rm-sequencer/emulators';
 * import { SimWorld } from 'rm-sequencer/hal/simulated';
 * import { SerialTransport } from 'rm-sequencer/hal/serial';
 * import { BUILTIN_PROFILES } from 'rm-sequencer/sim';
 * const clock = new WallClock();
 * const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 } });
 * const transport = await SerialTransport.open({ path: '/dev/pts/7', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 });
 * const emulator = new MakAirEmulator({ transport, clock, world });
 */
export { FaultSwitches, type FaultStatus, type FaultChange, type OutgoingFault } from './faults.js';
export { FrameWriter, type WireStats } from './wire.js';
export type { DeviceEmulator, EmulatorEvent, EmulatorEventKind, EmulatorStatus } from './types.js';
export { MakAirEmulator, type MakAirEmulatorOptions } from './makair/emulator.js';
export { MedibusEmulator, MEDIBUS_EMULATOR_IDENTITY, type MedibusEmulatorOptions, type MedibusLinkState } from './medibus/emulator.js';
export { VitalsFeedEmulator, type VitalsFeedOptions, type VitalsFeedStats } from './vitalsFeed.js';
export { parseControlLine, executeControl, KnobSchema, CONTROL_HELP, type ControlCommand, type ControlParse, type CountedFault } from './control.js';
