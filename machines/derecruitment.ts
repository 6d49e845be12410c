/**
 * Derecruitment detection for the decremental phase of the staircase: named pure functions.
 *
 * - SpO2 method (PHARLAP 2019; Hodgson 2011 used 1 point on SaO2): the lung has derecruited at
 *   the first step whose SpO2 is at least `spo2DropPts` below the best SpO2 of the earlier
 *   decremental steps.
 * - Compliance method (ART / OLA style): the first step whose compliance is at least
 *   `complianceDropPct` percent below the best compliance of the earlier decremental steps.
 */

/** What a decremental step measured (means over its measurement window). */
export interface DecrementalMeasurement {
  peepCmH2O: number;
  spo2Pct: number | null;
  complianceMlPerCmH2O: number | null;
}

export type DerecruitmentMethod = 'spo2' | 'compliance';

export interface DerecruitmentCriteria {
  method: DerecruitmentMethod;
  spo2DropPts: number;
  complianceDropPct: number;
}

function best(values: Array<number | null>): number | null {
  let out: number | null = null;
  for (const v of values) if (v !== null && (out === null || v > out)) out = v;
  return out;
}

/** SpO2 at this step is at least `dropPts` below the best of the earlier decremental steps. */
export function spo2Derecruited(earlier: readonly DecrementalMeasurement[], current: DecrementalMeasurement, dropPts: number): boolean {
  const top = best(earlier.map((m) => m.spo2Pct));
  if (top === null || current.spo2Pct === null) return false;
  return top - current.spo2Pct >= dropPts - 1e-9;
}

/** Compliance at this step is at least `dropPct` percent below the best of the earlier steps. */
export function complianceDerecruited(earlier: readonly DecrementalMeasurement[], current: DecrementalMeasurement, dropPct: number): boolean {
  const top = best(earlier.map((m) => m.complianceMlPerCmH2O));
  if (top === null || top <= 0 || current.complianceMlPerCmH2O === null) return false;
  return ((top - current.complianceMlPerCmH2O) / top) * 100 >= dropPct - 1e-9;
}

/**
 * Whether the current decremental step shows derecruitment by the selected method.
 *
 * @example
 * detectDerecruitment([{ peepCmH2O: 25, spo2Pct: 96, complianceMlPerCmH2O: 40 }],
 *   { peepCmH2O: 22.5, spo2Pct: 93.5, complianceMlPerCmH2O: 41 },
 *   { method: 'spo2', spo2DropPts: 2, complianceDropPct: 5 }); // true
 */
export function detectDerecruitment(
  earlier: readonly DecrementalMeasurement[],
  current: DecrementalMeasurement,
  criteria: DerecruitmentCriteria,
): boolean {
  return criteria.method === 'spo2'
    ? spo2Derecruited(earlier, current, criteria.spo2DropPts)
    : complianceDerecruited(earlier, current, criteria.complianceDropPct);
}

/** Final PEEP: derecruitment PEEP + margin, or floor + margin when no derecruitment was seen. */
export function titratedPeep(derecruitmentPeepCmH2O: number | null, floorPeepCmH2O: number, marginCmH2O: number): number {
  return Math.round(((derecruitmentPeepCmH2O ?? floorPeepCmH2O) + marginCmH2O) * 100) / 100;
}
