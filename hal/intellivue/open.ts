/**
 * Opening an IntelliVue from a spec string, as `--vitals intellivue:udp:HOST[:PORT]` and
 * `--vitals intellivue:serial:PATH` give it. Bad specs fail with the value and what is allowed.
 */
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { parseOrThrow } from '../../common/validation.js';
import { SerialSettingsSchema } from '../serial/config.js';
import { SerialTransport, type SerialBinding } from '../serial/transport.js';
import { DATA_EXPORT_PORT } from './constants.js';
import { IntelliVueVitalsSource, type IntelliVueOptions } from './host.js';
import { MibMessageTransport, UdpMessageTransport } from './transport.js';

export type IntelliVueSpec = { transport: 'udp'; host: string; port: number } | { transport: 'serial'; path: string; baudRate: number };

/** The MIB/RS232 line: 115200 baud, 8N1 (the guide's setting for the MIB port). */
export const MIB_BAUD = 115_200;

const HostSchema = z
  .string()
  .min(1, { error: 'names no host' })
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, { error: 'must be a host name, an IPv4 address or a bracketed IPv6 address' });
const PortSchema = z.coerce.number({ error: 'must be a port number 1-65535' }).int({ error: 'must be a whole port number 1-65535' }).min(1, { error: 'must be a port number 1-65535' }).max(65_535, { error: 'must be a port number 1-65535' });

/**
 * Parses the part after `intellivue:`. Throws `Error` naming the value and the accepted forms.
 *
 * @example
 * parseIntelliVueSpec('udp:10.0.0.5');        // { transport: 'udp', host: '10.0.0.5', port: 24105 }
 * parseIntelliVueSpec('serial:/dev/ttyUSB2'); // { transport: 'serial', path: '/dev/ttyUSB2', baudRate: 115200 }
 */
export function parseIntelliVueSpec(spec: string): IntelliVueSpec {
  const usage = 'intellivue:udp:HOST[:PORT] (default port 24105) or intellivue:serial:PATH';
  const m = /^(udp|serial):(.*)$/i.exec(spec);
  if (!m) throw new Error(`${JSON.stringify(`intellivue:${spec}`)}: must be ${usage}`);
  const rest = m[2]!;
  if (m[1]!.toLowerCase() === 'serial') {
    if (rest.trim() === '') throw new Error(`intellivue:serial: names no port: must be ${usage}`);
    return { transport: 'serial', path: rest, baudRate: MIB_BAUD };
  }
  const hp = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(rest);
  if (!hp) throw new Error(`intellivue:udp:${rest}: must be ${usage}`);
  const host = HostSchema.safeParse(hp[1]);
  if (!host.success) throw new Error(`intellivue:udp host ${JSON.stringify(hp[1])} ${host.error.issues[0]!.message} (${usage})`);
  let port = DATA_EXPORT_PORT;
  if (hp[2] !== undefined) {
    const p = PortSchema.safeParse(hp[2] === '' ? Number.NaN : hp[2]);
    if (!p.success) throw new Error(`intellivue:udp port ${JSON.stringify(hp[2])} ${p.error.issues[0]!.message}`);
    port = p.data;
  }
  return { transport: 'udp', host: host.data.replace(/^\[|\]$/g, ''), port };
}

/** Where a spec points, for messages and journal headers. */
export function describeIntelliVueSpec(s: IntelliVueSpec): string {
  return s.transport === 'udp' ? `intellivue:udp:${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}` : `intellivue:serial:${s.path}`;
}

/**
 * Opens the transport a spec names and returns the (not yet connected) vitals source.
 *
 * @example
 * const vitals = await openIntelliVue(parseIntelliVueSpec('udp:10.0.0.5'), { clock });
 * await vitals.connect();
 */
export async function openIntelliVue(
  spec: IntelliVueSpec,
  options: Omit<IntelliVueOptions, 'transport'> & { binding?: SerialBinding },
): Promise<IntelliVueVitalsSource> {
  const { binding, ...rest } = options;
  if (spec.transport === 'udp') {
    return new IntelliVueVitalsSource({ ...rest, transport: await UdpMessageTransport.open(spec.host, spec.port) });
  }
  const settings = parseOrThrow(SerialSettingsSchema, { path: spec.path, baudRate: spec.baudRate, parity: 'none', dataBits: 8, stopBits: 1 }, 'IntelliVue MIB serial settings');
  const port = binding ? await SerialTransport.open(settings, binding) : await SerialTransport.open(settings);
  return new IntelliVueVitalsSource({ ...rest, transport: new MibMessageTransport(port, spec.path) });
}
