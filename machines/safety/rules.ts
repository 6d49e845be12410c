/**
 * The safety monitor as a declared table: each rule names its guard, the abort reason it
 * maps to, its alarm priority and how it explains itself. One table serves every maneuver.
 */
import type { SafetyConfig } from '../config/safety.js';
import type { AbortReason, BaselineVitals, LatestValues, MonitorSample } from '../types.js';
import {
  hrAboveMax,
  hrBelowMin,
  mapBelowFloor,
  mapFallExceeded,
  peakAboveLimit,
  sbpBelowFloor,
  spo2BelowFloor,
  spo2FallExceeded,
  staleVital,
  type SampleGuardInput,
} from './guards.js';

export type AlarmPriority = 'high' | 'medium' | 'low';

export interface SampleRule {
  /** Guard name; it appears in abort records, the journal and docs/hazards.md. */
  guard: string;
  reason: AbortReason;
  priority: AlarmPriority;
  check: (input: SampleGuardInput) => boolean;
  explain: (input: SampleGuardInput) => string;
}

export const SAMPLE_RULES: readonly SampleRule[] = [
  {
    guard: 'mapBelowFloor',
    reason: 'hypotension',
    priority: 'high',
    check: mapBelowFloor,
    explain: ({ sample, safety }) => `MAP ${sample.mapMmHg} mmHg below ${safety.mapFloorMmHg}`,
  },
  {
    guard: 'mapFallExceeded',
    reason: 'hypotension',
    priority: 'high',
    check: mapFallExceeded,
    explain: ({ sample, baseline, safety }) =>
      `MAP ${sample.mapMmHg} mmHg fell more than ${safety.mapFallMaxPct}% from baseline ${baseline.mapMmHg}`,
  },
  {
    guard: 'sbpBelowFloor',
    reason: 'hypotension',
    priority: 'high',
    check: sbpBelowFloor,
    explain: ({ sample, safety }) => `SBP ${sample.sbpMmHg} mmHg below ${safety.sbpFloorMmHg}`,
  },
  {
    guard: 'spo2BelowFloor',
    reason: 'desaturation',
    priority: 'high',
    check: spo2BelowFloor,
    explain: ({ sample, safety }) => `SpO2 ${sample.spo2Pct}% below ${safety.spo2FloorPct}`,
  },
  {
    guard: 'spo2FallExceeded',
    reason: 'desaturation',
    priority: 'high',
    check: spo2FallExceeded,
    explain: ({ sample, baseline, safety }) =>
      `SpO2 ${sample.spo2Pct}% fell more than ${safety.spo2FallMaxPts} points from baseline ${baseline.spo2Pct}`,
  },
  {
    guard: 'hrBelowMin',
    reason: 'heart-rate',
    priority: 'high',
    check: hrBelowMin,
    explain: ({ sample, safety }) => `HR ${sample.hrBpm}/min below ${safety.hrMinBpm}`,
  },
  {
    guard: 'hrAboveMax',
    reason: 'heart-rate',
    priority: 'high',
    check: hrAboveMax,
    explain: ({ sample, safety }) => `HR ${sample.hrBpm}/min above ${safety.hrMaxBpm}`,
  },
  {
    guard: 'peakAboveLimit',
    reason: 'overdistention',
    priority: 'high',
    check: peakAboveLimit,
    explain: ({ sample, safety, peakLimitCmH2O }) =>
      `peak pressure ${sample.peakCmH2O} cmH2O above limit ${peakLimitCmH2O} + ${safety.peakToleranceCmH2O}`,
  },
];

/** A guard that fired. */
export interface Violation {
  guard: string;
  reason: AbortReason;
  priority: AlarmPriority;
  message: string;
}

/** Every rule the sample violates, in table order (empty when the sample is safe). */
export function evaluateSample(input: SampleGuardInput): Violation[] {
  const out: Violation[] = [];
  for (const rule of SAMPLE_RULES) {
    if (rule.check(input)) out.push({ guard: rule.guard, reason: rule.reason, priority: rule.priority, message: rule.explain(input) });
  }
  return out;
}

/** The stale-vitals watchdog, evaluated on every clock tick. */
export function evaluateClock(now: number, latest: LatestValues, safety: SafetyConfig): Violation | null {
  const which = staleVital(now, latest, safety);
  if (which === null) return null;
  const at = which === 'spo2' ? latest.spo2At : latest.mapAt;
  const label = which === 'spo2' ? 'SpO2' : 'MAP';
  return {
    guard: 'vitalsStale',
    reason: 'stale-vitals',
    priority: 'high',
    message:
      at === null
        ? `no ${label} received`
        : `no fresh ${label} for ${((now - at) / 1000).toFixed(1)} s (limit ${safety.vitalsStaleS} s)`,
  };
}

/** Convenience for tests and the console: a sample's violations against a baseline. */
export function violationsOf(sample: MonitorSample, baseline: BaselineVitals, safety: SafetyConfig, peakLimitCmH2O: number): Violation[] {
  return evaluateSample({ sample, baseline, safety, peakLimitCmH2O });
}
