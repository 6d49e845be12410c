/**
 * Flags that apply to one target only. A flag given for the other target would be silently
 * ignored, so the operator would believe a setting took effect that did not: that is bad
 * input (exit 2), naming the flag.
 */
import { CliError } from './exitCodes.js';

/** Flags of a ventilator (`--device`): the serial line, the oxygen supply, the MEDIBUS family, the monitor feed. */
const DEVICE_ONLY = ['fio2', 'family', 'medibusCodes', 'vitals', 'vitalsBaud', 'baud', 'parity', 'dataBits', 'stopBits'] as const;
/** Flags of the built-in simulator: the simulated patient. */
const SIMULATOR_ONLY = ['patient', 'baseline', 'seed', 'artifacts', 'dropouts'] as const;

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Throws a `CliError` for the first flag given that does not apply to `target`.
 *
 * @example
 * rejectFlagsNotFor('simulator', { patient: 'moderate-ards', fio2: '0.4' }); // throws: --fio2 applies to a ventilator (--device) only
 */
export function rejectFlagsNotFor(target: 'device' | 'simulator', flags: object, extra: { simulatorOnly?: readonly string[] } = {}): void {
  const given = (k: string): boolean => (flags as Record<string, unknown>)[k] !== undefined;
  if (target === 'simulator') {
    for (const f of DEVICE_ONLY) {
      if (given(f)) throw new CliError(`--${kebab(f)} applies to a ventilator (--device) only; this run is on the built-in simulator, where it would be ignored`);
    }
  } else {
    for (const f of [...SIMULATOR_ONLY, ...(extra.simulatorOnly ?? [])]) {
      if (given(f)) throw new CliError(`--${kebab(f)} is for the simulator; with --device the patient is real`);
    }
  }
  if (given('journalDecimate') && !given('journal')) throw new CliError('--journal-decimate applies with --journal only');
  if (given('journalKey') && !given('journal')) throw new CliError('--journal-key applies with --journal only');
}
