/**
 * Protocol configurations, one schema per maneuver, each carrying its safety thresholds.
 * Defaults follow ../docs/clinical.md (Hodgson 2011, PHARLAP 2019, Fan 2008); bounds are hard.
 * Durations are in seconds in configuration files (`holdS`, `dwellS`) and milliseconds inside.
 */
import { z } from 'zod';
import { bounded, boundedInt } from '../../common/validation.js';
import { HARD_LIMITS } from './limits.js';
import { SafetyConfigSchema } from './safety.js';

export const MANEUVERS = ['sustained-inflation', 'high-pressure-pcv', 'staircase'] as const;
export type ManeuverKind = (typeof MANEUVERS)[number];

/** When a maneuver counts as having produced a response (gates a repeat). */
export const ResponseCriterionSchema = z
  .object({
    metric: z.enum(['spo2', 'compliance', 'either']).default('spo2'),
    /** SpO2 rise over baseline, in points, that counts as a response. */
    spo2RisePts: bounded(0.5, 20, 'points').default(2),
    /** Compliance rise over baseline, in percent, that counts as a response. */
    complianceRisePct: bounded(1, 100, '%').default(10),
  })
  .strict();

export const RepeatPolicySchema = z
  .object({
    /** Repeats allowed after the first maneuver (operator-initiated). */
    maxRepeats: boundedInt(0, 3).default(1),
    /** Minimum time between the end of one maneuver and the start of the next. */
    minIntervalS: bounded(0, 3600, 's').default(300),
  })
  .strict();

/**
 * Lung-protective limits (ARDSnet 2000; Amato 2015): the final settings of every maneuver must
 * keep plateau pressure, driving pressure and tidal volume per kg predicted body weight within
 * them, and the decremental steps of the staircase keep Vt/kg within the tidal-volume limit by
 * lowering their driving pressure. Recruitment steps are bounded by `peakLimitCmH2O` instead.
 */
export const LungProtectionSchema = z
  .object({
    /** Plateau pressure of the final settings (PCV: the set peak bounds it). ARDSnet 2000: <= 30. */
    plateauMaxCmH2O: bounded(20, 35, 'cmH2O').default(30),
    /** Driving pressure (plateau - PEEP) of the final settings. Amato 2015: <= ~15. */
    drivingPressureMaxCmH2O: bounded(8, 20, 'cmH2O').default(15),
    /** Tidal volume per kg PBW outside the recruitment steps. ARDSnet: 4-8 mL/kg (6 target). */
    tidalVolumeMaxMlPerKg: bounded(4, 10, 'mL/kg').default(8),
    /** The final settings may lower Vt to meet the pressure limits, not below this. */
    tidalVolumeMinMlPerKg: bounded(3, 6, 'mL/kg').default(4),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.tidalVolumeMinMlPerKg > v.tidalVolumeMaxMlPerKg) {
      ctx.addIssue({ code: 'custom', path: ['tidalVolumeMinMlPerKg'], message: `must not exceed tidalVolumeMaxMlPerKg (${v.tidalVolumeMaxMlPerKg} mL/kg)` });
    }
  });

/**
 * After a single-step RM: back to the baseline PEEP, baseline + `plusCmH2O` (limits still apply),
 * or `titration`: hand over to the decremental PEEP titration (FiO2 step, decremental trial, the
 * PEEP methods, lung-protective limits and fallback ladder of the staircase; `decrementalTitration`).
 */
export const PostRmPeepSchema = z
  .object({
    mode: z
      .enum(['baseline', 'baseline-plus', 'titration'], { error: (i) => `must be baseline, baseline-plus or titration (got ${JSON.stringify(i.input)})` })
      .default('baseline'),
    plusCmH2O: bounded(0, 10, 'cmH2O').default(5),
  })
  .strict();

