/**
 * The recruitment-to-inflation ratio (R/I) of Chen et al. 2020, "Potential for Lung
 * Recruitment Estimated by the Recruitment-to-Inflation Ratio in Acute Respiratory Distress
 * Syndrome. A Clinical Trial", Am J Respir Crit Care Med 201(2):178-187.
 *
 * One breath: at the high PEEP (15) PEEP is dropped to the low PEEP (5). The breath expires
 * more than its tidal volume; the extra is the volume the PEEP change released:
 *
 *   Vrel        = VTe(release breath) - Vt                 (the end-expiratory volume change)
 *   Crs,low     = Vt / (Pplat,low - max(PEEP,low, AOP))    (first breath at the low PEEP)
 *   dP          = PEEP,high - max(PEEP,low, AOP)           (the effective pressure change)
 *   Vrec        = Vrel - Crs,low x dP                      (what compliance at low PEEP does not explain)
 *   Crec        = Vrec / dP                                (compliance of the recruited lung)
 *   R/I         = Crec / Crs,low
 *
 * AOP is the airway opening pressure (complete airway closure): above the low PEEP it replaces
 * it; at or above the high PEEP recruitment cannot be assessed (4 of Chen's 45 patients).
 * Chen's cohort: R/I median 0.5, range 0-2.0; the median split it (high recruiters at or
 * above 0.5). Pure: the machine, the guided procedure and the CLI call it.
 */
import { z } from 'zod';
import { bounded } from '../common/validation.js';
import { StaircaseProtocolSchema, type StaircaseProtocol } from './config/protocols.js';

/** What the one-breath test measured (every pressure in cmH2O, volume in mL). */
export interface ReleaseReadings {
  highPeepCmH2O: number;
  lowPeepCmH2O: number;
  /** Tidal volume of the breaths (volume control): inspired at the high PEEP and at the low PEEP. */
  tidalVolumeMl: number;
  /** Expired volume of the release breath (the first expiration to the low PEEP). */
  releaseExpiredVolumeMl: number;
  /** Plateau pressure of the first breath at the low PEEP. */
  lowPlateauCmH2O: number;
  /** Airway opening pressure when complete airway closure was found (null: none). */
  airwayOpeningPressureCmH2O: number | null;
}

/** The readings as an operator enters them (guided procedure, `rmseq screen --readings`): validated at the edge. */
export const ReleaseReadingsSchema = z
  .object({
    highPeepCmH2O: bounded(8, 25, 'cmH2O').default(15),
    lowPeepCmH2O: bounded(0, 15, 'cmH2O').default(5),
    tidalVolumeMl: bounded(100, 1000, 'mL'),
    releaseExpiredVolumeMl: bounded(100, 3000, 'mL'),
    lowPlateauCmH2O: bounded(5, 60, 'cmH2O'),
    airwayOpeningPressureCmH2O: bounded(0, 30, 'cmH2O').nullable().default(null),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.lowPeepCmH2O >= v.highPeepCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['lowPeepCmH2O'], message: `must be below highPeepCmH2O (${v.highPeepCmH2O} cmH2O)` });
    }
    if (v.lowPlateauCmH2O <= v.lowPeepCmH2O) {
      ctx.addIssue({ code: 'custom', path: ['lowPlateauCmH2O'], message: `must be above lowPeepCmH2O (${v.lowPeepCmH2O} cmH2O)` });
    }
    // Dropping PEEP releases volume: a release breath that expired less than its tidal volume is a leak or a mistyped number.
    // Only between two readings each within its own range (an out-of-range one is already named).
    const inRange = v.tidalVolumeMl >= 100 && v.tidalVolumeMl <= 1000 && v.releaseExpiredVolumeMl >= 100 && v.releaseExpiredVolumeMl <= 3000;
    if (inRange && v.releaseExpiredVolumeMl < v.tidalVolumeMl) {
      ctx.addIssue({ code: 'custom', path: ['releaseExpiredVolumeMl'], message: `must be at least tidalVolumeMl (${v.tidalVolumeMl} mL): the release breath expires the tidal volume plus what the PEEP drop released` });
    }
  });

