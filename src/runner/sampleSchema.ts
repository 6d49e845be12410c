/** Samples are validated at the edge before they reach a machine. */
import { z } from 'zod';
import { SAMPLE_FIELDS, type MonitorSample } from '../../machines/index.js';
import { toProblems, describeProblem } from '../../common/validation.js';

const value = z.number();

export const MonitorSampleSchema = z
  .object({
    t: z.number().finite(),
    source: z.string().min(1).max(64),
    spo2Pct: value.optional(),
    mapMmHg: value.optional(),
    sbpMmHg: value.optional(),
    hrBpm: value.optional(),
    peakCmH2O: value.optional(),
    plateauCmH2O: value.optional(),
    peepCmH2O: value.optional(),
    tidalVolumeMl: value.optional(),
    complianceMlPerCmH2O: value.optional(),
    expiredVolumeMl: value.optional(),
    invalid: z.array(z.enum(SAMPLE_FIELDS)).max(SAMPLE_FIELDS.length).optional(),
  })
  .strict();

/** The sample if its shape is valid, else the problems (a rejected sample is never fresh). */
export function checkSampleShape(input: unknown): { sample: MonitorSample } | { problems: string } {
  const quick = plainSample(input);
  if (quick !== null) return { sample: quick };
  const r = MonitorSampleSchema.safeParse(input);
  if (r.success) return { sample: r.data as MonitorSample };
  return { problems: toProblems(r.error, input).map(describeProblem).join('; ') };
}

/** The schema's keys in its order (zod's output order). */
const SHAPE_KEYS: readonly string[] = Object.keys(MonitorSampleSchema.shape);
const KNOWN_KEYS: ReadonlySet<string> = new Set(SHAPE_KEYS);
const FIELD_NAMES: ReadonlySet<string> = new Set(SAMPLE_FIELDS);
const SOURCE_MAX = 64;

/**
 * The schema's answer for the commonest input, a plain object that passes it, without zod's
 * machinery (about a microsecond a sample, 7 % of a simulated session): `null` whenever the input
 * is anything else, and zod then decides and words the problems. It accepts only what the schema
 * accepts and returns what zod returns: a new object with the schema's keys in the schema's
 * order (a key given as undefined kept), finite numbers, `source` of 1-64 characters, `invalid`
 * copied, and no other key (own or inherited: zod's strict check walks `for...in`).
 * test/runner/sampleSchema.test.ts compares both on generated inputs, valid and not.
 */
function plainSample(input: unknown): MonitorSample | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const proto: unknown = Object.getPrototypeOf(input);
  if (proto !== Object.prototype && proto !== null) return null;
  const o = input as Record<string, unknown>;
  for (const k in o) if (!KNOWN_KEYS.has(k)) return null;
  // Field by field with fixed names (the engine caches their lookups), in the schema's order
  // (checked against the schema when the module loads).
  const t = o.t;
  const source = o.source;
  if (typeof t !== 'number' || !Number.isFinite(t)) return null;
  if (typeof source !== 'string' || source.length < 1 || source.length > SOURCE_MAX) return null;
  const out: Record<string, unknown> = { t, source };
  if ('spo2Pct' in o && !numberInto(out, 'spo2Pct', o.spo2Pct)) return null;
  if ('mapMmHg' in o && !numberInto(out, 'mapMmHg', o.mapMmHg)) return null;
  if ('sbpMmHg' in o && !numberInto(out, 'sbpMmHg', o.sbpMmHg)) return null;
  if ('hrBpm' in o && !numberInto(out, 'hrBpm', o.hrBpm)) return null;
  if ('peakCmH2O' in o && !numberInto(out, 'peakCmH2O', o.peakCmH2O)) return null;
  if ('plateauCmH2O' in o && !numberInto(out, 'plateauCmH2O', o.plateauCmH2O)) return null;
  if ('peepCmH2O' in o && !numberInto(out, 'peepCmH2O', o.peepCmH2O)) return null;
  if ('tidalVolumeMl' in o && !numberInto(out, 'tidalVolumeMl', o.tidalVolumeMl)) return null;
  if ('complianceMlPerCmH2O' in o && !numberInto(out, 'complianceMlPerCmH2O', o.complianceMlPerCmH2O)) return null;
  if ('expiredVolumeMl' in o && !numberInto(out, 'expiredVolumeMl', o.expiredVolumeMl)) return null;
  if ('invalid' in o) {
    const v = o.invalid;
    if (v === undefined) out.invalid = undefined;
    else {
      if (!Array.isArray(v) || v.length > FIELD_NAMES.size) return null;
      const copy: string[] = [];
      for (let i = 0; i < v.length; i++) {
        const f: unknown = v[i];
        if (typeof f !== 'string' || !FIELD_NAMES.has(f)) return null;
        copy.push(f);
      }
      out.invalid = copy;
    }
  }
  return out as unknown as MonitorSample;
}

/** An optional z.number(): undefined (kept as given), or a number neither NaN nor infinite. */
function numberInto(out: Record<string, unknown>, key: string, v: unknown): boolean {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) return false;
  out[key] = v;
  return true;
}

// plainSample writes the schema's keys in this order: the schema must still have them so.
if (SHAPE_KEYS.join() !== ['t', 'source', ...SAMPLE_FIELDS, 'invalid'].join()) {
  throw new Error(`src/runner/sampleSchema.ts: the sample schema's keys (${SHAPE_KEYS.join(', ')}) are not the ones plainSample writes, in its order`);
}