/**
 * Pre-oxygenation before the first step (issue 15, item 8). FiO2 is raised to `fio2` (never
 * lowered: the higher of it and the baseline FiO2) and held in `holdS` holds until SpO2 settles:
 * the median SpO2 of a hold differs from the previous hold's by at most `settleDeltaPts` (the
 * first hold counts only when FiO2 did not change). At most `maxS` in all; a patient whose settled
 * SpO2 stays below `minSpo2Pct` does not get the RM (aborts, FiO2 kept). Then the desaturation
 * guard measures from the pre-oxygenated SpO2, with a floor relative to it (never below the
 * critical floor). `when`: `if-needed` pre-oxygenates when the baseline SpO2 is below
 * `ifBelowSpo2Pct` (default 90: the 85 % stop criterion plus the allowed 5-point fall);
 * `always`; `never` (the absolute floor applies, as before). Defaults and sources: docs/hazards.md.
 */
export const PreoxygenationSchema = z
  .object({
    when: z
      .enum(['if-needed', 'always', 'never'], { error: (i) => `must be if-needed, always or never (got ${JSON.stringify(i.input)})` })
      .default('if-needed'),
    ifBelowSpo2Pct: bounded(85, 100, '%').default(90),
    fio2: bounded(0.21, 1, '(fraction)').default(1),
    holdS: bounded(30, 180, 's').default(60),
    settleDeltaPts: bounded(0.5, 3, 'points').default(1),
    maxS: bounded(60, 900, 's').default(300),
    minSpo2Pct: bounded(80, 95, '%').default(85),
    /**
     * A patient already below the critical floor on the baseline FiO2 is pre-oxygenated (raising
     * FiO2 is the treatment) unless SpO2 is below this hard floor; until SpO2 settles, the critical
     * floor is the baseline SpO2 minus the allowed fall, never below this (docs/hazards.md H35).
     */
    hardFloorSpo2Pct: bounded(60, 85, '%').default(70),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.maxS < 2 * v.holdS) ctx.addIssue({ code: 'custom', path: ['maxS'], message: `must allow at least two holds (>= 2 x holdS = ${2 * v.holdS} s; got ${v.maxS})` });
  });

/**
 * FiO2 at the end of a completed maneuver after pre-oxygenation (issue 15, items 2 and 8). A
 * severe patient dropped straight back to the baseline FiO2 gets its baseline SpO2 back (often
 * below the critical floor): the guard aborts and the recruitment is thrown away.
 * `wean` (default): from the FiO2 in use, FiO2 is lowered towards the baseline's in `weanStepFio2`
 * steps, each held `weanHoldS`; after a hold whose median SpO2 is below `weanMinSpo2Pct` the
 * previous FiO2 is set again (verified) and the maneuver ends there; otherwise it ends on the
 * baseline FiO2. `keep`: ends on the FiO2 in use. `baseline`: the baseline FiO2 at the end (the
 * behaviour before this section). Patients not pre-oxygenated always end on the baseline FiO2.
 * Defaults and sources: docs/hazards.md (H87-H89; ARDSnet SpO2 target 88-95 %).
 */
export const FinalFio2Schema = z
  .object({
    afterPreoxygenation: z
      .enum(['wean', 'keep', 'baseline'], { error: (i) => `must be wean, keep or baseline (got ${JSON.stringify(i.input)})` })
      .default('wean'),
    weanStepFio2: bounded(0.05, 0.2, '(fraction)').default(0.1),
    weanHoldS: bounded(30, 300, 's').default(60),
    /**
     * The SpO2 a wean hold must keep to go on. Absent: 90 % (ARDSnet 88-95 %), or one point
     * above `safety.spo2FloorPct` when the floor is raised to 90 or more, so a protocol with a
     * raised floor stays valid and its wean still steps back before the guard (`weanMinSpo2Of`).
     */
    weanMinSpo2Pct: bounded(88, 95, '%').optional(),
  })
  .strict();
export type FinalFio2Policy = z.output<typeof FinalFio2Schema>;

/** The default wean threshold (ARDSnet SpO2 target 88-95 %). */
export const DEFAULT_WEAN_MIN_SPO2_PCT = 90;

/**
 * The SpO2 a wean hold must keep: the protocol's `finalFio2.weanMinSpo2Pct` when given (validated
 * above the desaturation floor), else 90 %, raised to one point above the floor when that is higher.
 */
