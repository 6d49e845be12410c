/**
 * The safety monitor's guards: named pure functions, one per hazard condition.
 * Each takes the sample (or the clock), the baseline vitals and the thresholds, and says
 * whether the condition holds. The rule table (rules.ts) binds them to abort reasons.
 */
import type { SafetyConfig } from '../config/safety.js';
import type { BaselineVitals, LatestValues, MonitorSample } from '../types.js';

/** What every sample guard sees. */
export interface SampleGuardInput {
  sample: MonitorSample;
  baseline: BaselineVitals;
  safety: SafetyConfig;
  /** The protocol's peak pressure limit (overdistention guard adds the tolerance). */
  peakLimitCmH2O: number;
}

/** MAP below the absolute floor. */
export function mapBelowFloor({ sample, safety }: SampleGuardInput): boolean {
  return sample.mapMmHg !== undefined && sample.mapMmHg < safety.mapFloorMmHg;
}

/** MAP fallen more than the allowed percentage below the baseline MAP. */
export function mapFallExceeded({ sample, baseline, safety }: SampleGuardInput): boolean {
  if (sample.mapMmHg === undefined || baseline.mapMmHg <= 0) return false;
  const fallPct = ((baseline.mapMmHg - sample.mapMmHg) / baseline.mapMmHg) * 100;
  return fallPct > safety.mapFallMaxPct;
}

/** Systolic pressure below its floor. */
export function sbpBelowFloor({ sample, safety }: SampleGuardInput): boolean {
  return sample.sbpMmHg !== undefined && sample.sbpMmHg < safety.sbpFloorMmHg;
}

/** SpO2 below the absolute floor. */
export function spo2BelowFloor({ sample, safety }: SampleGuardInput): boolean {
  return sample.spo2Pct !== undefined && sample.spo2Pct < safety.spo2FloorPct;
}

/** SpO2 fallen more than the allowed points below the baseline SpO2. */
export function spo2FallExceeded({ sample, baseline, safety }: SampleGuardInput): boolean {
  return sample.spo2Pct !== undefined && baseline.spo2Pct - sample.spo2Pct > safety.spo2FallMaxPts;
}

/** Heart rate below the minimum (bradycardia). */
export function hrBelowMin({ sample, safety }: SampleGuardInput): boolean {
  return sample.hrBpm !== undefined && sample.hrBpm < safety.hrMinBpm;
}

/** Heart rate above the maximum (tachycardia). */
export function hrAboveMax({ sample, safety }: SampleGuardInput): boolean {
  return sample.hrBpm !== undefined && sample.hrBpm > safety.hrMaxBpm;
}

/** Measured peak airway pressure above the protocol limit plus tolerance (overdistention). */
export function peakAboveLimit({ sample, safety, peakLimitCmH2O }: SampleGuardInput): boolean {
  return sample.peakCmH2O !== undefined && sample.peakCmH2O > peakLimitCmH2O + safety.peakToleranceCmH2O;
}

/** Which vital is stale or missing at `now`, if any. */
export function staleVital(now: number, latest: LatestValues, safety: SafetyConfig): 'spo2' | 'map' | null {
  const maxAgeMs = safety.vitalsStaleS * 1000;
  if (latest.spo2At === null || now - latest.spo2At > maxAgeMs) return 'spo2';
  if (latest.mapAt === null || now - latest.mapAt > maxAgeMs) return 'map';
  return null;
}

/** No fresh SpO2 or MAP within `vitalsStaleS`. */
export function vitalsStale(now: number, latest: LatestValues, safety: SafetyConfig): boolean {
  return staleVital(now, latest, safety) !== null;
}

/** Physically plausible ranges: values outside are sensor faults, dropped before any guard sees them. */
export const PLAUSIBLE = {
  spo2Pct: [1, 100],
  mapMmHg: [10, 250],
  sbpMmHg: [20, 300],
  hrBpm: [10, 300],
  peakCmH2O: [-20, 150],
  plateauCmH2O: [-20, 150],
  peepCmH2O: [-20, 100],
  tidalVolumeMl: [0, 3000],
  complianceMlPerCmH2O: [0, 500],
} as const satisfies Record<string, readonly [number, number]>;

type PlausibleField = keyof typeof PLAUSIBLE;

/**
 * Raw -> plausible: returns the sample without values that are not finite or outside
 * `PLAUSIBLE`, and the names of the fields dropped. A dropped vital is not fresh, so a
 * sensor that keeps sending garbage ends in the stale-vitals abort.
 */
export function sanitizeSample(sample: MonitorSample): { sample: MonitorSample; dropped: PlausibleField[] } {
  // Guards and the recording action both sanitize the same event object: do it once.
  const cached = sanitized.get(sample);
  if (cached) return cached;
  const result = sanitizeUncached(sample);
  sanitized.set(sample, result);
  return result;
}

const sanitized = new WeakMap<MonitorSample, { sample: MonitorSample; dropped: PlausibleField[] }>();

function sanitizeUncached(sample: MonitorSample): { sample: MonitorSample; dropped: PlausibleField[] } {
  const clean: MonitorSample = { t: sample.t, source: sample.source };
  const dropped: PlausibleField[] = [];
  for (const field of Object.keys(PLAUSIBLE) as PlausibleField[]) {
    const v = sample[field];
    if (v === undefined) continue;
    const [lo, hi] = PLAUSIBLE[field];
    if (Number.isFinite(v) && v >= lo && v <= hi) clean[field] = v;
    else dropped.push(field);
  }
  return { sample: clean, dropped };
}
