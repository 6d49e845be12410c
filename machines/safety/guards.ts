/**
 * The safety monitor's guards: named pure functions, one per hazard condition.
 * Each takes a checked sample (or the clock), the baseline vitals and the thresholds, and
 * says whether the condition holds. The rule table (rules.ts) binds them to abort reasons,
 * alarm-condition delays and the fields they read.
 */
import type { SafetyConfig } from '../config/safety.js';
import type { BaselineVitals, CheckedSample, LatestValues, VentSettings } from '../types.js';

/** What every sample guard sees. */
export interface SampleGuardInput {
  sample: CheckedSample;
  baseline: BaselineVitals;
  safety: SafetyConfig;
  /** The protocol's peak pressure limit (overdistention guard adds the tolerance). */
  peakLimitCmH2O: number;
  /** The settings the ventilator should be delivering now (a verified step past its settle time), else null. */
  delivering?: VentSettings | null;
}

/** MAP below the critical floor: no alarm-condition delay. */
export function mapCritical({ sample, safety }: SampleGuardInput): boolean {
  return sample.mapMmHg !== undefined && sample.mapMmHg < safety.mapCriticalMmHg;
}

/** MAP below the absolute floor. */
export function mapBelowFloor({ sample, safety }: SampleGuardInput, slack = 0): boolean {
  return sample.mapMmHg !== undefined && sample.mapMmHg < safety.mapFloorMmHg + slack;
}

/** MAP fallen more than the allowed percentage below the baseline MAP. */
export function mapFallExceeded({ sample, baseline, safety }: SampleGuardInput, slack = 0): boolean {
  if (sample.mapMmHg === undefined || baseline.mapMmHg <= 0) return false;
  const fallPct = ((baseline.mapMmHg - sample.mapMmHg) / baseline.mapMmHg) * 100;
  return fallPct > safety.mapFallMaxPct - slack;
}

/** Systolic pressure below its floor. */
export function sbpBelowFloor({ sample, safety }: SampleGuardInput, slack = 0): boolean {
  return sample.sbpMmHg !== undefined && sample.sbpMmHg < safety.sbpFloorMmHg + slack;
}

/** SpO2 below the critical floor: no alarm-condition delay. */
export function spo2Critical({ sample, safety }: SampleGuardInput): boolean {
  return sample.spo2Pct !== undefined && sample.spo2Pct < safety.spo2CriticalPct;
}

/** SpO2 below the absolute floor. */
export function spo2BelowFloor({ sample, safety }: SampleGuardInput, slack = 0): boolean {
  return sample.spo2Pct !== undefined && sample.spo2Pct < safety.spo2FloorPct + slack;
}

/** SpO2 fallen more than the allowed points below the baseline SpO2. */
export function spo2FallExceeded({ sample, baseline, safety }: SampleGuardInput, slack = 0): boolean {
  return sample.spo2Pct !== undefined && baseline.spo2Pct - sample.spo2Pct > safety.spo2FallMaxPts - slack;
}

/** Heart rate below the critical floor (0: asystole or ECG leads off): no alarm-condition delay. */
export function hrCritical({ sample, safety }: SampleGuardInput): boolean {
  return sample.hrBpm !== undefined && (sample.hrBpm <= 0 || sample.hrBpm < safety.hrCriticalLowBpm);
}

/** Heart rate below the minimum (bradycardia). */
export function hrBelowMin({ sample, safety }: SampleGuardInput, slack = 0): boolean {
  return sample.hrBpm !== undefined && sample.hrBpm < safety.hrMinBpm + slack;
}

/** Heart rate above the maximum (tachycardia). */
export function hrAboveMax({ sample, safety }: SampleGuardInput, slack = 0): boolean {
  return sample.hrBpm !== undefined && sample.hrBpm > safety.hrMaxBpm - slack;
}

/** Measured peak above the critical ceiling: no alarm-condition delay. */
export function peakCritical({ sample, safety }: SampleGuardInput): boolean {
  return sample.peakCmH2O !== undefined && sample.peakCmH2O > safety.peakCriticalCmH2O;
}