export function weanMinSpo2Of(p: { finalFio2: FinalFio2Policy; safety: { spo2FloorPct: number } }): number {
  return p.finalFio2.weanMinSpo2Pct ?? Math.max(DEFAULT_WEAN_MIN_SPO2_PCT, p.safety.spo2FloorPct + 1);
}

/**
 * The decremental PEEP titration's settings (the staircase's, and a single-step RM's when
 * `postRmPeep.mode` is `titration`).
 */
const titrationFields = {
    /** PCV driving pressure (peak = PEEP + driving pressure) for every staircase step. */
    drivingPressureCmH2O: bounded(HARD_LIMITS.drivingPressureMinCmH2O, HARD_LIMITS.drivingPressureMaxCmH2O, 'cmH2O').default(15),
    decremental: z
      .object({
        startPeepCmH2O: bounded(10, 35, 'cmH2O').default(25),
        stepCmH2O: bounded(1, 5, 'cmH2O').default(2.5),
        floorPeepCmH2O: bounded(5, 25, 'cmH2O').default(15),
        /**
         * When no derecruitment is seen down to the floor (PHARLAP's 15), the trial goes on in the
         * same steps down to this PEEP, never below the baseline PEEP, to find the lowest PEEP
         * that keeps oxygenation instead of setting floor + margin without information. Absent:
         * 10 cmH2O (ART 2017 went down to 11), or the floor when that is lower; equal to the
         * floor: PHARLAP exactly.
         */
        extendToPeepCmH2O: bounded(5, 25, 'cmH2O').optional(),
        dwellS: bounded(60, 600, 's').default(180),
      })
      .strict()
      .prefault({}),
    derecruitment: z
      .object({
        /** `spo2`: SpO2 falls by `spo2DropPts` below the best of the decremental phase (PHARLAP).
         *  `compliance`: compliance falls by `complianceDropPct` below its best (ART / OLA style). */
        method: z.enum(['spo2', 'compliance']).default('spo2'),
        spo2DropPts: bounded(1, 5, 'points').default(2),
        complianceDropPct: bounded(2, 30, '%').default(5),
      })
      .strict()
      .prefault({}),
    reRecruit: z
      .object({
        peepCmH2O: bounded(20, HARD_LIMITS.peepMaxCmH2O, 'cmH2O').default(40),
        dwellS: bounded(30, 180, 's').default(60),
        /**
         * `if-derecruited` (default): re-recruit only when derecruitment was detected (or the
         * desaturation fallback ran); otherwise go straight to the chosen PEEP. `always`: as PHARLAP.
         */
        when: z.enum(['if-derecruited', 'always']).default('if-derecruited'),
      })
      .strict()
      .prefault({}),
    /**
     * FiO2 titration before the decremental phase (Hodgson 2011): at the decremental start PEEP,
     * FiO2 is lowered in `stepFio2` steps until SpO2 is at most `targetMaxPct`, so that
     * derecruitment shows as a fall in SpO2. FiO2 is never set below `minFio2`, and the baseline
     * FiO2 is restored with the final settings.
     */
    fio2Titration: z
      .object({
        enabled: z.boolean().default(true),
        targetMinPct: bounded(85, 96, '%').default(90),
        targetMaxPct: bounded(88, 97, '%').default(92),
        stepFio2: bounded(0.05, 0.3, '(fraction)').default(0.1),
        minFio2: bounded(0.21, 1, '(fraction)').default(0.21),
        dwellS: bounded(30, 300, 's').default(60),
        /** At most this many FiO2 steps. */
        maxSteps: boundedInt(1, 10).default(6),
      })
      .strict()
      .superRefine((v, ctx) => {
        if (v.targetMinPct > v.targetMaxPct) ctx.addIssue({ code: 'custom', path: ['targetMinPct'], message: `must not exceed targetMaxPct (${v.targetMaxPct}%)` });
      })
      .prefault({}),
    /**
     * PEEP methods computed side by side from the same decremental trial, and which one sets
     * the final PEEP: `auto` = SpO2 when it saw derecruitment, compliance otherwise.
     */
    titration: z
      .object({
        decide: z.enum(['auto', 'spo2', 'compliance', 'driving-pressure']).default('auto'),
        /** Best-compliance method: PEEP at maximal compliance + this (Open Lung Tool study, OLA: 2). */
        complianceMarginCmH2O: bounded(0, 5, 'cmH2O').default(2),
      })
      .strict()
      .prefault({}),
    /** Final PEEP = derecruitment PEEP + margin (floor + margin when no derecruitment is seen). */
    finalMarginCmH2O: bounded(0, 5, 'cmH2O').default(2.5),
};

