/**
 * The safety monitor as a declared table: each rule names its guard, the abort reason it
 * maps to, its alarm priority, the fields it reads, its alarm-condition delay (persistence)
 * and how it explains itself. One table serves every maneuver.
 *
 * Persistence (IEC 60601-1-8 alarm-condition delay): a rule aborts only when its condition
 * has held on every sample that carried its fields for longer than its persistence; a
 * sample without those fields (or with them rejected as invalid) neither confirms nor
 * clears it. Critical rules (persistence 0) abort on the first sample.
 *
 * Hysteresis: once a condition holds, it clears only when a value is back inside its limit by
 * the rule's `hysteresis` (e.g. MAP >= floor + 3 mmHg), so a value hovering at the limit with
 * monitor noise is a condition that persists, not one that restarts on every other sample.
 */
import type { SafetyConfig } from '../config/safety.js';
import { SAMPLE_FIELDS, type AbortReason, type LatestValues, type SampleField } from '../types.js';
import {
  deliveryDeviations,
  deliveryMismatch,
  hrAboveMax,
  hrBelowMin,
  hrCritical,
  lastSeen,
  mapBelowFloor,
  mapCritical,
  mapFallExceeded,
  peakAboveLimit,
  peakCritical,
  sbpBelowFloor,
  spo2BelowFloor,
  spo2Critical,
  spo2FallExceeded,
  staleValue,
  VITALS_ONLY,
  type SampleGuardInput,
  type Watched,
} from './guards.js';

export type AlarmPriority = 'high' | 'medium' | 'low';

export interface SampleRule {
  /** Guard name; it appears in abort records, the journal and docs/hazards.md. */
  guard: string;
  reason: AbortReason;
  priority: AlarmPriority;
  /** The sample fields the rule reads: only a sample carrying one of them confirms or clears it. */
  fields: readonly SampleField[];
  /** Alarm-condition delay in ms (0: abort on the first violating sample). */
  persistenceMs: (safety: SafetyConfig) => number;
  /** How far inside its limit a value must return to clear a condition in progress (in the guard's unit). */
  hysteresis: number;
  check: (input: SampleGuardInput, slack?: number) => boolean;
  explain: (input: SampleGuardInput) => string;
}

const seconds = (s: number): number => Math.round(s * 1000);
const immediate = (): number => 0;

