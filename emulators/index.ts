/**
 * Device emulators: the device side of the MakAir and MEDIBUS protocols, driven by the
 * simulated patient, so that rm-sequencer (or a third-party host) can run against them over
 * a pseudo-terminal or a serial cable without hardware. See docs/integration.md.
 */
export { FaultSwitches, type FaultStatus, type FaultChange, type OutgoingFault } from './faults.js';
export { FrameWriter, type WireStats } from './wire.js';
export type { DeviceEmulator, EmulatorEvent, EmulatorEventKind, EmulatorStatus } from './types.js';
export { MakAirEmulator, type MakAirEmulatorOptions } from './makair/emulator.js';
export { MedibusEmulator, MEDIBUS_EMULATOR_IDENTITY, type MedibusEmulatorOptions, type MedibusLinkState } from './medibus/emulator.js';
export { VitalsFeedEmulator, type VitalsFeedOptions, type VitalsFeedStats } from './vitalsFeed.js';
export { parseControlLine, executeControl, KnobSchema, CONTROL_HELP, type ControlCommand, type ControlParse, type CountedFault } from './control.js';
