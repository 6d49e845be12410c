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
  const out: Record<string, unknown> = {};
  for (const k of SHAPE_KEYS) {
    if (!(k in o)) {
      if (k === 't' || k === 'source') return null;
      continue;
    }
    const v = o[k];
    if (k === 'source') {
      if (typeof v !== 'string' || v.length < 1 || v.length > SOURCE_MAX) return null;
    } else if (k === 'invalid') {
      if (v !== undefined) {
        if (!Array.isArray(v) || v.length > FIELD_NAMES.size) return null;
        const copy: string[] = [];
        for (let i = 0; i < v.length; i++) {
          const f: unknown = v[i];
          if (typeof f !== 'string' || !FIELD_NAMES.has(f)) return null;
          copy.push(f);
        }
        out[k] = copy;
        continue;
      }
    } else if (k === 't' || v !== undefined) {
      // z.number(): a number, neither NaN nor infinite.
      if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    }
    out[k] = v;
  }
  return out as unknown as MonitorSample;
}