/** In table order: the critical (immediate) rules first, so they name an abort when several fire. */
export const SAMPLE_RULES: readonly SampleRule[] = [
  { guard: 'spo2Critical', hysteresis: 0, reason: 'desaturation', priority: 'high', fields: ['spo2Pct'], persistenceMs: immediate, check: spo2Critical,
    explain: ({ sample, safety }) => `SpO2 ${sample.spo2Pct}% below the critical ${safety.spo2CriticalPct}%` },
  { guard: 'mapCritical', hysteresis: 0, reason: 'hypotension', priority: 'high', fields: ['mapMmHg'], persistenceMs: immediate, check: mapCritical,
    explain: ({ sample, safety }) => `MAP ${sample.mapMmHg} mmHg below the critical ${safety.mapCriticalMmHg}` },
  { guard: 'hrCritical', hysteresis: 0, reason: 'heart-rate', priority: 'high', fields: ['hrBpm'], persistenceMs: immediate, check: hrCritical,
    explain: ({ sample, safety }) =>
      sample.hrBpm === 0
        ? 'HR 0/min: asystole or ECG leads off - check the patient first, then the ECG leads'
        : `HR ${sample.hrBpm}/min below the critical ${safety.hrCriticalLowBpm}/min (severe bradycardia, or a lead problem)` },
  { guard: 'peakCritical', hysteresis: 0, reason: 'overdistention', priority: 'high', fields: ['peakCmH2O'], persistenceMs: immediate, check: peakCritical,
    explain: ({ sample, safety }) => `peak pressure ${sample.peakCmH2O} cmH2O above the critical ${safety.peakCriticalCmH2O}` },
  { guard: 'mapBelowFloor', hysteresis: 3, reason: 'hypotension', priority: 'high', fields: ['mapMmHg'], persistenceMs: (s) => seconds(s.persistenceS.hypotension), check: mapBelowFloor,
    explain: ({ sample, safety }) => `MAP ${sample.mapMmHg} mmHg below ${safety.mapFloorMmHg}` },
  { guard: 'mapFallExceeded', hysteresis: 3, reason: 'hypotension', priority: 'high', fields: ['mapMmHg'], persistenceMs: (s) => seconds(s.persistenceS.hypotension), check: mapFallExceeded,
    explain: ({ sample, baseline, safety }) => `MAP ${sample.mapMmHg} mmHg fell more than ${safety.mapFallMaxPct}% from baseline ${baseline.mapMmHg}` },
  { guard: 'sbpBelowFloor', hysteresis: 3, reason: 'hypotension', priority: 'high', fields: ['sbpMmHg'], persistenceMs: (s) => seconds(s.persistenceS.hypotension), check: sbpBelowFloor,
    explain: ({ sample, safety }) => `SBP ${sample.sbpMmHg} mmHg below ${safety.sbpFloorMmHg}` },
  { guard: 'spo2BelowFloor', hysteresis: 1, reason: 'desaturation', priority: 'high', fields: ['spo2Pct'], persistenceMs: (s) => seconds(s.persistenceS.desaturation), check: spo2BelowFloor,
    explain: ({ sample, safety }) => `SpO2 ${sample.spo2Pct}% below ${safety.spo2FloorPct}` },
  { guard: 'spo2FallExceeded', hysteresis: 1, reason: 'desaturation', priority: 'high', fields: ['spo2Pct'], persistenceMs: (s) => seconds(s.persistenceS.desaturation), check: spo2FallExceeded,
    explain: ({ sample, baseline, safety }) => `SpO2 ${sample.spo2Pct}% fell more than ${safety.spo2FallMaxPts} points from baseline ${baseline.spo2Pct}` },
  { guard: 'hrBelowMin', hysteresis: 3, reason: 'heart-rate', priority: 'high', fields: ['hrBpm'], persistenceMs: (s) => seconds(s.persistenceS.heartRate), check: hrBelowMin,
    explain: ({ sample, safety }) => `HR ${sample.hrBpm}/min below ${safety.hrMinBpm}` },
  { guard: 'hrAboveMax', hysteresis: 3, reason: 'heart-rate', priority: 'high', fields: ['hrBpm'], persistenceMs: (s) => seconds(s.persistenceS.heartRate), check: hrAboveMax,
    explain: ({ sample, safety }) => `HR ${sample.hrBpm}/min above ${safety.hrMaxBpm}` },
  { guard: 'peakAboveLimit', hysteresis: 1, reason: 'overdistention', priority: 'high', fields: ['peakCmH2O'], persistenceMs: (s) => seconds(s.persistenceS.overdistention), check: peakAboveLimit,
    explain: ({ sample, safety, peakLimitCmH2O }) => `peak pressure ${sample.peakCmH2O} cmH2O above limit ${peakLimitCmH2O} + ${safety.peakToleranceCmH2O}` },
  { guard: 'deliveryMismatch', hysteresis: 0.3, reason: 'delivery-mismatch', priority: 'high', fields: ['peepCmH2O', 'peakCmH2O', 'tidalVolumeMl'], persistenceMs: (s) => seconds(s.delivery.persistenceS), check: deliveryMismatch,
    explain: (input) => `the ventilator is not delivering what it confirmed: ${deliveryDeviations(input).join('; ')} - check for a leak, a disconnection or a device fault` },
];

/** A guard that fired. */
export interface Violation {
  guard: string;
  reason: AbortReason;
  priority: AlarmPriority;
  message: string;
}

/** Every rule the sample violates, in table order, regardless of persistence (empty when the sample is safe). */
export function evaluateSample(input: SampleGuardInput): Violation[] {
  const out: Violation[] = [];
  for (const rule of SAMPLE_RULES) {
    if (rule.check(input)) out.push({ guard: rule.guard, reason: rule.reason, priority: rule.priority, message: rule.explain(input) });
  }
  return out;
}

/** Alarm conditions in progress: guard name -> when its condition began to hold. */
export type Conditions = Readonly<Record<string, number>>;

export const NO_CONDITIONS: Conditions = Object.freeze({});

/** What one sample means for the monitor: the conditions after it, and the abort it causes, if any. */
export interface SampleVerdict {
  conditions: Conditions;
  abort: (Violation & { heldMs: number; also: string[] }) | null;
}

/**
 * Applies one checked sample to the alarm conditions in progress at `now`.
 *
 * @example
 * const v = judgeSample({ sample, baseline, safety, peakLimitCmH2O: 55 }, NO_CONDITIONS, now);
 * if (v.abort) console.log(v.abort.guard, v.abort.heldMs);
 */
