/**
 * Response assessment: did the maneuver improve oxygenation (or compliance) enough that a
 * repeat is allowed? Compares the baseline row with the assessment row of the step table.
 */
import type { Protocol } from './config/protocols.js';
import type { BaselineVitals, ResponseAssessment, StepRecord } from './types.js';

export function assessResponse(protocol: Protocol, before: BaselineVitals | null, after: StepRecord | undefined): ResponseAssessment {
  const spo2Before = before?.spo2Pct ?? null;
  const spo2After = after?.spo2Pct ?? null;
  const cBefore = before?.complianceMlPerCmH2O ?? null;
  const cAfter = after?.complianceMlPerCmH2O ?? null;
  const c = protocol.response;
  const spo2Met = spo2Before !== null && spo2After !== null && spo2After - spo2Before >= c.spo2RisePts - 1e-9;
  const complianceMet = cBefore !== null && cAfter !== null && cBefore > 0 && ((cAfter - cBefore) / cBefore) * 100 >= c.complianceRisePct - 1e-9;
  const met = c.metric === 'spo2' ? spo2Met : c.metric === 'compliance' ? complianceMet : spo2Met || complianceMet;
  const f = (v: number | null): string => (v === null ? '?' : v.toFixed(1));
  const parts = [`SpO2 ${f(spo2Before)} -> ${f(spo2After)}%`, `compliance ${f(cBefore)} -> ${f(cAfter)} mL/cmH2O`];
  return {
    met,
    spo2BeforePct: spo2Before,
    spo2AfterPct: spo2After,
    complianceBefore: cBefore,
    complianceAfter: cAfter,
    detail: `${parts.join(', ')}: ${met ? 'response' : 'no response'} by ${c.metric} criterion`,
  };
}
