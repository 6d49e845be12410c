/**
 * The decision of the staircase's titration, and the lung-protective limits of the final
 * settings of every maneuver: pure functions the machines call and tests call directly.
 *
 * PEEP methods from one decremental trial (docs/clinical reference):
 * - `spo2` (PHARLAP 2019): first step whose SpO2 is `spo2DropPts` below the best of the phase;
 *   PEEP = that step + `finalMarginCmH2O`.
 * - `compliance` (Open Lung Tool study, Gernoth 2009; OLA, Kacmarek 2016): PEEP at maximal
 *   compliance + `complianceMarginCmH2O`.
 * - `driving-pressure`: lowest driving pressure at a constant reference Vt (6 mL/kg PBW):
 *   in volume terms the best static compliance, taken without a margin.
 */
import type { LungProtectionSchema } from './config/protocols.js';
import type { z } from 'zod';
import { titratedPeep } from './derecruitment.js';
import type { StepRecord, VentSettings } from './types.js';

export type TitrationMethod = 'spo2' | 'compliance' | 'driving-pressure';
export const TITRATION_METHODS: readonly TitrationMethod[] = ['spo2', 'compliance', 'driving-pressure'];
export type LungProtection = z.output<typeof LungProtectionSchema>;

/** What one method would set, and the values it rests on. */
export interface MethodResult {
  method: TitrationMethod;
  /** The PEEP the method would set (null: no data for it). */
  peepCmH2O: number | null;
  /** The step the method's PEEP derives from (derecruitment PEEP, best-compliance PEEP, lowest-driving-pressure PEEP). */
  basisPeepCmH2O: number | null;
  /** Whether the method saw derecruitment in the trial (SpO2 fall; compliance fall after its best). */
  sawDerecruitment: boolean;
  /** The PEEP at which it saw derecruitment (null: not seen). */
  derecruitmentPeepCmH2O: number | null;
  /** The values it rests on, in words. */
  detail: string;
}

/** Plateau, driving pressure and Vt/kg of a setting, against the limits. */
export interface LimitsCheck {
  source: 'predicted' | 'measured';
  plateauCmH2O: number | null;
  drivingPressureCmH2O: number | null;
  tidalVolumeMlPerKg: number | null;
  limits: { plateauMaxCmH2O: number; drivingPressureMaxCmH2O: number; tidalVolumeMaxMlPerKg: number };
  /** Every known value within its limit. */
  within: boolean;
  /** The limits exceeded, in words (empty when within). */
  exceeded: string[];
}

/** A decremental step as the methods read it. */
export interface TrialStep {
  peepCmH2O: number;
  spo2Pct: number | null;
  complianceMlPerCmH2O: number | null;
}

export interface MethodOptions {
  spo2DropPts: number;
  complianceDropPct: number;
  finalMarginCmH2O: number;
  complianceMarginCmH2O: number;
  /** The lowest PEEP the trial held: with no derecruitment seen, the SpO2 method sets this + margin (PHARLAP: the floor). */
  floorPeepCmH2O: number;
  pbwKg: number | null;
  /** SpO2 stayed above the FiO2 titration's target at the lowest FiO2: it cannot show derecruitment. */
  spo2Blind: boolean;
  /** The desaturation fallback ran at this PEEP (derecruitment seen as desaturation). */
  fallbackPeepCmH2O: number | null;
}

const r2 = (v: number): number => Math.round(v * 100) / 100;
const r1 = (v: number): number => Math.round(v * 10) / 10;

