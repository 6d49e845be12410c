/**
 * Time dependence (Bates & Irvin 2002): opening takes seconds at a 10 cmH2O margin, while
 * derecruitment after a PEEP decrement (a few cmH2O below the closing pressures) takes minutes.
 */
import { describe, expect, it } from 'vitest';
import { UNIT_COUNT } from '../../sim/constants.js';
import { BUILTIN_PROFILES, SimPatient, type SimSettings } from '../../sim/index.js';
import { buildLungUnits, UNIT_RECRUITABLE } from '../../sim/lungUnits.js';
import { stepRecruitment } from '../../sim/recruitment.js';
import { typicalProfile } from './support/typical.js';

const BASELINE: SimSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
const pcv = (peep: number, peak: number): SimSettings => ({ mode: 'PCV', peepCmH2O: peep, peakCmH2O: peak, rateBpm: 20, fio2: 0.6 });

describe('time-dependent recruitment', () => {
  it('a closed unit held 10 cmH2O above its opening pressure opens within seconds to tens of seconds', () => {
    const units = buildLungUnits(BUILTIN_PROFILES['moderate-ards'], 1);
    const times: number[] = [];
    for (let i = 0; i < UNIT_COUNT; i += 7) {
      if (units.kind[i] !== UNIT_RECRUITABLE) continue;
      units.x.fill(0);
      units.open.fill(0);
      units.openCount.fill(0);
      units.activity.valid = false;
      const p = (units.openingCmH2O[i] as number) + 10;
      let t = 0;
      while (!units.open[i] && t < 600) {
        stepRecruitment(units, p, p, 1 / 3, 0.1);
        t += 0.1;
      }
      times.push(t);
    }
    times.sort((a, b) => a - b);
    expect(times.length).toBeGreaterThan(5);
    expect(times[0]).toBeGreaterThan(0.5);
    expect(times[Math.floor(times.length / 2)]).toBeLessThan(10);
    expect(times[times.length - 1]).toBeLessThan(30);
  });

  it('the moderate-ARDS lung recruits in seconds at PEEP 40 but derecruits over minutes after stepping down to PEEP 17.5, a few cmH2O below its dependent closing pressures (~19-20)', () => {
    // The typical patient: one with a lower closing pressure (between-patient spread) barely derecruits at 15.
    const patient = new SimPatient(typicalProfile('moderate-ards'), { seed: 1, settings: BASELINE });
    const before = patient.breath().recruitedFraction;
    patient.setSettings(pcv(40, 55));
    const up: number[] = [];
    for (let s = 1; s <= 120; s++) {
      patient.advance(1000);
      up.push(patient.breath().recruitedFraction);
    }
    const top = up[up.length - 1] as number;
    expect(top - before).toBeGreaterThan(0.15);
    const halfUpS = up.findIndex((r) => r - before >= 0.5 * (top - before)) + 1;
    const ninetyUpS = up.findIndex((r) => r - before >= 0.9 * (top - before)) + 1;
    expect(halfUpS).toBeLessThanOrEqual(10);
    expect(ninetyUpS).toBeLessThanOrEqual(30);

    patient.setSettings(pcv(17.5, 32.5));
    const down: number[] = [];
    for (let s = 1; s <= 900; s++) {
      patient.advance(1000);
      down.push(patient.breath().recruitedFraction);
    }
    const end = down[down.length - 1] as number;
    expect(top - end).toBeGreaterThan(0.1);
    const halfDownS = down.findIndex((r) => top - r >= 0.5 * (top - end)) + 1;
    const ninetyDownS = down.findIndex((r) => top - r >= 0.9 * (top - end)) + 1;
    expect(halfDownS).toBeGreaterThan(30);
    expect(ninetyDownS).toBeGreaterThan(100);
    expect(halfDownS).toBeGreaterThan(5 * halfUpS);
  });

  it('recruitment persists above the closing pressures: the lung stays open at PEEP 22.5 for 15 minutes', () => {
    const patient = new SimPatient(typicalProfile('moderate-ards'), { seed: 1, settings: BASELINE });
    patient.setSettings(pcv(40, 55));
    patient.advance(120_000);
    patient.setSettings({ ...BASELINE, peepCmH2O: 22.5, peakCmH2O: 42.5 });
    patient.advance(15 * 60_000);
    expect(patient.breath().recruitedFraction).toBeGreaterThan(0.97);
  });
});