/** The titration's settings on their own (a single-step RM's `decrementalTitration`). */
export const DecrementalTitrationSchema = z.object(titrationFields).strict();
export type DecrementalTitration = z.output<typeof DecrementalTitrationSchema>;

/** Cross-field checks of the titration's settings against the protocol's peak limit. */
function checkTitration(v: DecrementalTitration, peakLimitCmH2O: number, ctx: z.RefinementCtx, at: string[]): void {
  const dp = v.drivingPressureCmH2O;
  if (v.reRecruit.peepCmH2O + dp > peakLimitCmH2O) {
    ctx.addIssue({ code: 'custom', path: [...at, 'reRecruit', 'peepCmH2O'], message: `PEEP + driving pressure (${v.reRecruit.peepCmH2O + dp}) must not exceed peakLimitCmH2O (${peakLimitCmH2O} cmH2O)` });
  }
  const d = v.decremental;
  if (d.startPeepCmH2O <= d.floorPeepCmH2O) {
    ctx.addIssue({ code: 'custom', path: [...at, 'decremental', 'startPeepCmH2O'], message: `must be above decremental.floorPeepCmH2O (${d.floorPeepCmH2O} cmH2O)` });
  }
  if (d.extendToPeepCmH2O !== undefined && d.extendToPeepCmH2O > d.floorPeepCmH2O) {
    ctx.addIssue({ code: 'custom', path: [...at, 'decremental', 'extendToPeepCmH2O'], message: `must not exceed decremental.floorPeepCmH2O (${d.floorPeepCmH2O} cmH2O): allowed 5-${d.floorPeepCmH2O} cmH2O` });
  }
  if ((d.startPeepCmH2O - walkFloorOf(d)) / d.stepCmH2O > 20) {
    ctx.addIssue({ code: 'custom', path: [...at, 'decremental', 'stepCmH2O'], message: 'gives more than 20 decremental steps; use a larger step' });
  }
  if (d.floorPeepCmH2O + v.finalMarginCmH2O + dp > peakLimitCmH2O) {
    ctx.addIssue({ code: 'custom', path: [...at, 'finalMarginCmH2O'], message: 'final PEEP would exceed the peak limit' });
  }
  if (d.startPeepCmH2O + dp > peakLimitCmH2O) {
    ctx.addIssue({ code: 'custom', path: [...at, 'decremental', 'startPeepCmH2O'], message: `PEEP + driving pressure (${d.startPeepCmH2O + dp}) must not exceed peakLimitCmH2O (${peakLimitCmH2O} cmH2O)` });
  }
}

const common = {
  lungProtection: LungProtectionSchema.prefault({}),
  /** Overdistention limit: the protocol's peak pressure limit (the guard adds the safety tolerance). */
  peakLimitCmH2O: bounded(30, HARD_LIMITS.peakMaxCmH2O, 'cmH2O').default(55),
  /** Wait for OPERATOR_CONFIRM before each step is applied. */
  confirmEachStep: z.boolean().default(false),
  /** With `confirmEachStep`, abort (restoring baseline) when no confirmation comes within this time. */
  confirmTimeoutS: bounded(10, 600, 's').default(120),
  /** Observation on the post-maneuver settings before the response is assessed. */
  assessS: bounded(0, 600, 's').default(60),
  /**
   * Step measurements are medians over this last part of each dwell (the whole dwell when it is
   * shorter). A median ignores an artifact covering less than half the window: at 90 s, a 30-s
   * SpO2 artifact in a 3-min decremental step cannot move the titrated PEEP.
   */
  measureWindowS: bounded(5, 180, 's').default(90),
  response: ResponseCriterionSchema.prefault({}),
  repeat: RepeatPolicySchema.prefault({}),
  safety: SafetyConfigSchema.prefault({}),
  preoxygenation: PreoxygenationSchema.prefault({}),
  finalFio2: FinalFio2Schema.prefault({}),
};

