/**
 * The default staircase as an open-loop script (not the controller; machines/ is not used):
 * baseline VC, PCV with driving pressure 15 at PEEP 20, 30, 40 for 2 min each, FiO2 lowered at
 * PEEP 25 in 0.1 steps of 1 min until SpO2 is at most 92% (Hodgson 2011: SpO2 90-92% before
 * titrating, as the controller does; not below 0.21, one step back when below 90%), then PEEP 25,
 * 22.5, 20, 17.5, 15 for 3 min each until derecruitment (mean SpO2 over the last 60 s of a
 * step >= 2 points below the best such mean of the earlier decremental steps), re-recruitment
 * at PEEP 40 / peak 55 for 1 min, then the baseline VC mode at derecruitment PEEP + 2.5.
 */
import type { SimMonitor } from '../../../sim/monitor.js';
import type { SimPatient } from '../../../sim/patient.js';
import type { SimSettings } from '../../../sim/types.js';

export const BASELINE_SETTINGS: SimSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
export const DRIVING_PRESSURE_CMH2O = 15;
export const INCREMENTAL_PEEPS_CMH2O = [20, 30, 40] as const;
export const DECREMENTAL_PEEPS_CMH2O = [25, 22.5, 20, 17.5, 15] as const;
export const FLOOR_PEEP_CMH2O = 15;
export const INCREMENTAL_DWELL_S = 120;
export const DECREMENTAL_DWELL_S = 180;
export const MEASURE_WINDOW_S = 60;
export const SPO2_DROP_PTS = 2;
export const RE_RECRUIT = { peepCmH2O: 40, peakCmH2O: 55, dwellS: 60 } as const;
export const FINAL_MARGIN_CMH2O = 2.5;
export const PEAK_LIMIT_CMH2O = 55;
export const FIO2_TITRATION = { targetMinPct: 90, targetMaxPct: 92, step: 0.1, min: 0.21, dwellS: 60 } as const;

export type Phase = 'baseline' | 'incremental' | 'fio2' | 'decremental' | 're-recruit' | 'final';

/** One second of the run: what the monitor showed and what the patient really had. */
export interface TracePoint {
  tS: number;
  phase: Phase;
  settings: SimSettings;
  spo2Pct?: number;
  mapMmHg?: number;
  sbpMmHg?: number;
  hrBpm?: number;
  measuredPeakCmH2O: number;
  complianceMlPerCmH2O: number;
  sao2Pct: number;
  pfRatio: number;
  shuntFraction: number;
  cardiacOutputLMin: number;
  strokeVolumeMl: number;
  trueMapMmHg: number;
  recruitedFraction: number;
}

export interface DecrementalStep {
  peepCmH2O: number;
  spo2MeanPct: number;
  complianceMeanMlPerCmH2O: number;
  derecruited: boolean;
}

export interface StaircaseRun {
  trace: TracePoint[];
  /** Means over the last 30 s of the baseline period. */
  baseline: { spo2Pct: number; mapMmHg: number; sbpMmHg: number; hrBpm: number; complianceMlPerCmH2O: number; pfRatio: number; strokeVolumeMl: number };
  decremental: DecrementalStep[];
  derecruitmentPeepCmH2O: number | null;
  /** FiO2 of the decremental phase (after the FiO2 titration). */
  titratedFio2: number;
  finalSettings: SimSettings;
  /** Index in `trace` where the final (titrated) phase starts. */
  finalStartIndex: number;
}