/** High recruitability: proceed. Low: the staircase is not recommended. Not assessable: AOP at or above the high PEEP, or readings that cannot be used. */
export type RecruitabilityClass = 'high' | 'low' | 'not-assessable';

export interface RecruitabilityResult {
  recruitability: RecruitabilityClass;
  /** R/I (null when not assessable). */
  ratio: number | null;
  releasedVolumeMl: number | null;
  recruitedVolumeMl: number | null;
  lowComplianceMlPerCmH2O: number | null;
  recruitedComplianceMlPerCmH2O: number | null;
  /** The effective pressure change (high PEEP minus the larger of low PEEP and AOP). */
  effectivePressureCmH2O: number | null;
  /** The threshold the class was decided with. */
  thresholdRatio: number;
  readings: ReleaseReadings;
  /** In words, with the numbers. */
  detail: string;
}

/** Chen 2020: the cohort median, which split high from low recruiters. */
export const CHEN_2020_THRESHOLD = 0.5;

const r2 = (x: number) => Math.round(x * 100) / 100;

/**
 * R/I with the published formula; `thresholdRatio` splits high (>=) from low recruitability.
 *
 * @example
 * recruitabilityOf({ highPeepCmH2O: 15, lowPeepCmH2O: 5, tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: null });
 * // Vrel 600, Crs,low 20, Vrec 400, Crec 40, R/I 2 -> high
 */
export function recruitabilityOf(readings: ReleaseReadings, thresholdRatio: number = CHEN_2020_THRESHOLD): RecruitabilityResult {
  const { highPeepCmH2O: high, lowPeepCmH2O: low, tidalVolumeMl: vt, releaseExpiredVolumeMl: vte, lowPlateauCmH2O: pplat } = readings;
  const aop = readings.airwayOpeningPressureCmH2O;
  const floor = aop !== null && aop > low ? aop : low;
  const none = (detail: string): RecruitabilityResult => ({
    recruitability: 'not-assessable',
    ratio: null,
    releasedVolumeMl: null,
    recruitedVolumeMl: null,
    lowComplianceMlPerCmH2O: null,
    recruitedComplianceMlPerCmH2O: null,
    effectivePressureCmH2O: null,
    thresholdRatio,
    readings,
    detail,
  });
  const finite = [high, low, vt, vte, pplat].every(Number.isFinite) && (aop === null || Number.isFinite(aop));
  if (!finite) return none('a reading is missing or not a number');
  if (floor >= high) return none(`airway opening pressure ${aop} cmH2O is at or above the high PEEP ${high}: recruitment cannot be assessed (Chen 2020)`);
  if (!(vt > 0)) return none(`tidal volume ${vt} mL: no breath measured`);
  if (vte < vt) return none(`the release breath expired ${vte} mL, less than the tidal volume ${vt} mL: a leak or a mismeasured breath, not a release`);
  if (!(pplat > floor)) return none(`plateau ${pplat} cmH2O at the low PEEP is not above ${floor} cmH2O: compliance at low PEEP cannot be measured`);
  const dP = high - floor;
  const crsLow = vt / (pplat - floor);
  const vrel = vte - vt;
  const vrec = vrel - crsLow * dP;
  const crec = vrec / dP;
  const ratio = crec / crsLow;
  const cls: RecruitabilityClass = ratio >= thresholdRatio ? 'high' : 'low';
  return {
    recruitability: cls,
    ratio: r2(ratio),
    releasedVolumeMl: Math.round(vrel),
    recruitedVolumeMl: Math.round(vrec),
    lowComplianceMlPerCmH2O: r2(crsLow),
    recruitedComplianceMlPerCmH2O: r2(crec),
    effectivePressureCmH2O: r2(dP),
    thresholdRatio,
    readings,
    detail:
      `R/I ${r2(ratio)} (${cls === 'high' ? '>=' : '<'} ${thresholdRatio}): released ${Math.round(vrel)} mL, ` +
      `predicted by Crs at low PEEP ${r2(crsLow)} mL/cmH2O x ${r2(dP)} cmH2O = ${Math.round(crsLow * dP)} mL, recruited ${Math.round(vrec)} mL` +
      (floor > low ? ` (airway opening pressure ${aop} cmH2O used for the low PEEP)` : ''),
  };
}