/** Measured peak airway pressure above the protocol limit plus tolerance (overdistention). */
export function peakAboveLimit({ sample, safety, peakLimitCmH2O }: SampleGuardInput, slack = 0): boolean {
  return sample.peakCmH2O !== undefined && sample.peakCmH2O > peakLimitCmH2O + safety.peakToleranceCmH2O - slack;
}

/**
 * What a sample shows of delivered therapy that is off the set value, one line each (empty:
 * as set). `slack` (a fraction, 0-1) narrows the tolerances: the hysteresis of the condition.
 */
export function deliveryDeviations({ sample, safety, delivering }: SampleGuardInput, slack = 0): string[] {
  if (!delivering) return [];
  const d = safety.delivery;
  const out: string[] = [];
  const off = (measured: number, set: number, tolerance: number) => !(Math.abs(measured - set) <= tolerance * (1 - slack) + 1e-9);
  if (sample.peepCmH2O !== undefined && off(sample.peepCmH2O, delivering.peepCmH2O, d.peepToleranceCmH2O)) {
    out.push(`measured PEEP ${round1(sample.peepCmH2O)} cmH2O, set ${delivering.peepCmH2O} (tolerance ${d.peepToleranceCmH2O})`);
  }
  if (delivering.mode === 'PCV' && sample.peakCmH2O !== undefined && off(sample.peakCmH2O, delivering.peakCmH2O, d.peakToleranceCmH2O)) {
    out.push(`measured peak ${round1(sample.peakCmH2O)} cmH2O, set ${delivering.peakCmH2O} (tolerance ${d.peakToleranceCmH2O})`);
  }
  const vt = delivering.tidalVolumeMl;
  if (delivering.mode === 'VC' && vt !== undefined && vt > 0 && sample.tidalVolumeMl !== undefined && off(sample.tidalVolumeMl, vt, (vt * d.tidalVolumeTolerancePct) / 100)) {
    out.push(`measured tidal volume ${Math.round(sample.tidalVolumeMl)} mL, set ${vt} (tolerance ${d.tidalVolumeTolerancePct}%)`);
  }
  return out;
}

/** The ventilator delivers other pressures or volumes than the settings it confirmed. */
export function deliveryMismatch(input: SampleGuardInput, slack = 0): boolean {
  return deliveryDeviations(input, slack).length > 0;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/** A watched value whose freshness the clock checks. */
export type WatchedValue = 'spo2' | 'map' | 'sbp' | 'hr' | 'peak' | 'peep';

/** Which values a running maneuver watches: SpO2 and MAP always, the rest when present at the start. */
export type Watched = Readonly<Record<WatchedValue, boolean>>;

export const VITALS_ONLY: Watched = { spo2: true, map: true, sbp: false, hr: false, peak: false, peep: false };

const AT: Record<WatchedValue, 'spo2At' | 'mapAt' | 'sbpAt' | 'hrAt' | 'peakAt' | 'peepAt'> = { spo2: 'spo2At', map: 'mapAt', sbp: 'sbpAt', hr: 'hrAt', peak: 'peakAt', peep: 'peepAt' };
const ORDER: readonly WatchedValue[] = ['spo2', 'map', 'hr', 'sbp', 'peak', 'peep'];

/** The first watched value that is stale or missing at `now`, if any. */
export function staleValue(now: number, latest: LatestValues, safety: SafetyConfig, watched: Watched = VITALS_ONLY): WatchedValue | null {
  for (const which of ORDER) {
    if (!watched[which]) continue;
    const at = latest[AT[which]];
    const limitMs = (which === 'peak' || which === 'peep' ? safety.ventilatorStaleS : safety.vitalsStaleS) * 1000;
    if (at === null || now - at > limitMs) return which;
  }
  return null;
}

/** When a watched value was last seen. */
export function lastSeen(latest: LatestValues, which: WatchedValue): number | null {
  return latest[AT[which]];
}
