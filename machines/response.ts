/**
 * Response assessment: did the maneuver improve oxygenation (or compliance) enough that a
 * repeat is allowed? Compares the baseline row with the assessment row of the step table.
 */
import type { Protocol } from './config/protocols.js';
import type { PreoxState } from './context.js';
import type { BaselineVitals, ResponseAssessment, StepRecord } from './types.js';

/** The FiO2s a SpO2 was measured on before the maneuver: the baseline's, and the pre-oxygenation's once SpO2 settled on it. */
export interface ResponseReference {
  baselineFio2: number;
  preox?: PreoxState | null;
}

const sameFio2 = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

/**
 * SpO2 rises with FiO2 as well as with recruitment: the SpO2 after the maneuver is compared only
 * with a SpO2 measured before on the same FiO2 (the baseline's, or the SpO2 settled on the
 * pre-oxygenation FiO2). On any other FiO2 the SpO2 criterion is not assessed, and says so.
 * Without a reference (older callers) the baseline is used as it is.
 */
function spo2Reference(before: BaselineVitals | null, after: StepRecord | undefined, ref: ResponseReference | undefined): { pct: number | null; note: string } {
  if (!ref || !after) return { pct: before?.spo2Pct ?? null, note: '' };
  const f = after.settings.fio2;
  if (sameFio2(f, ref.baselineFio2)) return { pct: before?.spo2Pct ?? null, note: '' };
  if (ref.preox && sameFio2(f, ref.preox.fio2) && ref.preox.spo2Pct !== null) return { pct: ref.preox.spo2Pct, note: ` (both on FiO2 ${f}, the pre-oxygenation FiO2)` };
  return { pct: null, note: ` (FiO2 ${f} after, no SpO2 measured on it before)` };
}

export function assessResponse(protocol: Protocol, before: BaselineVitals | null, after: StepRecord | undefined, ref?: ResponseReference): ResponseAssessment {
  const reference = spo2Reference(before, after, ref);
  const spo2Before = reference.pct;
  const spo2After = after?.spo2Pct ?? null;
  const cBefore = before?.complianceMlPerCmH2O ?? null;
  const cAfter = after?.complianceMlPerCmH2O ?? null;
  const c = protocol.response;
  const spo2Met = spo2Before !== null && spo2After !== null && spo2After - spo2Before >= c.spo2RisePts - 1e-9;
  const complianceMet = cBefore !== null && cAfter !== null && cBefore > 0 && ((cAfter - cBefore) / cBefore) * 100 >= c.complianceRisePct - 1e-9;
  const met = c.metric === 'spo2' ? spo2Met : c.metric === 'compliance' ? complianceMet : spo2Met || complianceMet;
  const f = (v: number | null): string => (v === null ? '?' : v.toFixed(1));
  const notCompared = spo2Before === null && reference.note !== '';
  const parts = [notCompared ? `SpO2 not compared${reference.note}` : `SpO2 ${f(spo2Before)} -> ${f(spo2After)}%${reference.note}`, `compliance ${f(cBefore)} -> ${f(cAfter)} mL/cmH2O`];
  return {
    met,
    spo2BeforePct: spo2Before,
    spo2AfterPct: spo2After,
    complianceBefore: cBefore,
    complianceAfter: cAfter,
    detail: `${parts.join(', ')}: ${met ? 'response' : 'no response'} by ${c.metric} criterion`,
  };
}
