/**
 * `--vitals`: `line:<port>` (one JSON object per line, `--vitals-baud`), or a Philips IntelliVue
 * over Data Export: `intellivue:udp:HOST[:PORT]` (LAN, default port 24105) or
 * `intellivue:serial:PATH` (MIB RS232, 115200 8N1 unless `--vitals-baud`).
 */
import { parseIntelliVueSpec } from '../../hal/intellivue/index.js';
import type { VitalsTarget } from '../runner/vitals.js';
import { parseVitalsFlag, vitalsLineSettings } from './device.js';
import { CliError } from './exitCodes.js';

export const VITALS_FORMS = 'line:<port>, intellivue:udp:<host>[:<port>] or intellivue:serial:<port>';

/**
 * @example
 * parseVitalsTarget('intellivue:udp:10.0.0.5');  // { intellivue: { transport: 'udp', host: '10.0.0.5', port: 24105 } }
 * parseVitalsTarget('line:/dev/ttyUSB2');        // { path: '/dev/ttyUSB2', baudRate: 9600, ... }
 */
export function parseVitalsTarget(value: string, baud?: string): VitalsTarget {
  if (!/^intellivue:/i.test(value)) {
    if (/^line:/.test(value)) return parseVitalsFlag(value, baud);
    throw new CliError(`--vitals = ${JSON.stringify(value)}: must be ${VITALS_FORMS}`);
  }
  let spec;
  try {
    spec = parseIntelliVueSpec(value.slice('intellivue:'.length));
  } catch (e) {
    throw new CliError(`--vitals = ${JSON.stringify(value)}: ${(e as Error).message}`);
  }
  if (spec.transport === 'udp') {
    if (baud !== undefined) throw new CliError('--vitals-baud applies to serial vitals (line:<port>, intellivue:serial:<port>), not to intellivue:udp');
    return { intellivue: spec };
  }
  const baudRate = baud === undefined ? spec.baudRate : vitalsLineSettings(baud).baudRate;
  return { intellivue: { ...spec, baudRate } };
}
