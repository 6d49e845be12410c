/**
 * MEDIBUS code tables: which code means what, per device family. The tables are data
 * (codes/<family>.json), validated here with zod when loaded; a vendor can supply another
 * table through `parseCodeTable`.
 */
import { z } from 'zod';
import { JsonInputError, parseJsonStrict, readRegularText } from '../../common/jsonInput.js';
import { parseOrThrow } from '../../common/validation.js';
import type { VentMode } from '../../machines/types.js';
import { MEDIBUS_UNITS, quantityOf, type Quantity } from './units.js';
import evitaJson from './codes/evita.json' with { type: 'json' };
import primusJson from './codes/primus.json' with { type: 'json' };
import v300Json from './codes/v300.json' with { type: 'json' };

/**
 * Device families with a built-in code table (codes/<family>.json).
 *
 * @example
 * new MedibusVentilator({ transport, clock, family: MEDIBUS_FAMILIES[0] });
 */
export const MEDIBUS_FAMILIES = ['evita', 'primus', 'v300'] as const;
export type MedibusFamily = (typeof MEDIBUS_FAMILIES)[number];

/** Measured values the adapter uses, and the quantity each is expressed in. */
export const MEASURED_TARGETS = {
  peakCmH2O: 'pressureCmH2O',
  plateauCmH2O: 'pressureCmH2O',
  peepCmH2O: 'pressureCmH2O',
  tidalVolumeMl: 'volumeMl',
  complianceMlPerCmH2O: 'complianceMlPerCmH2O',
  fio2: 'fraction',
  rateBpm: 'rateBpm',
} as const satisfies Record<string, Quantity>;
export type MeasuredTarget = keyof typeof MEASURED_TARGETS;

/** Settings the adapter maps onto `VentSettings`. */
export const SETTING_TARGETS = {
  peepCmH2O: 'pressureCmH2O',
  pinspCmH2O: 'pressureCmH2O',
  pmaxCmH2O: 'pressureCmH2O',
  rateBpm: 'rateBpm',
  fio2: 'fraction',
  tidalVolumeMl: 'volumeMl',
} as const satisfies Record<string, Quantity>;
export type SettingTarget = keyof typeof SETTING_TARGETS;

const hexCode = z
  .string()
  .regex(/^[0-9A-F]{2}$/, { error: 'must be two upper-case hex digits, e.g. "7D"' })
  .transform((s) => parseInt(s, 16));
/** Limits on a table file (a vendor's JSON): generous for real tables, small enough to refuse junk. */
export const CODE_TABLE_LIMITS = { maxFileBytes: 64 * 1024, maxEntries: 256, maxText: 200, maxPatterns: 16, maxPatternChars: 100, maxSources: 32, maxVerificationChars: 2000 } as const;
const L = CODE_TABLE_LIMITS;
const text = z.string().min(1).max(L.maxText);
const unit = z.enum(MEDIBUS_UNITS);
const range = z.object({ min: z.number(), max: z.number(), unit }).strict().refine((r) => r.min <= r.max, { error: 'min must not exceed max' });
const pair = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo <= hi, { error: 'lower bound must not exceed upper bound' });

function unitFits(targets: Record<string, Quantity>) {
  return (e: { unit: (typeof MEDIBUS_UNITS)[number]; maps?: string | undefined }) => e.maps === undefined || quantityOf(e.unit) === targets[e.maps];
}

const measuredEntry = z
  .object({
    codepage: z.union([z.literal(1), z.literal(2)]).default(1),
    code: hexCode,
    name: text,
    unit,
    maps: z.enum(Object.keys(MEASURED_TARGETS) as [MeasuredTarget, ...MeasuredTarget[]]).optional(),
    /** Another code (same codepage) for the very same value: either may be reported; both reported must agree. */
    sameAs: hexCode.optional(),
  })
  .strict()
  .refine(unitFits(MEASURED_TARGETS), { error: 'unit does not express the quantity this entry maps to', path: ['unit'] });

const settingEntry = z
  .object({
    code: hexCode,
    name: text,
    unit,
    maps: z.enum(Object.keys(SETTING_TARGETS) as [SettingTarget, ...SettingTarget[]]).optional(),
    /** Another code for the very same setting (where the sources disagree): either may be reported; both reported must agree. */
    sameAs: hexCode.optional(),
  })
  .strict()
  .refine(unitFits(SETTING_TARGETS), { error: 'unit does not express the quantity this entry maps to', path: ['unit'] });

