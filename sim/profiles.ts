/**
 * The built-in patient profiles, stored as JSON in sim/profiles/ and validated at load.
 */
import healthy from './profiles/healthy.json' with { type: 'json' };
import hypovolemicArds from './profiles/hypovolemic-ards.json' with { type: 'json' };
import mildArds from './profiles/mild-ards.json' with { type: 'json' };
import moderateArds from './profiles/moderate-ards.json' with { type: 'json' };
import nonRecruiter from './profiles/non-recruiter.json' with { type: 'json' };
import severeArds from './profiles/severe-ards.json' with { type: 'json' };
import { parseProfile, type PatientProfile } from './profile.js';

/**
 * Names of the built-in profiles (sim/profiles/<name>.json).
 *
 * @example
 * for (const name of BUILTIN_PROFILE_NAMES) console.log(name, BUILTIN_PROFILES[name].description);
 */
export const BUILTIN_PROFILE_NAMES = ['healthy', 'mild-ards', 'moderate-ards', 'severe-ards', 'non-recruiter', 'hypovolemic-ards'] as const;
/** One of BUILTIN_PROFILE_NAMES. */
export type BuiltinProfileName = (typeof BUILTIN_PROFILE_NAMES)[number];

const RAW: Record<BuiltinProfileName, unknown> = {
  healthy,
  'mild-ards': mildArds,
  'moderate-ards': moderateArds,
  'severe-ards': severeArds,
  'non-recruiter': nonRecruiter,
  'hypovolemic-ards': hypovolemicArds,
};

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function load(): Record<BuiltinProfileName, PatientProfile> {
  const out = {} as Record<BuiltinProfileName, PatientProfile>;
  for (const name of BUILTIN_PROFILE_NAMES) {
    const profile = parseProfile(RAW[name]);
    if (profile.name !== name) throw new Error(`built-in profile file ${name}.json is named "${profile.name}"`);
    out[name] = deepFreeze(profile);
  }
  return out;
}

/**
 * The built-in profiles (validated, frozen). Copy one to modify it.
 *
 * @example
 * const patient = new SimPatient(BUILTIN_PROFILES['moderate-ards'], { seed: 1, settings });
 * const variant = parseProfile({ ...structuredClone(BUILTIN_PROFILES.healthy), name: 'my-variant' });
 */
export const BUILTIN_PROFILES: Readonly<Record<BuiltinProfileName, PatientProfile>> = Object.freeze(load());

/**
 * Whether `name` is a built-in profile name.
 *
 * @example
 * isBuiltinProfileName('moderate-ards'); // true
 */
export function isBuiltinProfileName(name: string): name is BuiltinProfileName {
  return (BUILTIN_PROFILE_NAMES as readonly string[]).includes(name);
}

/**
 * A built-in profile by name, or undefined.
 *
 * @example
 * const profile = profileByName('hypovolemic-ards') ?? parseProfile(JSON.parse(text));
 */
export function profileByName(name: string): PatientProfile | undefined {
  return isBuiltinProfileName(name) ? BUILTIN_PROFILES[name] : undefined;
}
