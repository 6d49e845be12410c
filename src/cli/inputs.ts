/**
 * Loading what the operator names on the command line: patient profiles, protocol files,
 * baseline settings. Every input is validated with zod; errors name the field, the value
 * and the allowed range, and become exit code 2 before anything starts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isValidationError, parseOrThrow, bounded } from '../../common/validation.js';
import { MANEUVERS, ProtocolSchema, type ManeuverKind, type Protocol, type VentSettings } from '../../machines/index.js';
import { BUILTIN_PROFILE_NAMES, parseProfile, profileByName, type PatientProfile } from '../../sim/index.js';
import { CliError } from './exitCodes.js';

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${what} file ${path} is not valid JSON: ${(e as Error).message}`);
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
export function loadProtocol(maneuver: ManeuverKind, path?: string): Protocol {
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
  return protocol;
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
  .strict();

export function loadBaseline(path?: string): VentSettings {
  if (!path) return DEFAULT_SIM_BASELINE;
  try {
    return parseOrThrow(BaselineSchema, readJson(path, 'baseline'), 'baseline settings');
  } catch (e) {
    return rethrow(e, path);
  }
}

/** Parses a whole-number flag within bounds (commander gives strings). */
export function intFlag(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} = ${JSON.stringify(value)}: must be a whole number between ${min} and ${max}`);
  return n;
}

export function numberFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new CliError(`--${name} = ${JSON.stringify(value)}: must be a number between ${min} and ${max}`);
  return n;
}
