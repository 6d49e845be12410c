/**
 * Cohorts (and virtual trials) beyond one machine: shard K of N runs a contiguous slice of the
 * seeded cohort and writes a *part*; `merge` checks that the parts are one run, cut once, and
 * recomputes every statistic from the per-patient results they carry, so the merged output is
 * exactly that of the unsharded run.
 *
 * Why contiguous ranges (patients floor(K n / N) to floor((K+1) n / N) - 1) rather than i mod N:
 * the cohort generator is sequential (patient i needs the draws of patients 0..i-1), so a shard
 * must generate the prefix up to its last patient anyway. With ranges, shard K generates only
 * (K+1)/N of the cohort (about half of it on average, instead of all of it with i mod N), a
 * part's patients are one interval, so overlap and gaps are checked by comparing intervals, and
 * the slices differ in size by at most one patient. The patients are drawn i.i.d., so a range
 * holds the same mix of archetypes as a stride.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { readRegularText } from '../../common/jsonInput.js';
import { CliError } from '../cli/exitCodes.js';
import type { CohortResult } from './patient.js';
import type { CohortRange } from './pool.js';

export const PART_FORMAT = 'rmseq-cohort-part';
export const PART_FORMAT_VERSION = 1;
/** A part file above this size is refused before it is read. */
export const PART_MAX_BYTES = 256 * 1024 * 1024;
/** At most this many shards (and so parts) per run. */
export const MAX_SHARDS = 10_000;

export interface Shard {
  /** 0-based: K of `--shard K/N`. */
  index: number;
  /** N of `--shard K/N`. */
  count: number;
}

const ShardFlagSchema = z
  .string()
  .regex(/^\d{1,6}\/\d{1,6}$/, { error: 'must be K/N, e.g. 0/4 (K from 0 to N-1)' })
  .transform((s) => s.split('/').map(Number) as [number, number])
  .refine(([, n]) => n >= 1 && n <= MAX_SHARDS, { error: `N must be between 1 and ${MAX_SHARDS}` })
  .refine(([k, n]) => k < n, { error: 'K must be between 0 and N-1' });

/** `--shard K/N` (exit 2 on anything else, naming the value and the allowed range). */
export function parseShardFlag(value: string): Shard {
  const r = ShardFlagSchema.safeParse(value);
  if (!r.success) throw new CliError(`--shard = "${value}": ${r.error.issues[0]?.message ?? 'must be K/N'}`);
  return { index: r.data[0], count: r.data[1] };
}

/** The patients of shard K of N in a cohort of n: a contiguous range, sizes differing by at most one. */
export function shardRange(shard: Shard, n: number): CohortRange {
  return { start: Math.floor((shard.index * n) / shard.count), end: Math.floor(((shard.index + 1) * n) / shard.count) };
}

/** The configuration a part was run with: what every part of one run shares. */
export type PartConfig = Record<string, unknown> & { patients: number; seed: number };

/** SHA-256 of the configuration's JSON (the configuration is built in a fixed key order). */
export function configHash(config: PartConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

const nullableNumber = z.number().nullable();

/** One patient of a cohort part: every field of CohortResult, checked. */
export const CohortResultSchema: z.ZodType<CohortResult> = z
  .object({
    index: z.number().int().min(0),
    id: z.string().max(32),
    archetype: z.string().max(128),
    maneuver: z.enum(['sustained-inflation', 'high-pressure-pcv', 'staircase']),
    outcome: z.string().max(64),
    abortReason: z.string().max(128).nullable(),
    abortGuard: z.string().max(128).nullable(),
    finalPeepCmH2O: nullableNumber,
    baselineFio2: z.number(),
    durationMs: z.number(),
    baselineSpo2Pct: nullableNumber,
    finalSpo2Pct: nullableNumber,
    decidedBy: z.string().max(64).nullable(),
    derecruitmentSeen: z.boolean(),
    methodPeeps: z.record(z.string().max(64), nullableNumber),
    methodsDisagree: z.boolean(),
    fio2TitratedTo: nullableNumber,
    spo2Blind: z.boolean(),
    fallback: z.boolean(),
    finalPlateauCmH2O: nullableNumber,
    finalDrivingPressureCmH2O: nullableNumber,
    finalTidalVolumeMlPerKg: nullableNumber,
    finalWithinLimits: z.boolean().nullable(),
    preoxygenated: z.boolean().optional(),
    preoxSpo2Pct: nullableNumber.optional(),
    violations: z.array(z.string().max(1000)).max(1000),
  })
  .strict();

export interface Part<R> {
  format: typeof PART_FORMAT;
  formatVersion: typeof PART_FORMAT_VERSION;
  rmseqVersion: string;
  command: 'cohort' | 'trial';
  config: PartConfig;
  configHash: string;
  shard: Shard & CohortRange;
  /** Wall time of this shard (not a statistic; merge reports the sum). */
  wallMs: number;
  results: R[];
}

function partSchema<R>(result: z.ZodType<R>) {
  return z
    .object({
      format: z.literal(PART_FORMAT),
      formatVersion: z.literal(PART_FORMAT_VERSION),
      rmseqVersion: z.string().max(64),
      command: z.enum(['cohort', 'trial']),
      config: z.record(z.string(), z.unknown()).and(z.object({ patients: z.number().int().min(1).max(1_000_000), seed: z.number().int() })),
      configHash: z.string().regex(/^[0-9a-f]{64}$/),
      shard: z
        .object({
          index: z.number().int().min(0),
          count: z.number().int().min(1).max(MAX_SHARDS),
          start: z.number().int().min(0),
          end: z.number().int().min(0),
        })
        .strict(),
      wallMs: z.number().min(0),
      results: z.array(result).max(1_000_000),
    })
    .strict();
}

/**
 * `--out`: checked before the shard runs (exit 2), so hours of work do not end in an
 * unwritable path: its folder must exist and be writable, and the path must not be a folder.
 */
export function checkPartPath(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    st = null;
  }
  if (st && !st.isFile()) throw new CliError(`--out ${path}: exists and is not a regular file`);
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (e) {
    throw new CliError(`--out ${path}: cannot write in ${dirname(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes a part (validated first: a NaN or a missing field fails here, not at merge); atomically (temp file, rename). */
export function writePart<R>(path: string, part: Part<R>, result: z.ZodType<R>): void {
  const checked = partSchema(result).safeParse(part);
  if (!checked.success) throw new Error(`part for ${path} does not validate: ${z.prettifyError(checked.error)}`);
  const text = `${JSON.stringify(part)}\n`;
  if (Buffer.byteLength(text) > PART_MAX_BYTES) throw new CliError(`part ${path} would be over ${PART_MAX_BYTES} bytes: use more shards`);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function readPart<R>(path: string, result: z.ZodType<R>, command: 'cohort' | 'trial'): Part<R> {
  let json: unknown;
  const text = readRegularText(path, PART_MAX_BYTES, 'part', CliError);
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`part ${path}: not JSON (${(e as Error).message})`);
  }
  // The command first: a part of the other command fails on that, not on its first result.
  const other = z.object({ format: z.literal(PART_FORMAT), command: z.enum(['cohort', 'trial']) }).safeParse(json);
  if (other.success && other.data.command !== command) throw new CliError(`part ${path} is from \`rmseq ${other.data.command}\`, not \`rmseq ${command}\``);
  const r = partSchema(result).safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : '(top level)';
    throw new CliError(`part ${path}: ${where}: ${issue?.message ?? 'invalid'} (not a part written by this rmseq, or damaged)`);
  }
  return r.data as Part<R>;
}