/** What the screen recommends for the staircase that follows. */
export type ScreenPolicy = 'warn' | 'block' | 'cap';

/** The recommendation in the protocol's terms. */
export function screenRecommendation(result: RecruitabilityResult): string {
  switch (result.recruitability) {
    case 'high':
      return 'high recruitability: recruitment maneuver may proceed';
    case 'low':
      return 'low recruitability: the staircase recruitment maneuver is not recommended';
    default:
      return `recruitability not assessable (${result.detail}): decide clinically`;
  }
}

/** What the screen's policy does to a staircase that follows it. */
export interface ScreenDecision {
  /** `proceed`: high recruitability; `warn`: proceed, saying why; `block`: do not start; `cap`: start with capped pressures. */
  action: 'proceed' | 'warn' | 'block' | 'cap';
  /** The staircase protocol to run (null when blocked). */
  protocol: StaircaseProtocol | null;
  message: string;
}

/**
 * Applies the screen's policy to the staircase that follows it. High recruitability: proceed.
 * Not assessable: proceed with a warning (the screen gives no evidence either way). Low: `warn`
 * proceeds with a warning, `block` does not start it, `cap` keeps only the recruitment steps
 * whose peak (PEEP + driving pressure) is within `capPeakCmH2O`, lowers the peak limit, the
 * decremental start and the re-recruitment PEEP to match, and re-validates the result (a cap
 * that leaves no valid staircase blocks it, saying why).
 *
 * @example
 * const d = applyScreenPolicy(staircase, result, 'cap', 35);
 * if (d.protocol) run(d.protocol); else console.log(d.message);
 */
export function applyScreenPolicy(staircase: StaircaseProtocol, result: RecruitabilityResult, policy: ScreenPolicy, capPeakCmH2O: number): ScreenDecision {
  const ri = result.ratio === null ? 'R/I not assessable' : `R/I ${result.ratio}`;
  if (result.recruitability === 'high') return { action: 'proceed', protocol: staircase, message: `${ri}: ${screenRecommendation(result)}` };
  if (result.recruitability === 'not-assessable') return { action: 'warn', protocol: staircase, message: `${screenRecommendation(result)}; the staircase proceeds` };
  const low = `${ri} < ${result.thresholdRatio}: ${screenRecommendation(result)}`;
  if (policy === 'warn') return { action: 'warn', protocol: staircase, message: `${low}; policy warn: the staircase proceeds` };
  if (policy === 'block') return { action: 'block', protocol: null, message: `${low}; policy block: the staircase is not started` };
  const dp = staircase.drivingPressureCmH2O;
  const peeps = staircase.incrementalPeepsCmH2O.filter((p) => p + dp <= capPeakCmH2O + 1e-9);
  if (peeps.length === 0) return { action: 'block', protocol: null, message: `${low}; policy cap ${capPeakCmH2O} cmH2O: no recruitment step fits under it (driving pressure ${dp}): the staircase is not started` };
  const top = Math.max(...peeps);
  const capped = {
    ...staircase,
    peakLimitCmH2O: Math.min(staircase.peakLimitCmH2O, Math.max(30, capPeakCmH2O)),
    incrementalPeepsCmH2O: peeps,
    decremental: { ...staircase.decremental, startPeepCmH2O: Math.min(staircase.decremental.startPeepCmH2O, top) },
    reRecruit: { ...staircase.reRecruit, peepCmH2O: Math.max(Math.min(staircase.reRecruit.peepCmH2O, capPeakCmH2O - dp), Math.min(staircase.decremental.startPeepCmH2O, top)) },
  };
  const parsed = StaircaseProtocolSchema.safeParse(capped);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return { action: 'block', protocol: null, message: `${low}; policy cap ${capPeakCmH2O} cmH2O leaves no valid staircase (${why}): the staircase is not started` };
  }
  return {
    action: 'cap',
    protocol: parsed.data,
    message: `${low}; policy cap: the staircase runs with peak <= ${capPeakCmH2O} cmH2O (recruitment PEEPs ${peeps.join(', ')}, re-recruitment PEEP ${parsed.data.reRecruit.peepCmH2O})`,
  };
}