/** Every method's PEEP from the same decremental trial. */
export function titrationMethods(steps: readonly TrialStep[], o: MethodOptions): MethodResult[] {
  // SpO2: the first step at least spo2DropPts below the best of the earlier steps.
  let spo2Derec: number | null = o.fallbackPeepCmH2O;
  let spo2Top: number | null = null;
  let spo2At: number | null = null;
  if (spo2Derec === null) {
    for (const s of steps) {
      if (s.spo2Pct !== null && spo2Top !== null && spo2Top - s.spo2Pct >= o.spo2DropPts - 1e-9) {
        spo2Derec = s.peepCmH2O;
        spo2At = s.spo2Pct;
        break;
      }
      if (s.spo2Pct !== null && (spo2Top === null || s.spo2Pct > spo2Top)) spo2Top = s.spo2Pct;
    }
  }
  const spo2Values = steps.map((s) => `${s.peepCmH2O}: ${s.spo2Pct ?? '?'}%`).join(', ');
  const spo2: MethodResult =
    spo2Derec !== null
      ? {
          method: 'spo2',
          peepCmH2O: titratedPeep(spo2Derec, o.floorPeepCmH2O, o.finalMarginCmH2O),
          basisPeepCmH2O: spo2Derec,
          sawDerecruitment: true,
          derecruitmentPeepCmH2O: spo2Derec,
          detail:
            o.fallbackPeepCmH2O !== null
              ? `desaturation at PEEP ${spo2Derec} (fallback): PEEP ${spo2Derec} + ${o.finalMarginCmH2O}`
              : `SpO2 fell from best ${spo2Top}% to ${spo2At}% at PEEP ${spo2Derec}: + ${o.finalMarginCmH2O} (${spo2Values})`,
        }
      : {
          method: 'spo2',
          peepCmH2O: titratedPeep(null, o.floorPeepCmH2O, o.finalMarginCmH2O),
          basisPeepCmH2O: null,
          sawDerecruitment: false,
          derecruitmentPeepCmH2O: null,
          detail: o.spo2Blind
            ? `cannot see derecruitment: SpO2 stayed above the target at the lowest FiO2 (${spo2Values}): lowest PEEP ${o.floorPeepCmH2O} + ${o.finalMarginCmH2O}`
            : `no SpO2 fall of ${o.spo2DropPts} points down to PEEP ${o.floorPeepCmH2O} (${spo2Values}): ${o.floorPeepCmH2O} + ${o.finalMarginCmH2O}`,
        };

  // Compliance: the best (first maximum in walk order, the higher PEEP on a tie).
  const withC = steps.filter((s): s is TrialStep & { complianceMlPerCmH2O: number } => s.complianceMlPerCmH2O !== null);
  let bestIdx = -1;
  withC.forEach((s, i) => {
    if (bestIdx < 0 || s.complianceMlPerCmH2O > withC[bestIdx]!.complianceMlPerCmH2O + 1e-9) bestIdx = i;
  });
  const best = bestIdx >= 0 ? withC[bestIdx]! : null;
  const fellAt = best === null ? undefined : withC.slice(bestIdx + 1).find((s) => ((best.complianceMlPerCmH2O - s.complianceMlPerCmH2O) / best.complianceMlPerCmH2O) * 100 >= o.complianceDropPct - 1e-9);
  const fellAfter = fellAt !== undefined;
  const cDerec = fellAt?.peepCmH2O ?? null;
  const cValues = withC.map((s) => `${s.peepCmH2O}: ${r1(s.complianceMlPerCmH2O)}`).join(', ');
  const compliance: MethodResult = best
    ? {
        method: 'compliance',
        peepCmH2O: r2(best.peepCmH2O + o.complianceMarginCmH2O),
        basisPeepCmH2O: best.peepCmH2O,
        sawDerecruitment: fellAfter,
        derecruitmentPeepCmH2O: cDerec,
        detail: `best compliance ${r1(best.complianceMlPerCmH2O)} mL/cmH2O at PEEP ${best.peepCmH2O}: + ${o.complianceMarginCmH2O}${fellAfter ? '' : ` (no fall of ${o.complianceDropPct}% after it)`} (${cValues})`,
      }
    : { method: 'compliance', peepCmH2O: null, basisPeepCmH2O: null, sawDerecruitment: false, derecruitmentPeepCmH2O: null, detail: 'no compliance measured in the decremental steps' };

  // Driving pressure at a constant reference Vt: lowest where compliance is best.
  const refVt = o.pbwKg !== null ? 6 * o.pbwKg : 400;
  const dp = (c: number): number => r1(refVt / c);
  const drivingPressure: MethodResult = best
    ? {
        method: 'driving-pressure',
        peepCmH2O: best.peepCmH2O,
        basisPeepCmH2O: best.peepCmH2O,
        sawDerecruitment: fellAfter,
        derecruitmentPeepCmH2O: cDerec,
        detail: `lowest driving pressure ${dp(best.complianceMlPerCmH2O)} cmH2O at Vt ${Math.round(refVt)} mL (${o.pbwKg !== null ? '6 mL/kg PBW' : 'no PBW: 400 mL'}) at PEEP ${best.peepCmH2O} (${withC.map((s) => `${s.peepCmH2O}: ${dp(s.complianceMlPerCmH2O)}`).join(', ')})`,
      }
    : { method: 'driving-pressure', peepCmH2O: null, basisPeepCmH2O: null, sawDerecruitment: false, derecruitmentPeepCmH2O: null, detail: 'no compliance measured in the decremental steps' };
  return [spo2, compliance, drivingPressure];
}

/** Methods disagree when their PEEPs span more than one decremental step. */
export function methodsDisagree(methods: readonly MethodResult[], stepCmH2O: number): boolean {
  const peeps = methods.map((m) => m.peepCmH2O).filter((p): p is number => p !== null);
  return peeps.length > 1 && Math.max(...peeps) - Math.min(...peeps) > stepCmH2O + 1e-9;
}

