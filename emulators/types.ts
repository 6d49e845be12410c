/** What both device emulators have in common: the in-process control API and their log. */
import type { Observable } from 'rxjs';
import type { SimWorld } from '../hal/simulated/world.js';
import type { VentSettings } from '../machines/types.js';
import type { FaultStatus, FaultSwitches } from './faults.js';
import type { WireStats } from './wire.js';

export type EmulatorEventKind = 'boot' | 'link' | 'command' | 'setting' | 'refused' | 'ignored' | 'fault' | 'knob' | 'alarm' | 'reboot' | 'error';

/** One line of the emulator's log (the CLI prints them). */
export interface EmulatorEvent {
  t: number;
  kind: EmulatorEventKind;
  message: string;
}

export interface EmulatorStatus {
  protocol: 'makair' | 'medibus';
  /** The settings the device holds, in the controller's units. */
  device: VentSettings;
  /** What the simulated patient receives. */
  patient: VentSettings;
  faults: FaultStatus;
  wire: WireStats;
  alarms: number[];
  /** Protocol-specific counters (frames received, CRC errors, link state ...). */
  counters: Record<string, number | boolean | string>;
}

/**
 * A device emulator: the device side of a protocol, driven by a simulated patient.
 *
 * @example
 * emulator.start();
 * emulator.turnKnob({ peepCmH2O: 15 });   // the therapist at the device
 * emulator.faults.drop(5000);             // the cable pulled for 5 s
 * emulator.reboot();
 */
export interface DeviceEmulator {
  readonly protocol: 'makair' | 'medibus';
  readonly world: SimWorld;
  readonly faults: FaultSwitches;
  readonly events$: Observable<EmulatorEvent>;
  /** Starts talking (boot message / ICC) and ventilating the simulated patient. */
  start(): void;
  /** A person changes settings at the device. Returns the settings the device now holds; throws `RangeError` for a setting it cannot take. */
  turnKnob(change: Partial<VentSettings>): VentSettings;
  /** Restarts the device (MakAir: boot message, firmware defaults; MEDIBUS: the interface re-initialises with ICC). */
  reboot(): void;
  raiseAlarm(code: number, text?: string): void;
  clearAlarm(code: number): void;
  status(): EmulatorStatus;
  /** Stops every timer; closes nothing it was given (the caller closes the transport). */
  close(): Promise<void>;
}
