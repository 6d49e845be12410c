/** The flags and I/O of `rmseq emulate` (every device kind), apart from the commands that use them. */
import type { VentSettings } from '../../machines/types.js';
import type { SerialFlags } from './device.js';

export interface EmulateFlags extends SerialFlags {
  port: string;
  vitalsPort?: string;
  vitalsBaud?: string;
  patient: string;
  seed?: string;
  speed?: string;
  /** MEDIBUS device family: evita, primus or v300. */
  device?: string;
  /** The device's settings at start (a baseline .json); default PCV PEEP 10, peak 25, 20/min, FiO2 0.4. */
  baseline?: string;
  /** IntelliVue only: `udp:HOST:PORT` where the LAN interface listens. */
  listen?: string;
  /** The identity the device reports: MakAir `<n>-<n>-<n>` (default derived from --port), MEDIBUS 4 characters (default per family). */
  deviceId?: string;
  /** MEDIBUS: a code table file the emulated device reports through (e.g. a Primus as its own MEDIBUS document numbers the values). */
  medibusCodes?: string;
}

export interface EmulateIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Control commands, one per line (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Stops the emulator when it settles (default: SIGINT or SIGTERM). */
  until?: Promise<unknown>;
}

/** The emulated device's settings when none are given: lung-protective PCV the MakAir and every MEDIBUS family can hold. */
export const DEFAULT_EMULATED_SETTINGS: VentSettings = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };


/** Resolves on the first SIGINT or SIGTERM (an emulator runs until then), removing its handlers. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