/** The wean steps back before the desaturation guard's floor (never above spo2FloorPct) is reached. */
function checkFinalFio2(v: { finalFio2: FinalFio2Policy; safety: { spo2FloorPct: number } }, ctx: z.RefinementCtx): void {
  if (v.finalFio2.weanMinSpo2Pct !== undefined && v.finalFio2.weanMinSpo2Pct <= v.safety.spo2FloorPct) {
    ctx.addIssue({ code: 'custom', path: ['finalFio2', 'weanMinSpo2Pct'], message: `must be above safety.spo2FloorPct (${v.safety.spo2FloorPct}%; got ${v.finalFio2.weanMinSpo2Pct})` });
  }
}

/** Checks every protocol shares: pre-oxygenation against the safety floors; a single-step RM's titration. */
function checkCommon(
  v: { preoxygenation: z.output<typeof PreoxygenationSchema>; finalFio2: FinalFio2Policy; safety: { spo2CriticalPct: number; spo2FloorPct: number }; peakLimitCmH2O: number; postRmPeep?: { mode: string }; decrementalTitration?: DecrementalTitration },
  ctx: z.RefinementCtx,
): void {
  if (v.preoxygenation.hardFloorSpo2Pct > v.safety.spo2CriticalPct) {
    ctx.addIssue({ code: 'custom', path: ['preoxygenation', 'hardFloorSpo2Pct'], message: `must not be above safety.spo2CriticalPct (${v.safety.spo2CriticalPct}%; got ${v.preoxygenation.hardFloorSpo2Pct})` });
  }
  if (v.preoxygenation.minSpo2Pct <= v.safety.spo2CriticalPct) {
    ctx.addIssue({ code: 'custom', path: ['preoxygenation', 'minSpo2Pct'], message: `must be above safety.spo2CriticalPct (${v.safety.spo2CriticalPct}%; got ${v.preoxygenation.minSpo2Pct})` });
  }
  checkFinalFio2(v, ctx);
  if (v.postRmPeep?.mode === 'titration' && v.decrementalTitration) checkTitration(v.decrementalTitration, v.peakLimitCmH2O, ctx, ['decrementalTitration']);
}

export const SustainedInflationProtocolSchema = z
  .object({
    maneuver: z.literal('sustained-inflation'),
    /** CPAP level held during the inflation. */
    peepCmH2O: bounded(30, 50, 'cmH2O').default(40),
    holdS: bounded(20, 30, 's').default(30),
    /** The PEEP the maneuver ends at (the recruited lung collapses again at the old baseline PEEP). */
    postRmPeep: PostRmPeepSchema.prefault({}),
    /** With `postRmPeep.mode` `titration`: the decremental titration that follows the RM. */
    decrementalTitration: DecrementalTitrationSchema.prefault({}),
    ...common,
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.peepCmH2O > v.peakLimitCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['peepCmH2O'], message: `must not exceed peakLimitCmH2O (${v.peakLimitCmH2O} cmH2O)` });
    }
    checkCommon(v, ctx);
  });

export const HighPressurePcvProtocolSchema = z
  .object({
    maneuver: z.literal('high-pressure-pcv'),
    peepCmH2O: bounded(25, 30, 'cmH2O').default(25),
    /** Absolute peak inspiratory pressure. */
    peakCmH2O: bounded(40, 45, 'cmH2O').default(40),
    holdS: bounded(60, 180, 's').default(120),
    postRmPeep: PostRmPeepSchema.prefault({}),
    /** With `postRmPeep.mode` `titration`: the decremental titration that follows the RM. */
    decrementalTitration: DecrementalTitrationSchema.prefault({}),
    ...common,
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.peakCmH2O > v.peakLimitCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['peakCmH2O'], message: `must not exceed peakLimitCmH2O (${v.peakLimitCmH2O} cmH2O)` });
    }
    checkCommon(v, ctx);
  });

