/**
 * When a run calls for the rescue-therapy advisor (advisory only), and with what: the
 * maneuver failed (aborted, or no response) or oxygenation stays poor at its end. The inputs
 * come from the run (FiO2, SpO2, PEEP, MAP) and from the operator (PaO2, mean airway pressure).
 */
import { AdvisorInputSchema, rescueAdvice, type AdvisorInput, type RunAdvice } from '../../machines/index.js';
import type { SessionSummary } from './telemetry.js';

/** Below this SpO2 oxygenation is poor (ARDSnet target 88-95 %). */
export const POOR_SPO2_PCT = 88;
/** Below this P/F (severe: the PROSEVA / ACURASYS entry threshold) oxygenation is poor. */
export const POOR_PF = 150;
/** S/F equivalent of P/F 150 by Rice 2007 (S/F = 64 + 0.84 P/F). */
export const POOR_SF = 190;

/** Aborts that mean the patient did not tolerate the maneuver. */
export const PATIENT_ABORTS: readonly string[] = ['hypotension', 'desaturation', 'heart-rate', 'overdistention'];

export type { RunAdvice };

/** What the operator adds: an arterial PaO2 and the mean airway pressure the ventilator displays. */
export interface OperatorOxygenation {
  pao2MmHg?: number;
  mawpCmH2O?: number;
}

/**
 * The advice for a finished run, or null when the run does not call for it (a completed
 * maneuver with a response and acceptable oxygenation).
 *
 * @example
 * const advice = adviceAfterRun(summary, { pao2MmHg: 58 });
 * if (advice) console.log(advice.trigger, advice.options.map((o) => `${o.option}: ${o.status}`));
 */
export function adviceAfterRun(s: SessionSummary, op: OperatorOxygenation = {}): RunAdvice | null {
  if (s.outcome === 'not-started' && !s.baselineVitals) return null;
  const settings = s.outcome === 'completed' && s.verifiedSettings ? s.verifiedSettings : s.baseline;
  const last = [...s.steps].reverse().find((x) => !x.aborted && x.spo2Pct !== null);
  // After a wean step back (a zero-length step), the SpO2 measured on the final FiO2 (finalFio2).
  const onFinal = s.outcome === 'completed' ? (s.finalFio2?.spo2Pct ?? null) : null;
  const spo2 = s.outcome === 'completed' ? (onFinal ?? last?.spo2Pct ?? s.baselineVitals?.spo2Pct ?? null) : (s.baselineVitals?.spo2Pct ?? last?.spo2Pct ?? null);
  if (spo2 === null) return null;
  const inputsFrom: Record<string, string> = {
    fio2: s.outcome === 'completed' ? 'final settings' : 'baseline settings (restored)',
    spo2Pct: onFinal !== null ? `median of the last step on the final FiO2 ${s.finalFio2?.fio2}` : s.outcome === 'completed' && last ? `median of the last step (${last.label})` : 'baseline vitals',
    peepCmH2O: s.outcome === 'completed' ? 'final settings' : 'baseline settings (restored)',
  };
  const map = s.baselineVitals?.mapMmHg;
  const raw: Record<string, unknown> = { fio2: settings.fio2, spo2Pct: Math.min(100, Math.max(50, spo2)), peepCmH2O: settings.peepCmH2O, tried: ['recruitment'] };
  if (map !== undefined) {
    raw['mapMmHg'] = map;
    inputsFrom['mapMmHg'] = 'baseline vitals';
  }
  if (op.pao2MmHg !== undefined) {
    raw['pao2MmHg'] = op.pao2MmHg;
    inputsFrom['pao2MmHg'] = 'operator (--pao2)';
  }
  if (op.mawpCmH2O !== undefined) {
    raw['mawpCmH2O'] = op.mawpCmH2O;
    inputsFrom['mawpCmH2O'] = 'operator (--mawp)';
  } else if (settings.mode === 'PCV') {
    // Square pressure wave at I:E 1:2: MAWP = PEEP + (Pinsp - PEEP) x Ti/Ttot (Marini 1992).
    raw['mawpCmH2O'] = Math.round((settings.peepCmH2O + (settings.peakCmH2O - settings.peepCmH2O) / 3) * 10) / 10;
    inputsFrom['mawpCmH2O'] = 'estimated from the PCV settings at I:E 1:2 (give --mawp for the displayed value)';
  }
  const input = AdvisorInputSchema.parse(raw);
  const trigger = triggerOf(s, input);
  if (!trigger) return null;
  return { ...rescueAdvice(input), trigger, inputsFrom, input };
}

function triggerOf(s: SessionSummary, i: AdvisorInput): string | null {
  if (s.outcome === 'failsafe') return null; // the device comes first
  // The patient did not tolerate the RM; an abort by the operator, a device or a stale feed says nothing about the lung.
  if (s.outcome === 'aborted' && s.abort && PATIENT_ABORTS.includes(s.abort.reason)) return `the maneuver was aborted (${s.abort.reason}: ${s.abort.message})`;
  if (s.outcome === 'completed' && s.response && !s.response.met) return `no response to the maneuver (${s.response.detail})`;
  if (i.pao2MmHg !== undefined && i.pao2MmHg / i.fio2 < POOR_PF) return `oxygenation stays poor: P/F ${Math.round(i.pao2MmHg / i.fio2)} < ${POOR_PF}`;
  if (i.spo2Pct < POOR_SPO2_PCT) return `oxygenation stays poor: SpO2 ${i.spo2Pct}% < ${POOR_SPO2_PCT}%`;
  if (i.spo2Pct <= 97 && i.spo2Pct / i.fio2 < POOR_SF) return `oxygenation stays poor: S/F ${Math.round(i.spo2Pct / i.fio2)} < ${POOR_SF} (about P/F 150, Rice 2007)`;
  return null;
}
