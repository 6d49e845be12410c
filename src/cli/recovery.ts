/**
 * What `recover` and the start-up recovery of `run --journal` and `console --journal` check
 * before they touch a device: the journal's chain is intact, the device connected is the one
 * the journal recorded, and the baseline they would apply is a valid baseline within the
 * device's and the protocol's limits. Any failure is bad input (exit 2): nothing is sent to
 * the device, and the refusal is journaled with both devices.
 */
import { describeProblem, toProblems } from '../../common/validation.js';
import type { VentilatorCapabilities } from '../../hal/port.js';
import type { Protocol } from '../../machines/index.js';
import { describeIdentity, sameDevice, type DeviceIdentity } from '../journal/identity.js';
import type { Journal } from '../journal/journal.js';
import type { Unfinished } from '../journal/recover.js';
import { CliError, EXIT } from './exitCodes.js';
import { BaselineSchema } from './inputs.js';

/** The reasons the baseline may not be applied on this device (empty: it may). */
export function baselineProblems(u: Unfinished, protocol: Protocol, caps: VentilatorCapabilities): string[] {
  const parsed = BaselineSchema.safeParse(u.baseline);
  if (!parsed.success) return toProblems(parsed.error, u.baseline).map(describeProblem);
  const b = parsed.data;
  const out: string[] = [];
  if (!caps.modes.includes(b.mode)) out.push(`mode = "${b.mode}": this device offers ${caps.modes.join(', ')}`);
  const ranges: [keyof typeof caps.ranges, number | undefined][] = [
    ['peepCmH2O', b.peepCmH2O],
    ['peakCmH2O', b.peakCmH2O],
    ['rateBpm', b.rateBpm],
    ['fio2', b.fio2],
    ['tidalVolumeMl', b.tidalVolumeMl],
  ];
  for (const [field, value] of ranges) {
    const r = caps.ranges[field];
    if (value === undefined || !r) continue;
    if (value < r[0] || value > r[1]) out.push(`${field} = ${value}: outside this device's range ${r[0]}-${r[1]}`);
  }
  if (b.mode !== 'CPAP' && b.peakCmH2O > protocol.peakLimitCmH2O) out.push(`peakCmH2O = ${b.peakCmH2O}: above the protocol's peakLimitCmH2O (${protocol.peakLimitCmH2O})`);
  return out;
}

/**
 * Throws a `CliError` (exit 2) and journals `recover-refused` when the unfinished session of
 * `path` may not be recovered on the device `now`; returns quietly when it may.
 *
 * @example
 * assertRecoverable('bed4.jsonl', unfinished, journal.protocol, identityOf('makair', port, info), info.capabilities, writer);
 */
export function assertRecoverable(path: string, u: Unfinished, protocol: Protocol, now: DeviceIdentity, caps: VentilatorCapabilities, journal: Journal | null): void {
  const refuse = (reason: string, message: string): never => {
    journal?.write('recover-refused', { recovers: u.session, reason, journalDevice: u.deviceIdentity, device: now, baseline: u.baseline });
    throw new CliError(message, EXIT.badInput);
  };
  if (!u.deviceIdentity) {
    refuse('no-device-identity', `journal ${path} does not record which ventilator its unfinished ${u.maneuver} ran on, so it cannot be matched with ${describeIdentity(now)}: nothing was sent. Check the ventilator by hand.`);
    return;
  }
  const match = sameDevice(u.deviceIdentity, now);
  if (!match.same) {
    refuse(
      'wrong-device',
      `journal ${path} belongs to ${describeIdentity(u.deviceIdentity)}, not to this device ${describeIdentity(now)} (${match.difference}). Nothing was sent. ` +
        `The journal's ventilator may still be at maneuver pressures: run rmseq recover ${path} on it; use another --journal for this one.`,
    );
  }
  const problems = baselineProblems(u, protocol, caps);
  if (problems.length) {
    refuse('invalid-baseline', `journal ${path}: the baseline it records cannot be applied (nothing was sent):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * A simulator session must not be appended after a maneuver that never finished on a real
 * ventilator: the new session would hide it from `rmseq recover`, and the ventilator may still
 * be at maneuver pressures. Throws a `CliError` (exit 2) and journals the refusal.
 *
 * @example
 * refuseToHideUnfinished('bed4.jsonl', unfinished, journal);
 */
export function refuseToHideUnfinished(path: string, u: Unfinished, journal: Journal | null): void {
  if (u.device === 'simulator' || (!u.deviceIdentity && !/^(makair|medibus):/.test(u.device ?? ''))) return;
  const where = u.deviceIdentity ? describeIdentity(u.deviceIdentity) : String(u.device);
  journal?.write('recover-refused', { recovers: u.session, reason: 'unfinished-device-session', journalDevice: u.deviceIdentity, device: 'simulator' });
  throw new CliError(
    `journal ${path} ends with a ${u.maneuver} that never finished on ${where}: that ventilator may still be at maneuver pressures. ` +
      `Run rmseq recover ${path} on it first, or use another --journal for the simulator.`,
    EXIT.badInput,
  );
}