/** The first top-level configuration field that differs between two parts, for the error message. */
function configDifference(a: PartConfig, b: PartConfig): string {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = JSON.stringify(a[k]);
    const y = JSON.stringify(b[k]);
    if (x !== y) return `${k} ${(y ?? 'absent').slice(0, 80)} vs ${(x ?? 'absent').slice(0, 80)}`;
  }
  return 'configuration hash';
}

export interface MergedParts<R> {
  config: PartConfig;
  results: R[];
  shards: number;
  wallMs: number;
}

/**
 * Reads the parts and checks they are the shards of one run: same format, rmseq version,
 * command, configuration (seed, size, maneuver, protocol, baseline, ...), shard count; each
 * shard once, none missing; each part holds exactly its range, in order. Any problem is a
 * CliError (exit 2) naming the file and what differs.
 */
export function mergeParts<R extends { index: number }>(paths: readonly string[], command: 'cohort' | 'trial', result: z.ZodType<R>, version: string): MergedParts<R> {
  if (paths.length === 0) throw new CliError('merge: no part files given');
  if (paths.length > MAX_SHARDS) throw new CliError(`merge: ${paths.length} part files: at most ${MAX_SHARDS}`);
  const seen = new Map<number, string>();
  let first: { path: string; part: Part<R> } | null = null;
  const parts: Array<Part<R>> = [];
  for (const path of paths) {
    const part = readPart(path, result, command);
    if (configHash(part.config) !== part.configHash) throw new CliError(`part ${path}: its configuration does not match its configHash (edited or damaged)`);
    if (part.rmseqVersion !== version) throw new CliError(`part ${path} was written by rmseq ${part.rmseqVersion}; this is rmseq ${version}: rerun every shard with one version`);
    if (!first) first = { path, part };
    else {
      const f = first.part;
      if (part.configHash !== f.configHash) {
        throw new CliError(`part ${path} is from a different run than ${first.path}: ${configDifference(f.config, part.config)}`);
      }
      if (part.shard.count !== f.shard.count) {
        throw new CliError(`part ${path} is shard ${part.shard.index}/${part.shard.count} but ${first.path} is of ${f.shard.count} shards: parts of one split only`);
      }
    }
    const { index, count, start, end } = part.shard;
    if (index >= count) throw new CliError(`part ${path}: shard ${index}/${count}: K must be between 0 and ${count - 1}`);
    const other = seen.get(index);
    if (other !== undefined) throw new CliError(`parts ${other} and ${path} are both shard ${index}/${count} (overlapping shards)`);
    seen.set(index, path);
    const expected = shardRange({ index, count }, part.config.patients);
    if (start !== expected.start || end !== expected.end) {
      throw new CliError(`part ${path}: shard ${index}/${count} holds patients ${start}-${end - 1}, expected ${expected.start}-${expected.end - 1}`);
    }
    if (part.results.length !== end - start || part.results.some((r, i) => r.index !== start + i)) {
      throw new CliError(`part ${path}: shard ${index}/${count} must hold patients ${start} to ${end - 1} in order (holds ${part.results.length} results)`);
    }
    parts.push(part);
  }
  const f = (first as { part: Part<R> }).part;
  const missing = Array.from({ length: f.shard.count }, (_, k) => k).filter((k) => !seen.has(k));
  if (missing.length) {
    throw new CliError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''} of ${f.shard.count}: every shard K/${f.shard.count} is needed`);
  }
  parts.sort((a, b) => a.shard.index - b.shard.index);
  return {
    config: f.config,
    results: parts.flatMap((p) => p.results),
    shards: f.shard.count,
    wallMs: parts.reduce((s, p) => s + p.wallMs, 0),
  };
}
