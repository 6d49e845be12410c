/**
 * `--device` and the serial options of `rmseq run` (and `rmseq emulate`): validated with zod
 * before anything opens. A bad value is a `CliError` (exit 2) naming the option, the value and
 * what is allowed.
 *
 *   --device makair:/dev/ttyUSB0 --fio2 0.4
 *   --device medibus:/dev/ttyUSB1 --family evita [--baud 19200 --parity none --data-bits 8 --stop-bits 1]
 *   --vitals line:/dev/ttyUSB2 [--vitals-baud 9600]
 */
import { z } from 'zod';
import { BAUD_RATES, type SerialSettings } from '../../hal/serial/config.js';
import { MEDIBUS_FAMILIES, loadCodeTableFile } from '../../hal/medibus/index.js';
import { defaultLineSettings, type DeviceSpec, type LineSettings } from '../runner/device.js';
import { CliError } from './exitCodes.js';
import { isDecimal } from './inputs.js';
import { VITALS_LINE_DEFAULTS } from '../../hal/vitals/index.js';

export interface SerialFlags {
  baud?: string;
  parity?: string;
  dataBits?: string;
  stopBits?: string;
}

export interface DeviceFlags extends SerialFlags {
  /** `makair:<path>` or `medibus:<path>`. */
  device?: string;
  /** MEDIBUS device family: evita, primus or v300. */
  family?: string;
  /** MakAir: FiO2 set on the oxygen supply (the MakAir can neither set nor report it). */
  fio2?: string;
  /** MEDIBUS: a code table file instead of the family's built-in one. */
  medibusCodes?: string;
  /** `line:<path>`: the patient monitor's line-oriented vitals feed. */
  vitals?: string;
  vitalsBaud?: string;
}

export interface DeviceChoice {
  spec: DeviceSpec;
  /** The line settings: the protocol's defaults, overridden by the flags given. */
  serial: SerialSettings;
}

const list = (xs: readonly (string | number)[]): string => xs.join(', ');
const oneOf = <T extends string | number>(values: readonly T[]) => {
  const allowed = values.map(String);
  return z
    .string()
    .refine((v) => allowed.includes(v.toLowerCase()), { error: `must be one of ${list(values)}` })
    .transform((v) => (typeof values[0] === 'number' ? Number(v) : v.toLowerCase()) as T);
};

const SerialFlagsSchema = z.object({
  baud: oneOf(BAUD_RATES).optional(),
  parity: oneOf(['none', 'even', 'odd'] as const).optional(),
  dataBits: oneOf([7, 8] as const).optional(),
  stopBits: oneOf([1, 2] as const).optional(),
});

const DeviceFlagsSchema = SerialFlagsSchema.extend({
  device: z
    .string({ error: 'must be makair:<port> or medibus:<port>, e.g. makair:/dev/ttyUSB0' })
    .regex(/^[a-z]+:.+$/i, { error: 'must be makair:<port> or medibus:<port>, e.g. makair:/dev/ttyUSB0' })
    .refine((v) => /^(makair|medibus):/i.test(v), { error: `protocol must be one of makair, medibus` }),
  family: oneOf(MEDIBUS_FAMILIES).optional(),
  fio2: z
    .string()
    .refine((v) => isDecimal(v) && Number(v) >= 0.21 && Number(v) <= 1, { error: 'must be a fraction between 0.21 and 1' })
    .transform(Number)
    .optional(),
}).superRefine((f, ctx) => {
  const medibus = /^medibus:/i.test(f.device);
  if (medibus && f.family === undefined) ctx.addIssue({ code: 'custom', path: ['family'], message: `is required with a MEDIBUS device: one of ${list(MEDIBUS_FAMILIES)}` });
  if (medibus && f.fio2 !== undefined) ctx.addIssue({ code: 'custom', path: ['fio2'], message: 'applies to the MakAir only (MEDIBUS devices report their FiO2 setting)' });
  if (!medibus && f.family !== undefined) ctx.addIssue({ code: 'custom', path: ['family'], message: 'applies to MEDIBUS devices only (--device medibus:<port>)' });
  if (!medibus && f.fio2 === undefined) ctx.addIssue({ code: 'custom', path: ['fio2'], message: 'is required with a MakAir: it can neither set nor report FiO2, so state the oxygen supply setting (0.21-1)' });
});

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Parses with `schema`, or throws a CliError naming the first bad flag, its value and what is allowed. */
function parseFlags<S extends z.ZodType>(schema: S, flags: object): z.output<S> {
  const r = schema.safeParse(flags);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0] ?? 'device');
  const value = (flags as Record<string, unknown>)[key];
  throw new CliError(value === undefined ? `--${kebab(key)} ${issue.message}` : `--${kebab(key)} = ${JSON.stringify(value)}: ${issue.message}`);
}

