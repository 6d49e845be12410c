/**
 * The simulated lung's one-breath release (the R/I test) follows from its own units, and the R/I
 * the controller computes from it (machines/recruitability.ts, the published formula) ranks the
 * built-in profiles as Chen 2020 ranks patients. Written as ranges and orderings, so that a
 * recalibration of the closing pressures does not break it for the wrong reason.
 */
import { describe, expect, it } from 'vitest';
import { recruitabilityOf } from '../../machines/index.js';
import { BUILTIN_PROFILES, parseProfile, SimPatient, type BuiltinProfileName, type PatientProfile } from '../../sim/index.js';

const vc = (peep: number) => ({ mode: 'VC' as const, peepCmH2O: peep, peakCmH2O: 40, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 });

/** R/I of a profile as the screen measures it: 2 min at PEEP 15 from a baseline at PEEP 10, one breath at 5. */
function simulatedRi(profile: PatientProfile, seed: number) {
  const p = new SimPatient(profile, { seed, settings: vc(10) });
  p.setSettings(vc(15));
  p.advance(120_000);
  const before = p.breath();
  const r = p.releaseBreath(5);
  const after = p.breath();
  const result = recruitabilityOf({
    highPeepCmH2O: 15,
    lowPeepCmH2O: 5,
    tidalVolumeMl: 420,
    releaseExpiredVolumeMl: r.expiredVolumeMl,
    lowPlateauCmH2O: r.lowPlateauCmH2O,
    airwayOpeningPressureCmH2O: null,
  });
  return { r, result, unchanged: JSON.stringify(before) === JSON.stringify(after) };
}

const ri = (name: BuiltinProfileName, seed = 1) => simulatedRi(BUILTIN_PROFILES[name], seed).result.ratio!;

describe('simulated one-breath release (sim/recruitability.ts)', () => {
  it('expires Vt plus the released volume, and leaves the lung unchanged', () => {
    const { r, unchanged } = simulatedRi(BUILTIN_PROFILES['moderate-ards'], 1);
    expect(r.expiredVolumeMl).toBeCloseTo(420 + r.releasedVolumeMl, 6);
    expect(r.releasedVolumeMl).toBeGreaterThan(0);
    expect(r.lowPlateauCmH2O).toBeGreaterThan(5);
    expect(r.collapsingUnits).toBeLessThanOrEqual(r.openUnits);
    expect(unchanged).toBe(true);
  });

  it('a lung whose open units all stay open at the low PEEP has R/I about 0 (nothing recruited by the high PEEP)', () => {
    // Healthy lung with no gravitational gradient: nothing closes between 15 and 5.
    const flat = parseProfile({ ...structuredClone(BUILTIN_PROFILES.healthy), name: 'flat', lung: { ...BUILTIN_PROFILES.healthy.lung, superimposedPressureMaxCmH2O: 0, recruitableFraction: 0 } });
    const { r, result } = simulatedRi(flat, 1);
    expect(r.collapsingUnits).toBe(0);
    expect(Math.abs(result.ratio!)).toBeLessThan(0.05);
  });

  it('R/I rises with the share of open units held open only by the high PEEP (a steeper gravitational gradient)', () => {
    const lung = BUILTIN_PROFILES['moderate-ards'].lung;
    // More units whose closing pressure lies between the low and the high PEEP: higher R/I.
    const values = [0.6, 1, 1.4].map((sd) => simulatedRi(parseProfile({ ...structuredClone(BUILTIN_PROFILES['moderate-ards']), name: `sp-${Math.round(sd * 10)}`, lung: { ...lung, superimposedPressureMaxCmH2O: lung.superimposedPressureMaxCmH2O * sd } }), 1).result.ratio!);
    expect(values[0]!).toBeLessThan(values[1]!);
    expect(values[1]!).toBeLessThan(values[2]!);
  });

  it('ranks the built-in profiles: ARDS recruiters above the non-recruiter above the healthy lung, within Chen 2020 range 0-2', () => {
    for (const seed of [1, 2, 3]) {
      const healthy = ri('healthy', seed);
      const non = ri('non-recruiter', seed);
      for (const recruiter of ['moderate-ards', 'severe-ards', 'hypovolemic-ards'] as const) {
        expect(ri(recruiter, seed), `${recruiter} seed ${seed}`).toBeGreaterThan(non);
      }
      expect(non).toBeGreaterThan(healthy);
      expect(healthy).toBeLessThan(0.15);
      for (const name of Object.keys(BUILTIN_PROFILES) as BuiltinProfileName[]) {
        const v = ri(name, seed);
        expect(v, name).toBeGreaterThanOrEqual(-0.1);
        expect(v, name).toBeLessThanOrEqual(2);
      }
    }
  });
});