export const StaircaseProtocolSchema = z
  .object({
    maneuver: z.literal('staircase'),
    /** Ascending PEEP levels of the incremental (recruitment) phase. */
    incrementalPeepsCmH2O: z
      .array(bounded(10, HARD_LIMITS.peepMaxCmH2O, 'cmH2O'))
      .min(1, { error: 'must list 1 to 8 PEEP levels' })
      .max(8, { error: 'must list 1 to 8 PEEP levels' })
      .default([20, 30, 40]),
    incrementalDwellS: bounded(30, 300, 's').default(120),
    ...titrationFields,
    ...common,
  })
  .strict()
  .superRefine((v, ctx) => {
    const peeps = v.incrementalPeepsCmH2O;
    for (let i = 1; i < peeps.length; i++) {
      if ((peeps[i] ?? 0) <= (peeps[i - 1] ?? 0)) {
        ctx.addIssue({ code: 'custom', path: ['incrementalPeepsCmH2O', i], message: `must be strictly ascending (previous level ${peeps[i - 1]})` });
      }
    }
    const dp = v.drivingPressureCmH2O;
    peeps.forEach((p, i) => {
      if (p + dp > v.peakLimitCmH2O) {
        ctx.addIssue({ code: 'custom', path: ['incrementalPeepsCmH2O', i], message: `PEEP + driving pressure (${p + dp}) must not exceed peakLimitCmH2O (${v.peakLimitCmH2O} cmH2O)` });
      }
    });
    checkTitration(v, v.peakLimitCmH2O, ctx, []);
    checkCommon(v, ctx);
  });

/**
 * The recruitability screen (R/I, Chen et al. 2020 AJRCCM 201:178): volume control at the high
 * PEEP, one breath at the low PEEP, the verified return to the high PEEP, then the baseline.
 * Not a recruitment maneuver: it is run before one (`rmseq screen`, `rmseq run staircase --screen`).
 */
export const RecruitabilityScreenProtocolSchema = z
  .object({
    maneuver: z.literal('recruitability-screen'),
    /** The PEEP the test starts from and returns to (Chen 2020: 15). */
    highPeepCmH2O: bounded(8, 25, 'cmH2O').default(15),
    /** The PEEP of the one release breath (Chen 2020: 5). */
    lowPeepCmH2O: bounded(0, 15, 'cmH2O').default(5),
    /** Time at the high PEEP before the release (Hamilton's guide suggests up to 30 min). */
    highDwellS: bounded(30, 1800, 's').default(120),
    /** Volume-control tidal volume of the test (default: the baseline's VC Vt, else 6 mL/kg PBW, else the measured Vt). */
    tidalVolumeMl: bounded(100, 1000, 'mL').optional(),
    /**
     * Respiratory rate of the test (default: the baseline's). A slow rate (6-8/min) lets the
     * release breath expire completely; a CPAP baseline (no breaths) needs one here.
     */
    rateBpm: bounded(4, 35, '/min').optional(),
    /** The low PEEP lasts until the release breath is measured, at most this many breaths. */
    releaseMaxBreaths: boundedInt(1, 3).default(2),
    /** Time back at the high PEEP (verified) before the baseline. */
    returnDwellS: bounded(3, 120, 's').default(10),
    /** R/I at or above this: high recruitability (Chen 2020: the cohort median 0.5). */
    thresholdRatio: bounded(0.1, 2, '(ratio)').default(0.5),
    /** Airway opening pressure from an airway-closure test (null: no complete airway closure). */
    airwayOpeningPressureCmH2O: bounded(0, 30, 'cmH2O').nullable().default(null),
    /**
     * When a staircase follows a low-recruitability result: `warn` (proceed, saying so), `block`
     * (do not start it), `cap` (start it with its pressures capped at `capPeakCmH2O`).
     */
    policy: z.enum(['warn', 'block', 'cap']).default('warn'),
    /** With `cap`: the staircase's peak pressure limit (PEEP + driving pressure of every step). */
    capPeakCmH2O: bounded(25, 50, 'cmH2O').default(35),
    ...common,
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.lowPeepCmH2O >= v.highPeepCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['lowPeepCmH2O'], message: `must be below highPeepCmH2O (${v.highPeepCmH2O} cmH2O)` });
    }
    if (v.airwayOpeningPressureCmH2O !== null && v.airwayOpeningPressureCmH2O >= v.highPeepCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['airwayOpeningPressureCmH2O'], message: `must be below highPeepCmH2O (${v.highPeepCmH2O} cmH2O): recruitment cannot be assessed above it` });
    }
    if (v.highPeepCmH2O > v.peakLimitCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['highPeepCmH2O'], message: `must not exceed peakLimitCmH2O (${v.peakLimitCmH2O} cmH2O)` });
    }
    checkFinalFio2(v, ctx);
  });

