/**
 * Loading what the operator names on the command line: patient profiles, protocol files,
 * baseline settings. Every input is validated with zod; errors name the field, the value
 * and the allowed range, and become exit code 2 before anything starts.
 */
import { z } from 'zod';
import { isJsonInputError, readJsonFile } from '../../common/jsonInput.js';
import { isValidationError, parseOrThrow, bounded } from '../../common/validation.js';
import { GUIDED_TIMEOUT_DEFAULT_MS, GUIDED_TIMEOUT_MAX_MS, GUIDED_TIMEOUT_MIN_MS } from '../../hal/guided/index.js';
import { MANEUVERS, ProtocolSchema, type ManeuverKind, type Protocol, type RunnableKind, type VentSettings } from '../../machines/index.js';
import { BUILTIN_PROFILE_NAMES, parseProfile, profileByName, type PatientProfile } from '../../sim/index.js';
import { CliError } from './exitCodes.js';

/** A JSON file from the command line: regular file, size and depth limits, no duplicate keys (exit 2 otherwise). */
export function readJson(path: string, what: string): unknown {
  try {
    return readJsonFile(path, what);
  } catch (e) {
    if (isJsonInputError(e)) throw new CliError(e.message);
    throw e;
  }
}

function rethrow(e: unknown, where: string): never {
  if (isValidationError(e)) throw new CliError(`${where}: ${e.message}`);
  throw e;
}

export function parseManeuver(name: string): ManeuverKind {
  if ((MANEUVERS as readonly string[]).includes(name)) return name as ManeuverKind;
  throw new CliError(`unknown maneuver "${name}": must be one of ${MANEUVERS.join(', ')}`);
}

/** A built-in profile name or a path to a profile JSON file. */
export function loadPatient(nameOrPath: string): { name: string; profile: PatientProfile } {
  const builtin = profileByName(nameOrPath);
  if (builtin) return { name: nameOrPath, profile: builtin };
  if (!nameOrPath.endsWith('.json')) {
    throw new CliError(`unknown patient "${nameOrPath}": must be one of ${BUILTIN_PROFILE_NAMES.join(', ')} or a profile .json file`);
  }
  try {
    return { name: nameOrPath, profile: parseProfile(readJson(nameOrPath, 'patient profile')) };
  } catch (e) {
    return rethrow(e, nameOrPath);
  }
}