export function judgeSample(input: SampleGuardInput, conditions: Conditions, now: number): SampleVerdict {
  let next: Record<string, number> | null = null;
  const edit = (): Record<string, number> => (next ??= { ...conditions });
  let abort: SampleVerdict['abort'] = null;
  let also: string[] | null = null;
  const { sample, safety } = input;
  const present = fieldsPresent(sample);
  for (let i = 0; i < SAMPLE_RULES.length; i++) {
    const rule = SAMPLE_RULES[i]!;
    // Only a sample carrying one of the rule's fields confirms or clears its condition.
    if ((present & RULE_FIELDS[i]!) === 0) continue;
    const since = conditions[rule.guard];
    if (!rule.check(input)) {
      // A condition in progress clears only when the value is back inside its limit by the hysteresis.
      if (since !== undefined && !(rule.hysteresis > 0 && rule.check(input, rule.hysteresis))) delete edit()[rule.guard];
      continue;
    }
    const start = since ?? now;
    if (since === undefined) edit()[rule.guard] = now;
    const persistence = rule.persistenceMs(safety);
    const held = now - start;
    if (persistence === 0 || held > persistence) {
      if (abort === null) {
        const heldNote = persistence === 0 ? '' : ` (held ${(held / 1000).toFixed(1)} s, alarm delay ${(persistence / 1000).toFixed(0)} s)`;
        also = [];
        abort = { guard: rule.guard, reason: rule.reason, priority: rule.priority, message: rule.explain(input) + heldNote, heldMs: held, also };
      } else also!.push(rule.guard);
    }
  }
  return { conditions: next ?? conditions, abort };
}

/** Each sample field as one bit (SAMPLE_FIELDS order). */
const FIELD_BIT: Readonly<Record<SampleField, number>> = Object.fromEntries(SAMPLE_FIELDS.map((f, i) => [f, 1 << i])) as Record<SampleField, number>;

/** The fields each rule of SAMPLE_RULES reads, as bits, index for index. */
const RULE_FIELDS: readonly number[] = SAMPLE_RULES.map((r) => r.fields.reduce((bits, f) => bits | FIELD_BIT[f], 0));

/**
 * The fields a sample carries, as bits: one pass with property names the engine can cache,
 * where `rule.fields.some((f) => sample[f] !== undefined)` per rule read them by computed name
 * 13 times a sample (a fifth of the machine's time per sample).
 */
function fieldsPresent(s: SampleGuardInput['sample']): number {
  return (
    (s.spo2Pct !== undefined ? FIELD_BIT.spo2Pct : 0) |
    (s.mapMmHg !== undefined ? FIELD_BIT.mapMmHg : 0) |
    (s.sbpMmHg !== undefined ? FIELD_BIT.sbpMmHg : 0) |
    (s.hrBpm !== undefined ? FIELD_BIT.hrBpm : 0) |
    (s.peakCmH2O !== undefined ? FIELD_BIT.peakCmH2O : 0) |
    (s.plateauCmH2O !== undefined ? FIELD_BIT.plateauCmH2O : 0) |
    (s.peepCmH2O !== undefined ? FIELD_BIT.peepCmH2O : 0) |
    (s.tidalVolumeMl !== undefined ? FIELD_BIT.tidalVolumeMl : 0) |
    (s.complianceMlPerCmH2O !== undefined ? FIELD_BIT.complianceMlPerCmH2O : 0) |
    (s.expiredVolumeMl !== undefined ? FIELD_BIT.expiredVolumeMl : 0)
  );
}

// Every field of SAMPLE_FIELDS, and only it, must light its bit: a field added there and not
// here would leave its rules blind. Checked once, when the module loads.
for (const f of SAMPLE_FIELDS) {
  if (fieldsPresent({ checked: true, t: 0, source: 'probe', [f]: 1 } as SampleGuardInput['sample']) !== FIELD_BIT[f]) {
    throw new Error(`machines/safety/rules.ts: fieldsPresent does not read the sample field ${f}`);
  }
}

/** The staleness watchdog, evaluated on every clock tick and sample: which watched value went quiet. */
export function evaluateClock(now: number, latest: LatestValues, safety: SafetyConfig, watched: Watched = VITALS_ONLY): Violation | null {
  const which = staleValue(now, latest, safety, watched);
  if (which === null) return null;
  const at = lastSeen(latest, which);
  const ventilator = which === 'peak' || which === 'peep';
  const label = { spo2: 'SpO2', map: 'MAP', sbp: 'SBP', hr: 'HR', peak: 'measured peak pressure', peep: 'measured PEEP' }[which];
  const limit = ventilator ? safety.ventilatorStaleS : safety.vitalsStaleS;
  return {
    guard: ventilator ? 'ventilatorStale' : 'vitalsStale',
    reason: ventilator ? 'stale-ventilator' : 'stale-vitals',
    priority: 'high',
    message:
      at === null
        ? `no ${label} received`
        : `no fresh ${label} for ${((now - at) / 1000).toFixed(1)} s (limit ${limit} s)${ventilator ? ': the ventilator stopped reporting, its guards would be blind' : ''}`,
  };
}
