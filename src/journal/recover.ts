/**
 * Crash recovery. A journal whose last session has no outcome line belongs to a process
 * that died mid-maneuver (SIGKILL, power loss): the ventilator may still hold maneuver
 * pressures. Recovery reads the baseline recorded at the start and restores it on the
 * device, verified by readback, and appends what it did to the same journal.
 */
import type { DeviceSettingsBaseline, Ventilator } from '../../hal/port.js';
import { settingsMatch, type VentSettings } from '../../machines/index.js';
import type { ParsedJournal } from './read.js';
import type { Journal } from './journal.js';
import { DeviceIdentitySchema, type DeviceIdentity } from './identity.js';

export interface Unfinished {
  maneuver: string;
  baseline: VentSettings;
  /**
   * What recovery restores: the baseline, with FiO2 kept at the highest FiO2 the session commanded
   * when that was above the baseline's (only pre-oxygenation raises it; an aborting patient is not
   * dropped from FiO2 1.0 at once, docs/hazards.md H37). Absent: the baseline.
   */
  restore?: VentSettings;
  /** The last state the journal recorded, and the last command it sent. */
  lastState: string | null;
  lastCommand: { label: string; settings: VentSettings } | null;
  startedAtIso: string | null;
  device: string | null;
  /** The ventilator the session drove, as its adapter identified it (null: not recorded). */
  deviceIdentity: DeviceIdentity | null;
  /** The session id of the unfinished session. */
  session: string | null;
  /** The device's own settings its adapter captured at the start (MakAir alarm thresholds...): restored too where the adapter can. */
  deviceSettings?: DeviceSettingsBaseline | null;
  /** Why a recorded `deviceSettings` was not usable (null: fine or absent). */
  deviceSettingsProblem?: string | null;
}

/** The unfinished maneuver of a journal, or null when its last session ended (or never started). */
export function findUnfinished(j: ParsedJournal): Unfinished | null {
  if (j.outcome || j.recovered) return null;
  if (!j.baseline) return null; // never connected: nothing was changed
  const states = j.states;
  const commands = j.commands;
  const last = commands[commands.length - 1];
  const topFio2 = Math.max(j.baseline.fio2, ...commands.map((c) => c.settings.fio2));
  return {
    maneuver: j.protocol.maneuver,
    baseline: j.baseline,
    restore: topFio2 > j.baseline.fio2 + 1e-9 ? { ...j.baseline, fio2: topFio2 } : j.baseline,
    lastState: states[states.length - 1] ?? null,
    lastCommand: last ? { label: last.label, settings: last.settings } : null,
    startedAtIso: typeof j.header['time'] === 'string' ? j.header['time'] : null,
    device: typeof j.header['device'] === 'string' ? j.header['device'] : null,
    deviceIdentity: DeviceIdentitySchema.safeParse(j.header['deviceIdentity']).data ?? null,
    session: typeof j.header['session'] === 'string' ? j.header['session'] : null,
    deviceSettings: j.deviceSettings,
    deviceSettingsProblem: j.deviceSettingsProblem,
  };
}

export interface RecoveryResult {
  restored: boolean;
  /** True when the device already held the baseline (nothing was sent). */
  alreadyAtBaseline: boolean;
  readback: VentSettings | null;
  attempts: number;
  errors: string[];
}

/**
 * Restores the recorded baseline on a connected ventilator, verified by readback, retrying
 * `attempts` times; journals every step when a journal is given.
 *
 * @example
 * const u = findUnfinished(readJournal(path));
 * if (u) await recoverBaseline(u, ventilator, { journal: Journal.open(path) });
 */
export async function recoverBaseline(u: Unfinished, ventilator: Ventilator, options: { journal?: Journal; attempts?: number; device?: DeviceIdentity } = {}): Promise<RecoveryResult> {
  const journal = options.journal;
  const errors: string[] = [];
  const target = u.restore ?? u.baseline;
  journal?.write('recover-start', { recovers: u.session, device: options.device ?? null, maneuver: u.maneuver, baseline: u.baseline, lastState: u.lastState, lastCommand: u.lastCommand });
  const adopted = adoptCaptured(u, ventilator, errors);
  if (adopted !== null) journal?.write(adopted.ok ? 'recover-device-settings' : 'recover-error', adopted.ok ? { settings: u.deviceSettings, note: adopted.note } : { attempt: 0, message: adopted.note });
  let readback: VentSettings | null = null;
  try {
    readback = await ventilator.readSettings();
  } catch (e) {
    errors.push(`read settings: ${(e as Error).message}`);
  }
  // With the captured device settings adopted, the restore runs even when the five settings match:
  // an alarm threshold the firmware moved is not in them (it sends nothing when all are back).
  if (readback && settingsMatch(target, readback) && adopted?.ok !== true) {
    journal?.write('recover-outcome', { restored: true, alreadyAtBaseline: true, readback });
    return { restored: true, alreadyAtBaseline: true, readback, attempts: 0, errors };
  }
  const max = options.attempts ?? 3;
  for (let attempt = 1; attempt <= max; attempt++) {
    try {
      journal?.write('recover-command', { attempt, settings: target });
      await ventilator.apply(target);
      readback = await ventilator.readSettings();
      const ok = settingsMatch(target, readback);
      journal?.write('recover-readback', { attempt, settings: readback, matches: ok });
      if (ok) {
        journal?.write('recover-outcome', { restored: true, alreadyAtBaseline: false, readback, attempts: attempt });
        return { restored: true, alreadyAtBaseline: false, readback, attempts: attempt, errors };
      }
      errors.push(`attempt ${attempt}: readback does not match the baseline`);
    } catch (e) {
      errors.push(`attempt ${attempt}: ${(e as Error).message}`);
      journal?.write('recover-error', { attempt, message: (e as Error).message });
    }
  }
  journal?.write('recover-outcome', { restored: false, readback, attempts: max, errors });
  return { restored: false, alreadyAtBaseline: false, readback, attempts: max, errors };
}

/**
 * Gives the adapter the device settings captured at the start of the unfinished session, when
 * the journal has them and the adapter takes them; null when there is nothing to adopt. A
 * failure is reported (and the five settings are still restored).
 */
function adoptCaptured(u: Unfinished, ventilator: Ventilator, errors: string[]): { ok: boolean; note: string } | null {
  if (u.deviceSettingsProblem) {
    const note = `the device settings captured at the start are not usable (${u.deviceSettingsProblem}): only the baseline's mode, pressures and rate are restored; check the alarm thresholds by hand`;
    errors.push(note);
    return { ok: false, note };
  }
  if (!u.deviceSettings || !ventilator.adoptDeviceSettingsBaseline) return null;
  try {
    ventilator.adoptDeviceSettingsBaseline(u.baseline, u.deviceSettings);
    return { ok: true, note: `${Object.keys(u.deviceSettings.settings).length} device settings captured at the start are restored with the baseline` };
  } catch (e) {
    const note = `the device settings captured at the start cannot be restored (${(e as Error).message}): only the baseline's mode, pressures and rate are; check the alarm thresholds by hand`;
    errors.push(note);
    return { ok: false, note };
  }
}