const modeEntry = z
  .object({ code: hexCode, name: text, mode: z.enum(['CPAP', 'PCV', 'VC']).nullable() })
  .strict();

/** `sameAs` must name an earlier entry of the same codepage that maps the same target (and not itself be an alias). */
function aliasesResolve(list: Array<{ code: number; codepage?: number; maps?: string | undefined; sameAs?: number | undefined }>, ctx: z.RefinementCtx): void {
  list.forEach((e, i) => {
    if (e.sameAs === undefined) return;
    const hex = (c: number) => `"${c.toString(16).toUpperCase().padStart(2, '0')}"`;
    const target = list.findIndex((o) => o.code === e.sameAs && o.codepage === e.codepage);
    const t = list[target];
    const problem =
      e.maps === undefined
        ? 'an entry with sameAs must map a target'
        : !t || target >= i
          ? `names no earlier entry with code ${hex(e.sameAs)}${e.codepage !== undefined ? ` on codepage ${e.codepage}` : ''}`
          : t.maps !== e.maps
            ? `names ${hex(e.sameAs)}, which maps ${t.maps ?? 'nothing'}, not ${e.maps}`
            : t.sameAs !== undefined
              ? `names ${hex(e.sameAs)}, itself an alternative: name the first code`
              : null;
    if (problem) ctx.addIssue({ code: 'custom', path: [i, 'sameAs'], message: problem });
  });
}

const noDuplicates =
  (key: (e: { code: number; codepage?: number }) => string) =>
  (list: Array<{ code: number; codepage?: number }>): boolean =>
    new Set(list.map(key)).size === list.length;

/**
 * The shape of a code table. Codes are two upper-case hex digits as in the MEDIBUS documents
 * ("7D"); an entry's `maps` names the controller value it feeds, and its unit must express
 * that quantity.
 *
 * @example
 * const r = MedibusCodeTableSchema.safeParse(json); // or parseCodeTable(json), which throws
 */
export const MedibusCodeTableSchema = z
  .object({
    family: z.enum(MEDIBUS_FAMILIES),
    title: text,
    deviceNamePatterns: z
      .array(z.string().min(1).max(L.maxPatternChars).refine(isRegExp, { error: 'must be a valid regular expression' }))
      .min(1)
      .max(L.maxPatterns),
    serial: z
      .object({
        baudRate: z.number().int().positive(),
        parity: z.enum(['none', 'even', 'odd']),
        dataBits: z.union([z.literal(7), z.literal(8)]),
        stopBits: z.union([z.literal(1), z.literal(2)]),
      })
      .strict(),
    sources: z.array(z.string().min(1).max(L.maxVerificationChars)).min(1).max(L.maxSources),
    verification: z.string().min(1).max(L.maxVerificationChars),
    pinspRelativeToPeep: z.boolean(),
    measured: z
      .array(measuredEntry)
      .min(1)
      .max(L.maxEntries)
      .refine(noDuplicates((e) => `${e.codepage}:${e.code}`), { error: 'duplicate codepage/code' })
      .superRefine(aliasesResolve),
    settings: z
      .array(settingEntry)
      .min(1)
      .max(L.maxEntries)
      .refine(noDuplicates((e) => String(e.code)), { error: 'duplicate code' })
      .superRefine(aliasesResolve),
    modes: z.array(modeEntry).min(1).max(L.maxEntries).refine(noDuplicates((e) => String(e.code)), { error: 'duplicate code' }),
    ranges: z
      .object({ peep: range, peak: range, rate: range, fio2: range, tidalVolume: range.optional() })
      .strict()
      .refine((r) => quantityOf(r.peep.unit) === 'pressureCmH2O' && quantityOf(r.peak.unit) === 'pressureCmH2O', { error: 'peep and peak ranges must be pressures' })
      .refine((r) => quantityOf(r.rate.unit) === 'rateBpm' && quantityOf(r.fio2.unit) === 'fraction', { error: 'rate must be 1/min and fio2 a percentage' })
      .refine((r) => !r.tidalVolume || quantityOf(r.tidalVolume.unit) === 'volumeMl', { error: 'tidalVolume must be a volume' }),
    pressureResolution: z
      .object({ value: z.number().positive(), unit })
      .strict()
      .refine((p) => quantityOf(p.unit) === 'pressureCmH2O', { error: 'must be a pressure' }),
    plausible: z.object(Object.fromEntries(Object.keys(MEASURED_TARGETS).map((k) => [k, pair])) as Record<MeasuredTarget, typeof pair>).strict(),
  })
  .strict();

