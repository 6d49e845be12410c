/**
 * Hard limits no configuration can exceed. Schemas bound their fields with these, and the
 * runner checks every commanded setting against them before it reaches the HAL.
 */
import type { VentSettings } from '../types.js';

export const HARD_LIMITS = {
  /** PEEP is never commanded above this. */
  peepMaxCmH2O: 50,
  /** Peak inspiratory pressure is never commanded above this. */
  peakMaxCmH2O: 60,
  /** Driving pressure (peak - PEEP) in PCV steps. */
  drivingPressureMinCmH2O: 5,
  drivingPressureMaxCmH2O: 25,
  fio2Min: 0.21,
  fio2Max: 1,
  rateMaxBpm: 40,
} as const;

/** A commanded setting outside hard or protocol limits. */
export interface LimitViolation {
  field: keyof VentSettings;
  value: number;
  limit: number;
  message: string;
}

/**
 * Checks a setting the machine commands against the hard limits and the protocol's peak limit.
 * Returns every violation (empty when the setting may be sent).
 *
 * @example
 * const problems = checkCommandLimits({ mode: 'PCV', peepCmH2O: 40, peakCmH2O: 55, rateBpm: 20, fio2: 0.6 }, 55);
 * if (problems.length) throw new Error(problems[0].message);
 */
export function checkCommandLimits(settings: VentSettings, peakLimitCmH2O: number): LimitViolation[] {
  const out: LimitViolation[] = [];
  const peakLimit = Math.min(peakLimitCmH2O, HARD_LIMITS.peakMaxCmH2O);
  const check = (field: keyof VentSettings, value: number, ok: boolean, limit: number, message: string): void => {
    if (!ok) out.push({ field, value, limit, message });
  };
  check('peepCmH2O', settings.peepCmH2O, Number.isFinite(settings.peepCmH2O) && settings.peepCmH2O >= 0 && settings.peepCmH2O <= HARD_LIMITS.peepMaxCmH2O, HARD_LIMITS.peepMaxCmH2O, `PEEP ${settings.peepCmH2O} cmH2O outside 0-${HARD_LIMITS.peepMaxCmH2O}`);
  check('peakCmH2O', settings.peakCmH2O, Number.isFinite(settings.peakCmH2O) && settings.peakCmH2O <= peakLimit, peakLimit, `peak ${settings.peakCmH2O} cmH2O above the limit ${peakLimit}`);
  check('peakCmH2O', settings.peakCmH2O, settings.peakCmH2O >= settings.peepCmH2O, settings.peepCmH2O, `peak ${settings.peakCmH2O} cmH2O below PEEP ${settings.peepCmH2O}`);
  check('fio2', settings.fio2, settings.fio2 >= HARD_LIMITS.fio2Min && settings.fio2 <= HARD_LIMITS.fio2Max, HARD_LIMITS.fio2Max, `FiO2 ${settings.fio2} outside ${HARD_LIMITS.fio2Min}-${HARD_LIMITS.fio2Max}`);
  check('rateBpm', settings.rateBpm, settings.rateBpm >= 0 && settings.rateBpm <= HARD_LIMITS.rateMaxBpm, HARD_LIMITS.rateMaxBpm, `rate ${settings.rateBpm}/min outside 0-${HARD_LIMITS.rateMaxBpm}`);
  return out;
}