/**
 * Which method sets the final PEEP, and why. `auto`: SpO2 when it saw derecruitment; else
 * compliance when it saw a fall after its best; else SpO2's floor + margin (PHARLAP), saying so.
 */
export function decideMethod(methods: readonly MethodResult[], decide: 'auto' | TitrationMethod): { method: MethodResult; note: string } {
  const by = (m: TitrationMethod) => methods.find((x) => x.method === m)!;
  const spo2 = by('spo2');
  if (decide !== 'auto') {
    const chosen = by(decide);
    if (chosen.peepCmH2O !== null) return { method: chosen, note: `${decide} method, as the protocol sets` };
    return { method: spo2, note: `${decide} method has no data (${chosen.detail}); SpO2 method used` };
  }
  if (spo2.sawDerecruitment) return { method: spo2, note: 'SpO2 method: it saw derecruitment' };
  const compliance = by('compliance');
  if (compliance.peepCmH2O !== null && compliance.sawDerecruitment) return { method: compliance, note: `SpO2 method could not decide (${spo2.detail}); compliance method decided` };
  return { method: spo2, note: `neither SpO2 nor compliance saw derecruitment (${compliance.detail}); ${spo2.detail}` };
}

const EPS = 1e-9;

function check(source: LimitsCheck['source'], plateau: number | null, peep: number, vtMl: number | null, pbwKg: number | null, l: LungProtection): LimitsCheck {
  const dp = plateau === null ? null : r1(plateau - peep);
  const vtPerKg = vtMl !== null && pbwKg !== null && pbwKg > 0 ? r1(vtMl / pbwKg) : null;
  const exceeded: string[] = [];
  if (plateau !== null && plateau > l.plateauMaxCmH2O + EPS) exceeded.push(`plateau ${r1(plateau)} > ${l.plateauMaxCmH2O} cmH2O`);
  if (dp !== null && dp > l.drivingPressureMaxCmH2O + EPS) exceeded.push(`driving pressure ${dp} > ${l.drivingPressureMaxCmH2O} cmH2O`);
  if (vtPerKg !== null && vtPerKg > l.tidalVolumeMaxMlPerKg + EPS) exceeded.push(`Vt ${vtPerKg} > ${l.tidalVolumeMaxMlPerKg} mL/kg PBW`);
  return {
    source,
    plateauCmH2O: plateau === null ? null : r1(plateau),
    drivingPressureCmH2O: dp,
    tidalVolumeMlPerKg: vtPerKg,
    limits: { plateauMaxCmH2O: l.plateauMaxCmH2O, drivingPressureMaxCmH2O: l.drivingPressureMaxCmH2O, tidalVolumeMaxMlPerKg: l.tidalVolumeMaxMlPerKg },
    within: exceeded.length === 0,
    exceeded,
  };
}

/**
 * What the final step measured, against the limits: plateau (or, without one, the measured
 * peak, its upper bound; in PCV the set peak), driving pressure against the set PEEP, Vt/kg.
 */
export function measuredLimits(record: StepRecord, pbwKg: number | null, l: LungProtection): LimitsCheck {
  const s = record.settings;
  const plateau =
    s.mode === 'CPAP' ? s.peepCmH2O : (record.plateauCmH2O ?? (s.mode === 'PCV' ? s.peakCmH2O : record.peakCmH2O) ?? null);
  const vt = s.mode === 'CPAP' ? null : (record.tidalVolumeMl ?? (s.mode === 'VC' ? (s.tidalVolumeMl ?? null) : null));
  return check('measured', plateau, s.peepCmH2O, vt, pbwKg, l);
}

/** Planning margins: the plan stays this far inside each limit so that measurement noise does not cross it. */
export const PLAN_MARGIN = { pressureCmH2O: 0.5, tidalVolumeFraction: 0.02 } as const;

/** The baseline's mode at `peepCmH2O`, with the largest breath within the limits (null when none is). */
export interface ProtectiveSettings {
  settings: VentSettings;
  predicted: LimitsCheck;
  /** What was changed to meet the limits, in words (null: nothing). */
  adjusted: string | null;
}

/**
 * The final settings at `peepCmH2O`: the baseline's mode and rate, the baseline FiO2, and the
 * breath (VC: Vt; PCV: driving pressure) reduced as far as needed to keep the predicted plateau,
 * driving pressure and Vt/kg within the limits, never below `tidalVolumeMinMlPerKg` (with a
 * PBW) or the hard minimum driving pressure. `complianceMlPerCmH2O` is the static compliance
 * measured near this PEEP (null: no prediction, the settings are the baseline's breath).
 * Returns a reason string when no breath at this PEEP meets the limits.
 */