/** The protocol for a maneuver: defaults, or a file (which must be for the same maneuver). */
export function loadProtocol(maneuver: RunnableKind, path?: string): Protocol {
  const input = path ? readJson(path, 'protocol') : { maneuver };
  if (path && input && typeof input === 'object' && !('maneuver' in input)) (input as Record<string, unknown>)['maneuver'] = maneuver;
  let protocol: Protocol;
  try {
    protocol = parseOrThrow(ProtocolSchema, input, 'protocol');
  } catch (e) {
    return rethrow(e, path ?? 'protocol');
  }
  if (protocol.maneuver !== maneuver) {
    throw new CliError(`${path}: protocol is for "${protocol.maneuver}" but the command runs "${maneuver}"`);
  }
  const problems = protocolCrossFieldProblems(protocol, input);
  if (problems.length) throw new CliError(`${path ?? 'protocol'}: invalid protocol:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return protocol;
}

/**
 * A protocol file that names its own maneuver (`rmseq validate`, `rmseq testgen`): parsed,
 * cross-checked; bad input is a CliError naming the file and the field.
 */
export function readProtocolFile(path: string): Protocol {
  const input = readJson(path, 'protocol');
  try {
    const p = parseOrThrow(ProtocolSchema, input, 'protocol');
    const problems = protocolCrossFieldProblems(p, input);
    if (problems.length) throw new CliError(`${path}: invalid protocol:\n${problems.map((x) => `  - ${x}`).join('\n')}`);
    return p;
  } catch (e) {
    if (isValidationError(e)) throw new CliError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Baseline settings of the simulated ventilator: lung-protective VC at PEEP 10, FiO2 0.6. */
export const DEFAULT_SIM_BASELINE: VentSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 35, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };

export const BaselineSchema = z
  .object({
    mode: z.enum(['CPAP', 'PCV', 'VC']),
    peepCmH2O: bounded(0, 25, 'cmH2O'),
    peakCmH2O: bounded(0, 45, 'cmH2O'),
    rateBpm: bounded(0, 40, '/min'),
    fio2: bounded(0.21, 1),
    tidalVolumeMl: bounded(100, 1000, 'mL').optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.mode === 'CPAP') return;
    if (b.peakCmH2O <= b.peepCmH2O) ctx.addIssue({ code: 'custom', path: ['peakCmH2O'], message: `must be above peepCmH2O (${b.peepCmH2O} cmH2O) in ${b.mode}` });
    if (b.rateBpm < 1) ctx.addIssue({ code: 'custom', path: ['rateBpm'], message: `must be at least 1 /min in ${b.mode} (0 only in CPAP)` });
  });

export function loadBaseline(path?: string): VentSettings {
  if (!path) return DEFAULT_SIM_BASELINE;
  try {
    return parseOrThrow(BaselineSchema, readJson(path, 'baseline'), 'baseline settings');
  } catch (e) {
    return rethrow(e, path);
  }
}

/** A decimal number as an operator types it: optional sign, digits, optional fraction. No spaces, hex, exponents or units. */
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;

/** Parses a whole-number flag within bounds (commander gives strings); "", " 5", "0x10", "1e3", "5s" are refused. */
export function intFlag(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`--${name} = ${JSON.stringify(value)}: must be a whole number between ${min} and ${max}`);
  return n;
}

/** `--guided-timeout <s>`: the bounds and default, in seconds, for the flag's parsing and help text. */
export const GUIDED_TIMEOUT_FLAG_S = { min: GUIDED_TIMEOUT_MIN_MS / 1000, max: GUIDED_TIMEOUT_MAX_MS / 1000, default: GUIDED_TIMEOUT_DEFAULT_MS / 1000 } as const;

/** Parses `--guided-timeout <s>` (whole seconds within `GUIDED_TIMEOUT_FLAG_S`; its default when absent). */
export function guidedTimeoutFlag(value: string | undefined): number {
  const { min, max, default: fallback } = GUIDED_TIMEOUT_FLAG_S;
  return intFlag('guided-timeout', value, min, max, fallback);
}

/** Parses a decimal flag within bounds; "", " 5", "0x10", "1e3", "Infinity" are refused. */
export function numberFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) throw new CliError(`--${name} = ${JSON.stringify(value)}: must be a number between ${min} and ${max}`);
  return n;
}

/**
 * `--height-cm` and `--sex`: the patient size of the maneuver (ARDSnet predicted body weight
 * limits Vt per kg). Both or neither; undefined when neither is given.
 */
export function patientSizeFlags(flags: { heightCm?: string; sex?: string }): { heightCm: number; sex: 'male' | 'female' } | undefined {
  if (flags.heightCm === undefined && flags.sex === undefined) return undefined;
  if (flags.heightCm === undefined || flags.sex === undefined) {
    throw new CliError(`--height-cm and --sex go together (given: ${flags.heightCm !== undefined ? '--height-cm' : '--sex'} only): predicted body weight needs both`);
  }
  const heightCm = numberFlag('height-cm', flags.heightCm, 130, 230)!;
  if (flags.sex !== 'male' && flags.sex !== 'female') throw new CliError(`--sex = ${JSON.stringify(flags.sex)}: must be male or female`);
  return { heightCm, sex: flags.sex };
}

/** True for a string `numberFlag` accepts as a number (before the range check). */
export const isDecimal = (value: string): boolean => DECIMAL.test(value);

/**
 * Rules across fields that the protocol schema does not state, each naming the fields and
 * values: a measurement window longer than a step's dwell (given explicitly), a decremental
 * phase that would start above the highest recruitment PEEP, a re-recruitment below the
 * decremental start, and an SpO2 detection ceiling not above the SpO2 floor.
 */
export function protocolCrossFieldProblems(p: Protocol, input: unknown): string[] {
  const out: string[] = [];
  const explicitWindow = typeof input === 'object' && input !== null && 'measureWindowS' in input;
  const dwells: [string, number][] =
    p.maneuver === 'staircase'
      ? [
          ['incrementalDwellS', p.incrementalDwellS],
          ['decremental.dwellS', p.decremental.dwellS],
          ['reRecruit.dwellS', p.reRecruit.dwellS],
        ]
      : p.maneuver === 'recruitability-screen'
        ? [['highDwellS', p.highDwellS]]
        : [['holdS', p.holdS]];
  if (explicitWindow) {
    for (const [field, dwellS] of dwells) {
      if (p.measureWindowS > dwellS) out.push(`measureWindowS = ${p.measureWindowS}: must not exceed ${field} (${dwellS} s): step measurements are means over the last part of each dwell`);
    }
  }
  if (p.maneuver === 'staircase') {
    const top = Math.max(...p.incrementalPeepsCmH2O);
    if (p.decremental.startPeepCmH2O > top) out.push(`decremental.startPeepCmH2O = ${p.decremental.startPeepCmH2O}: must not exceed the highest recruitment PEEP in incrementalPeepsCmH2O (${top} cmH2O)`);
    if (p.reRecruit.peepCmH2O < p.decremental.startPeepCmH2O) out.push(`reRecruit.peepCmH2O = ${p.reRecruit.peepCmH2O}: must not be below decremental.startPeepCmH2O (${p.decremental.startPeepCmH2O} cmH2O): a re-recruitment below the titration start recruits nothing`);
  }
  const s = p.safety;
  if (s.spo2DetectCeilingPct <= s.spo2FloorPct) out.push(`safety.spo2DetectCeilingPct = ${s.spo2DetectCeilingPct}: must be above safety.spo2FloorPct (${s.spo2FloorPct} %)`);
  return out;
}