/** Any maneuver's protocol, discriminated by `maneuver`. */
export const ProtocolSchema = z.discriminatedUnion('maneuver', [
  SustainedInflationProtocolSchema,
  HighPressurePcvProtocolSchema,
  StaircaseProtocolSchema,
  RecruitabilityScreenProtocolSchema,
]);

export type SustainedInflationProtocol = z.output<typeof SustainedInflationProtocolSchema>;
export type HighPressurePcvProtocol = z.output<typeof HighPressurePcvProtocolSchema>;
export type StaircaseProtocol = z.output<typeof StaircaseProtocolSchema>;
export type RecruitabilityScreenProtocol = z.output<typeof RecruitabilityScreenProtocolSchema>;
/** The screens: run before a maneuver, not maneuvers themselves (not in MANEUVERS). */
export const SCREENS = ['recruitability-screen'] as const;
export type ScreenKind = (typeof SCREENS)[number];
/** What a session can run: a maneuver or a screen. */
export type RunnableKind = ManeuverKind | ScreenKind;
export type Protocol = z.output<typeof ProtocolSchema>;
export type ProtocolInput = z.input<typeof ProtocolSchema>;

/** The default protocol of a maneuver. */
export function defaultProtocol(maneuver: ManeuverKind | ScreenKind): Protocol {
  return ProtocolSchema.parse({ maneuver });
}

/** Where the decremental trial goes below its floor when no derecruitment is seen (absent `extendToPeepCmH2O`). */
export const DEFAULT_EXTEND_TO_PEEP_CMH2O = 10;

/** The lowest PEEP the decremental trial may walk: `extendToPeepCmH2O` (default 10), never above the floor. */
export function walkFloorOf(d: { floorPeepCmH2O: number; extendToPeepCmH2O?: number | undefined }): number {
  return Math.min(d.extendToPeepCmH2O ?? DEFAULT_EXTEND_TO_PEEP_CMH2O, d.floorPeepCmH2O);
}

/**
 * The decremental PEEP levels a staircase protocol walks: from start down to the floor (the
 * floor always one of them), then on in the same steps down to `walkFloorOf` (those run only
 * while no derecruitment is seen, like every step after the first). With `baselinePeepCmH2O`,
 * no level below the floor is under the baseline PEEP.
 *
 * @example
 * decrementalPeeps(protocol, 10); // [25, 22.5, 20, 17.5, 15, 12.5, 10]
 */
export function decrementalPeeps(p: Pick<DecrementalTitration, 'decremental'>, baselinePeepCmH2O?: number): number[] {
  const { startPeepCmH2O: start, stepCmH2O: step, floorPeepCmH2O: floor } = p.decremental;
  const r2 = (v: number): number => Math.round(v * 100) / 100;
  const out: number[] = [];
  for (let i = 0; ; i++) {
    const peep = r2(start - i * step);
    if (peep < floor - 1e-9) break;
    out.push(peep);
  }
  if ((out[out.length - 1] ?? floor) > floor + 1e-9) out.push(floor);
  const lowest = Math.max(walkFloorOf(p.decremental), baselinePeepCmH2O ?? 0);
  for (let i = 1; ; i++) {
    const peep = r2(floor - i * step);
    if (peep < lowest - 1e-9) break;
    out.push(peep);
  }
  if (out[out.length - 1]! > lowest + 1e-9) out.push(lowest);
  return out;
}
