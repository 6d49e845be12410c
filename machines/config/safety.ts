/**
 * Safety thresholds: the abort guards' limits. Defaults follow Hodgson 2011 / PHARLAP and
 * the suggested defaults in docs (clinical reference); every field is bounded so that a
 * configuration can tighten or moderately relax a guard but never switch it off.
 */
import { z } from 'zod';
import { bounded, boundedInt } from '../../common/validation.js';

export const SafetyConfigSchema = z
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
    /** Abort when no fresh SpO2 or MAP arrived for this long. */
    vitalsStaleS: bounded(2, 30, 's').default(10),
    /** A commanded setting must be confirmed within this time, or the maneuver aborts. */
    applyTimeoutS: bounded(1, 600, 's').default(10),
    /** Each attempt to restore the baseline must be confirmed within this time. */
    restoreTimeoutS: bounded(1, 60, 's').default(10),
    /** Restore attempts before the controller enters failsafe and alarms. */
    restoreAttempts: boundedInt(1, 10).default(3),
    /** Pause between restore attempts. */
    restoreRetryDelayS: bounded(0, 30, 's').default(1),
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

export type SafetyConfig = z.output<typeof SafetyConfigSchema>;
export type SafetyConfigInput = z.input<typeof SafetyConfigSchema>;

/** The default thresholds. */
export const DEFAULT_SAFETY: SafetyConfig = SafetyConfigSchema.parse({});