/**
 * The serial flags over a protocol's defaults.
 *
 * @example
 * lineSettingsFrom({ baud: '9600' }, defaultLineSettings({ protocol: 'makair' })); // { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }
 */
export function lineSettingsFrom(flags: SerialFlags, defaults: LineSettings): LineSettings {
  const f = parseFlags(SerialFlagsSchema, { baud: flags.baud, parity: flags.parity, dataBits: flags.dataBits, stopBits: flags.stopBits });
  return { baudRate: f.baud ?? defaults.baudRate, parity: f.parity ?? defaults.parity, dataBits: f.dataBits ?? defaults.dataBits, stopBits: f.stopBits ?? defaults.stopBits };
}

/**
 * `--device` with its options. MEDIBUS needs `--family` (it decides the code table and the
 * line defaults); the MakAir needs `--fio2`.
 *
 * @example
 * parseDeviceFlags({ device: 'medibus:/dev/ttyUSB1', family: 'primus' }).serial; // { path: '/dev/ttyUSB1', baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 }
 */
export function parseDeviceFlags(flags: DeviceFlags): DeviceChoice {
  const f = parseFlags(DeviceFlagsSchema, { device: flags.device, family: flags.family, fio2: flags.fio2, baud: flags.baud, parity: flags.parity, dataBits: flags.dataBits, stopBits: flags.stopBits });
  const colon = f.device.indexOf(':');
  const path = f.device.slice(colon + 1);
  const medibus = f.device.slice(0, colon).toLowerCase() === 'medibus';
  if (flags.medibusCodes !== undefined && !medibus) throw new CliError('--medibus-codes applies to MEDIBUS devices only (--device medibus:<port>)');
  // The table file is read and checked here, before any port opens (its family must be the device's).
  const codeTable = medibus && flags.medibusCodes !== undefined ? loadCodeTableFile(flags.medibusCodes, f.family!) : undefined;
  const spec: DeviceSpec = medibus
    ? { protocol: 'medibus', path, family: f.family!, ...(codeTable ? { codeTable, codeTableSource: `file ${flags.medibusCodes}` } : {}) }
    : { protocol: 'makair', path, fio2: f.fio2! };
  return { spec, serial: { path, ...lineSettingsFrom(flags, defaultLineSettings(spec)) } };
}

/**
 * The vitals feed's line settings: 9600 8N1, or `--vitals-baud`.
 *
 * @example
 * vitalsLineSettings('19200'); // { baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 }
 */
export function vitalsLineSettings(baud?: string): LineSettings {
  try {
    return lineSettingsFrom(baud !== undefined ? { baud } : {}, VITALS_LINE_DEFAULTS);
  } catch (e) {
    throw new CliError((e as Error).message.replace(/^--baud/, '--vitals-baud'));
  }
}

/**
 * `--vitals line:<path>` (and `--vitals-baud`, default 9600 8N1).
 *
 * @example
 * parseVitalsFlag('line:/dev/ttyUSB2'); // { path: '/dev/ttyUSB2', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }
 */
export function parseVitalsFlag(value: string, baud?: string): SerialSettings {
  const m = /^line:(.+)$/.exec(value);
  if (!m) throw new CliError(`--vitals = ${JSON.stringify(value)}: must be line:<port>, e.g. line:/dev/ttyUSB2 (one JSON object per line)`);
  return { path: m[1]!, ...vitalsLineSettings(baud) };
}