export interface StaircaseOptions {
  baselineS?: number;
  /** Time on the titrated setting after the maneuver. */
  finalS?: number;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/**
 * Runs the script on `patient` (which must start on BASELINE_SETTINGS), reading vitals and
 * ventilator values through `monitor` once per simulated second.
 */
export function runDefaultStaircase(patient: SimPatient, monitor: SimMonitor, options: StaircaseOptions = {}): StaircaseRun {
  const trace: TracePoint[] = [];
  const pcv = (peep: number, peak: number, fio2: number = BASELINE_SETTINGS.fio2): SimSettings => ({ mode: 'PCV', peepCmH2O: peep, peakCmH2O: peak, rateBpm: BASELINE_SETTINGS.rateBpm, fio2 });
  const dwell = (phase: Phase, settings: SimSettings, seconds: number): TracePoint[] => {
    patient.setSettings(settings);
    const out: TracePoint[] = [];
    for (let s = 0; s < seconds; s++) {
      patient.advance(1000);
      const now = patient.timeMs;
      const v = monitor.vitals(now);
      const vent = monitor.ventilator(now);
      const g = patient.gas();
      const h = patient.hemodynamics();
      const p: TracePoint = {
        tS: now / 1000,
        phase,
        settings,
        measuredPeakCmH2O: vent.peakCmH2O,
        complianceMlPerCmH2O: vent.complianceMlPerCmH2O,
        sao2Pct: g.sao2Pct,
        pfRatio: g.pfRatio,
        shuntFraction: g.shuntFraction,
        cardiacOutputLMin: h.cardiacOutputLMin,
        strokeVolumeMl: h.strokeVolumeMl,
        trueMapMmHg: h.mapMmHg,
        recruitedFraction: patient.breath().recruitedFraction,
        ...v,
      };
      out.push(p);
      trace.push(p);
    }
    return out;
  };

  const base = dwell('baseline', BASELINE_SETTINGS, options.baselineS ?? 60).slice(-30);
  const pick = (pts: TracePoint[], f: (p: TracePoint) => number | undefined): number => mean(pts.map(f).filter((x): x is number => x !== undefined));
  const baseline = {
    spo2Pct: pick(base, (p) => p.spo2Pct),
    mapMmHg: pick(base, (p) => p.mapMmHg),
    sbpMmHg: pick(base, (p) => p.sbpMmHg),
    hrBpm: pick(base, (p) => p.hrBpm),
    complianceMlPerCmH2O: pick(base, (p) => p.complianceMlPerCmH2O),
    pfRatio: pick(base, (p) => p.pfRatio),
    strokeVolumeMl: pick(base, (p) => p.strokeVolumeMl),
  };

  for (const peep of INCREMENTAL_PEEPS_CMH2O) dwell('incremental', pcv(peep, peep + DRIVING_PRESSURE_CMH2O), INCREMENTAL_DWELL_S);

  const f = FIO2_TITRATION;
  const start = DECREMENTAL_PEEPS_CMH2O[0];
  let fio2 = BASELINE_SETTINGS.fio2;
  for (;;) {
    const next = Math.max(f.min, Math.round((fio2 - f.step) * 100) / 100);
    if (next >= fio2) break;
    const spo2 = pick(dwell('fio2', pcv(start, start + DRIVING_PRESSURE_CMH2O, next), f.dwellS).slice(-30), (p) => p.spo2Pct);
    if (spo2 < f.targetMinPct) break;
    fio2 = next;
    if (spo2 <= f.targetMaxPct) break;
  }

  const decremental: DecrementalStep[] = [];
  let derecruitmentPeepCmH2O: number | null = null;
  for (const peep of DECREMENTAL_PEEPS_CMH2O) {
    const pts = dwell('decremental', pcv(peep, peep + DRIVING_PRESSURE_CMH2O, fio2), DECREMENTAL_DWELL_S).slice(-MEASURE_WINDOW_S);
    const spo2MeanPct = pick(pts, (p) => p.spo2Pct);
    const best = decremental.length ? Math.max(...decremental.map((d) => d.spo2MeanPct)) : Number.NaN;
    const derecruited = decremental.length > 0 && best - spo2MeanPct >= SPO2_DROP_PTS - 1e-9;
    decremental.push({ peepCmH2O: peep, spo2MeanPct, complianceMeanMlPerCmH2O: pick(pts, (p) => p.complianceMlPerCmH2O), derecruited });
    if (derecruited) {
      derecruitmentPeepCmH2O = peep;
      break;
    }
  }

  dwell('re-recruit', pcv(RE_RECRUIT.peepCmH2O, RE_RECRUIT.peakCmH2O), RE_RECRUIT.dwellS);
  const finalPeep = (derecruitmentPeepCmH2O ?? FLOOR_PEEP_CMH2O) + FINAL_MARGIN_CMH2O;
  const gap = BASELINE_SETTINGS.peakCmH2O - BASELINE_SETTINGS.peepCmH2O;
  const finalSettings: SimSettings = { ...BASELINE_SETTINGS, peepCmH2O: finalPeep, peakCmH2O: Math.min(finalPeep + gap, PEAK_LIMIT_CMH2O) };
  const finalStartIndex = trace.length;
  dwell('final', finalSettings, options.finalS ?? 600);
  return { trace, baseline, decremental, derecruitmentPeepCmH2O, titratedFio2: fio2, finalSettings, finalStartIndex };
}