export type MedibusCodeTable = z.output<typeof MedibusCodeTableSchema>;
export type MedibusMeasuredEntry = MedibusCodeTable['measured'][number];
export type MedibusSettingEntry = MedibusCodeTable['settings'][number];
export type MedibusModeEntry = MedibusCodeTable['modes'][number];

function isRegExp(s: string): boolean {
  try {
    new RegExp(s, 'i');
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a code table (e.g. a vendor's JSON). Throws `ValidationError` naming every bad field.
 *
 * @example
 * const table = parseCodeTable(JSON.parse(readFileSync('my-evita.json', 'utf8')));
 */
export function parseCodeTable(input: unknown): MedibusCodeTable {
  return parseOrThrow(MedibusCodeTableSchema, input, 'MEDIBUS code table');
}

/**
 * Reads a code table from a JSON file (a vendor's table, or a built-in one adjusted to what a
 * device's own MEDIBUS document says): a regular file of at most 64 KB, strict JSON (no key
 * twice), then the schema. With `family`, a table for another family is refused. Throws
 * `JsonInputError` (file, size, JSON) or `ValidationError` (every bad field, with its value
 * and what is allowed).
 *
 * @example
 * const codeTable = loadCodeTableFile('primus-site.json', 'primus');
 * new MedibusVentilator({ transport, clock, family: 'primus', codeTable });
 */
export function loadCodeTableFile(path: string, family?: MedibusFamily): MedibusCodeTable {
  const what = 'MEDIBUS code table';
  const json = parseJsonStrict(readRegularText(path, L.maxFileBytes, what), `${what} file ${path}`, { maxBytes: L.maxFileBytes, maxDepth: 8 });
  const table = parseOrThrow(MedibusCodeTableSchema, json, `${what} ${path}`);
  if (family !== undefined && table.family !== family) {
    throw new JsonInputError(`${what} ${path} is for the ${table.family} family, but the device is a ${family}: give the table of that family`);
  }
  return table;
}

const BUILT_IN: Record<MedibusFamily, unknown> = { evita: evitaJson, primus: primusJson, v300: v300Json };
const cache = new Map<MedibusFamily, MedibusCodeTable>();

/**
 * The built-in code table of a device family (validated on first use).
 *
 * @example
 * codeTableFor('evita').settings.find((s) => s.maps === 'peepCmH2O')?.code; // 0x0b
 */
export function codeTableFor(family: MedibusFamily): MedibusCodeTable {
  if (!(MEDIBUS_FAMILIES as readonly string[]).includes(family)) {
    throw new TypeError(`family must be one of ${MEDIBUS_FAMILIES.join(', ')} (got ${JSON.stringify(family)})`);
  }
  let table = cache.get(family);
  if (!table) {
    table = parseCodeTable(BUILT_IN[family]);
    if (table.family !== family) throw new TypeError(`codes/${family}.json declares family ${table.family}`);
    cache.set(family, table);
  }
  return table;
}

/**
 * True if a device-ID name belongs to the table's family.
 *
 * @example
 * nameMatchesFamily(codeTableFor('evita'), 'Evita4'); // true
 */
export function nameMatchesFamily(table: MedibusCodeTable, deviceName: string): boolean {
  return table.deviceNamePatterns.some((p) => new RegExp(p, 'i').test(deviceName));
}

/**
 * The modes a family can report (the ones rm-sequencer can run maneuvers in).
 *
 * @example
 * reportableModes(codeTableFor('primus')); // ['VC', 'PCV']
 */
export function reportableModes(table: MedibusCodeTable): VentMode[] {
  const modes = new Set<VentMode>();
  for (const m of table.modes) if (m.mode) modes.add(m.mode);
  return [...modes];
}
