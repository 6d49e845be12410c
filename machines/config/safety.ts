/**
 * Safety thresholds: the abort guards' limits. Defaults follow Hodgson 2011 / PHARLAP and
 * the suggested defaults in docs (clinical reference); every field is bounded so that a
 * configuration can tighten or moderately relax a guard but never switch it off.
 */
import { z } from 'zod';
import { bounded, boundedInt } from '../../common/validation.js';

/** The longest a commanded setting may wait for its confirmation (`applyTimeoutS`). */
export const APPLY_TIMEOUT_MAX_S = 600;
/** The longest one restore attempt may wait for its confirmation (`restoreTimeoutS`). */
export const RESTORE_TIMEOUT_MAX_S = 60;

const SafetyFields = z
  .object({
    /** Abort when MAP falls below this. */
    mapFloorMmHg: bounded(45, 80, 'mmHg').default(60),
    /** Abort when MAP falls more than this percentage below the baseline MAP. */
    mapFallMaxPct: bounded(5, 40, '%').default(20),
    /** Abort when systolic pressure falls below this. */
    sbpFloorMmHg: bounded(60, 100, 'mmHg').default(80),
    /** Abort when SpO2 falls below this. */
    spo2FloorPct: bounded(75, 95, '%').default(85),
    /** Abort when SpO2 falls more than this many points below baseline. */
    spo2FallMaxPts: bounded(2, 15, 'points').default(5),
    hrMinBpm: bounded(30, 80, '/min').default(60),
    hrMaxBpm: bounded(100, 180, '/min').default(140),
    /** Overdistention: abort when measured peak pressure exceeds the protocol limit by more than this. */
    peakToleranceCmH2O: bounded(0, 10, 'cmH2O').default(5),
    /**
     * Critical floors: below these the abort is immediate, with no alarm-condition delay
     * (IEC 60601-1-8 allows a delay for ordinary alarm conditions, not for critical ones).
     */
    spo2CriticalPct: bounded(60, 85, '%').default(80),
    mapCriticalMmHg: bounded(35, 60, 'mmHg').default(50),
    /** Heart rate below this (0 included: asystole or ECG leads off) aborts at once. */
    hrCriticalLowBpm: bounded(0, 45, '/min').default(30),
    /** Measured peak pressure above this aborts at once (the persistence of overdistention does not apply). */
    peakCriticalCmH2O: bounded(40, 75, 'cmH2O').default(65),
    /**
     * Alarm-condition delay per rule: a condition must hold on every sample for this long
     * before it aborts, so a transducer flush or a motion artifact shorter than this does
     * not end a maneuver. Hard-bounded to 15 s. Sources and the trade-off: docs/hazards.md.
     */
    persistenceS: z
      .object({
        desaturation: bounded(0, 15, 's').default(10),
        hypotension: bounded(0, 15, 's').default(5),
        heartRate: bounded(0, 15, 's').default(10),
        overdistention: bounded(0, 15, 's').default(3),
      })
      .strict()
      .prefault({}),
    /** Abort when no fresh value of a watched vital (SpO2, MAP, and SBP/HR when present at baseline) arrived for this long. */
    vitalsStaleS: bounded(2, 30, 's').default(10),
    /** Abort when the ventilator sent no measured PEEP or peak pressure for this long (its guards would be blind). */
    ventilatorStaleS: bounded(5, 30, 's').default(12),
    /** A sample dated more than this into the future (by the controller's own clock) is rejected. */
    maxFutureSkewS: bounded(0, 10, 's').default(2),
    /**
     * Delivered-vs-set verification: once a step has settled, measured PEEP (and peak pressure
     * in PCV, tidal volume in VC) must stay within tolerance of the set value; a deviation that
     * persists aborts with `delivery-mismatch`.
     */
    delivery: z
      .object({
        settleS: bounded(5, 60, 's').default(15),
        peepToleranceCmH2O: bounded(1, 5, 'cmH2O').default(3),
        peakToleranceCmH2O: bounded(2, 10, 'cmH2O').default(5),
        tidalVolumeTolerancePct: bounded(10, 50, '%').default(25),
        persistenceS: bounded(0, 15, 's').default(10),
      })
      .strict()
      .prefault({}),
    /** The vitals baseline is the median of the plausible samples of this window before the start. */
    baselineWindowS: bounded(10, 300, 's').default(30),
    /** Fewest SpO2 and MAP samples in that window for a baseline (else the start is refused). */
    baselineMinSamples: boundedInt(3, 300).default(5),
    /** A commanded setting must be confirmed within this time, or the maneuver aborts. */
    applyTimeoutS: bounded(1, APPLY_TIMEOUT_MAX_S, 's').default(10),
    /** Each attempt to restore the baseline must be confirmed within this time. */
    restoreTimeoutS: bounded(1, RESTORE_TIMEOUT_MAX_S, 's').default(10),
    /** Restore attempts before the controller enters failsafe and alarms. */
    restoreAttempts: boundedInt(1, 10).default(3),
    /** Pause between restore attempts. */
    restoreRetryDelayS: bounded(0, 30, 's').default(1),
    /**
     * Start only when the baseline MAP (median of the window) is at least this: ART 2017 excluded
     * MAP < 65 mmHg (PHARLAP: < 60). The running guard stays `mapFloorMmHg`.
     */
    startMapMinMmHg: bounded(50, 90, 'mmHg').default(65),
    /** Start only with heart rate and systolic pressure measured (their guards would otherwise be blind for the whole run). */
    requireHrAndSbp: z.boolean().default(true),
    /** Baseline SpO2 above this hides derecruitment (flat top of the dissociation curve). */
    spo2DetectCeilingPct: bounded(90, 100, '%').default(97),
    /** Refuse to start (instead of warning) when baseline SpO2 is above the ceiling. */
    blockOnHighBaselineSpo2: z.boolean().default(false),
    /** Baseline settings are sane only within these. */
    baselinePeepMaxCmH2O: bounded(0, 25, 'cmH2O').default(20),
    baselinePeakMaxCmH2O: bounded(10, 45, 'cmH2O').default(40),
  })
  // hrMinBpm (<= 80) and hrMaxBpm (>= 100) have disjoint bounds, so they are always ordered;
  // test/machines/verification.test.ts pins that, should the bounds ever be widened.
  .strict();