export function protectiveSettings(
  baseline: VentSettings,
  peepCmH2O: number,
  complianceMlPerCmH2O: number | null,
  pbwKg: number | null,
  l: LungProtection,
  peakLimitCmH2O: number,
  drivingPressureMinCmH2O: number,
): ProtectiveSettings | string {
  const m = PLAN_MARGIN;
  const platMax = l.plateauMaxCmH2O - m.pressureCmH2O;
  const dpMax = l.drivingPressureMaxCmH2O - m.pressureCmH2O;
  const vtMax = pbwKg !== null ? l.tidalVolumeMaxMlPerKg * pbwKg * (1 - m.tidalVolumeFraction) : Infinity;
  const vtMin = pbwKg !== null ? l.tidalVolumeMinMlPerKg * pbwKg : 0;
  if (baseline.mode === 'CPAP') {
    const settings = { ...baseline, peepCmH2O, peakCmH2O: peepCmH2O };
    if (peepCmH2O > platMax) return `CPAP ${peepCmH2O} cmH2O above the plateau limit ${l.plateauMaxCmH2O}`;
    return { settings, predicted: check('predicted', peepCmH2O, peepCmH2O, null, pbwKg, l), adjusted: null };
  }
  const c = complianceMlPerCmH2O !== null && complianceMlPerCmH2O > 0 ? complianceMlPerCmH2O : null;
  // Plateau is never below PEEP: a PEEP at the plateau limit leaves no breath, whatever the compliance.
  if (peepCmH2O >= platMax) return `PEEP ${peepCmH2O} leaves no breath below the plateau limit ${l.plateauMaxCmH2O} cmH2O`;
  if (baseline.mode === 'VC') {
    const gap = baseline.peakCmH2O - baseline.peepCmH2O;
    const baseVt = baseline.tidalVolumeMl ?? (c !== null ? c * gap : 0);
    let vt = Math.min(baseVt, vtMax);
    if (c !== null) vt = Math.min(vt, dpMax * c, (platMax - peepCmH2O) * c);
    vt = Math.floor(vt / 10) * 10;
    if (vt < vtMin - EPS || vt <= 0) {
      return `at PEEP ${peepCmH2O} no tidal volume of at least ${l.tidalVolumeMinMlPerKg} mL/kg keeps plateau <= ${l.plateauMaxCmH2O} and driving pressure <= ${l.drivingPressureMaxCmH2O} (compliance ${c ?? '?'} mL/cmH2O)`;
    }
    const settings: VentSettings = { ...baseline, peepCmH2O, peakCmH2O: Math.min(peepCmH2O + gap, peakLimitCmH2O), ...(baseline.tidalVolumeMl !== undefined || vt !== baseVt ? { tidalVolumeMl: vt } : {}) };
    const plateau = c !== null ? peepCmH2O + vt / c : null;
    const adjusted = vt < baseVt - EPS ? `Vt lowered ${Math.round(baseVt)} -> ${vt} mL to keep within the lung-protective limits` : null;
    return { settings, predicted: check('predicted', plateau, peepCmH2O, vt, pbwKg, l), adjusted };
  }
  // PCV: the set driving pressure bounds plateau - PEEP.
  const gap = baseline.peakCmH2O - baseline.peepCmH2O;
  let dp = Math.min(gap, dpMax, platMax - peepCmH2O, peakLimitCmH2O - peepCmH2O);
  if (c !== null && Number.isFinite(vtMax)) dp = Math.min(dp, vtMax / c);
  dp = Math.floor(dp * 2) / 2;
  const vt = c !== null ? c * dp : null;
  if (dp < drivingPressureMinCmH2O - EPS || (vt !== null && vt < vtMin - EPS)) {
    return `at PEEP ${peepCmH2O} no driving pressure of at least ${drivingPressureMinCmH2O} cmH2O (Vt >= ${l.tidalVolumeMinMlPerKg} mL/kg) keeps plateau <= ${l.plateauMaxCmH2O} cmH2O`;
  }
  const settings: VentSettings = { ...baseline, peepCmH2O, peakCmH2O: r2(peepCmH2O + dp) };
  const adjusted = dp < gap - EPS ? `driving pressure lowered ${gap} -> ${dp} cmH2O to keep within the lung-protective limits` : null;
  return { settings, predicted: check('predicted', peepCmH2O + dp, peepCmH2O, vt, pbwKg, l), adjusted };
}

/** The static compliance measured nearest to `peepCmH2O` in the records (null: none measured). */
export function complianceNear(records: readonly StepRecord[], peepCmH2O: number): number | null {
  let best: { d: number; c: number } | null = null;
  for (const r of records) {
    if (r.complianceMlPerCmH2O === null || r.aborted) continue;
    const d = Math.abs(r.settings.peepCmH2O - peepCmH2O);
    if (best === null || d < best.d - EPS) best = { d, c: r.complianceMlPerCmH2O };
  }
  return best?.c ?? null;
}
