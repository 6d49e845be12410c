/**
 * Which ventilator a journal belongs to. A session on a device journals the identity its
 * adapter reported (`identify()`) with the port it was opened on; recovery compares it with
 * the device it is about to write to, and refuses a different one.
 *
 * The rule (a USB serial adapter may re-enumerate under another port name):
 * - protocol and model must always match;
 * - MakAir: the device id (the controller board's unique id) must match; the port may differ;
 * - MEDIBUS: its identification number names the device type, not the unit, so the port must
 *   match as well (as it must for any device that reports no id).
 */
import { z } from 'zod';
import type { DeviceInfo } from '../../hal/port.js';

export const DeviceIdentitySchema = z
  .object({
    /** `makair` | `medibus`: the --device protocol. */
    protocol: z.string().max(40),
    port: z.string().max(4096),
    vendor: z.string().max(200),
    model: z.string().max(200),
    /** What the device reported as its identity, if anything. */
    id: z.string().max(200).nullable(),
    /** True when `id` names one unit (a serial number), false when it names a type. */
    idIsUnique: z.boolean(),
    firmware: z.string().max(200).nullable(),
  })
  .strict();

export type DeviceIdentity = z.output<typeof DeviceIdentitySchema>;

/**
 * The identity of a connected device.
 *
 * @example
 * identityOf('makair', '/dev/ttyUSB0', await ventilator.identify());
 */
export function identityOf(protocol: string, port: string, info: DeviceInfo): DeviceIdentity {
  return {
    protocol,
    port,
    vendor: info.vendor,
    model: info.model,
    id: info.id ?? null,
    idIsUnique: protocol === 'makair' && Boolean(info.id),
    firmware: info.firmware ?? null,
  };
}

export const describeIdentity = (d: DeviceIdentity): string =>
  `${d.vendor} ${d.model}${d.id ? ` id ${d.id}` : ''} (${d.protocol} on ${d.port})`;

/**
 * Whether `now` is the device `recorded` names; when not, the first difference.
 *
 * @example
 * sameDevice(journaled, current); // { same: false, difference: 'device id 4242-1-2 is not 7-7-7' }
 */
export function sameDevice(recorded: DeviceIdentity, now: DeviceIdentity): { same: boolean; difference: string | null } {
  const differ = (what: string, a: unknown, b: unknown) => ({ same: false, difference: `${what}: the journal's is ${String(a)}, this one's is ${String(b)}` });
  if (recorded.protocol !== now.protocol) return differ('protocol', recorded.protocol, now.protocol);
  if (recorded.model !== now.model) return differ('model', recorded.model, now.model);
  if (recorded.id !== now.id) return differ('device id', recorded.id ?? '(none)', now.id ?? '(none)');
  if (!(recorded.idIsUnique && now.idIsUnique) && recorded.port !== now.port) return differ('port (the device reports no unique id, so the port must match)', recorded.port, now.port);
  return { same: true, difference: null };
}