export const SafetyConfigSchema = SafetyFields.superRefine((v, ctx) => {
    // Ordered pairs, compared only when both are within their own bounds (else that is the problem named).
    const ok = (field: 'spo2CriticalPct' | 'spo2FloorPct' | 'mapCriticalMmHg' | 'mapFloorMmHg' | 'hrCriticalLowBpm' | 'hrMinBpm') =>
      SafetyFields.shape[field].safeParse(v[field]).success;
    const below = (field: string, value: number, limit: string, limitValue: number) =>
      ctx.addIssue({ code: 'custom', path: [field], message: `must be below ${limit} (${limitValue}; got ${value})` });
    if (ok('spo2CriticalPct') && ok('spo2FloorPct') && v.spo2CriticalPct >= v.spo2FloorPct) below('spo2CriticalPct', v.spo2CriticalPct, 'spo2FloorPct', v.spo2FloorPct);
    if (ok('mapCriticalMmHg') && ok('mapFloorMmHg') && v.mapCriticalMmHg >= v.mapFloorMmHg) below('mapCriticalMmHg', v.mapCriticalMmHg, 'mapFloorMmHg', v.mapFloorMmHg);
    if (ok('hrCriticalLowBpm') && ok('hrMinBpm') && v.hrCriticalLowBpm >= v.hrMinBpm) below('hrCriticalLowBpm', v.hrCriticalLowBpm, 'hrMinBpm', v.hrMinBpm);
  });

export type SafetyConfig = z.output<typeof SafetyConfigSchema>;
export type SafetyConfigInput = z.input<typeof SafetyConfigSchema>;

/** The default thresholds. */
export const DEFAULT_SAFETY: SafetyConfig = SafetyConfigSchema.parse({});
