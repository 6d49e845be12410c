/** Abort records for the monitor's triggers other than a sample: what fired, why, and where. */
import { stepMeasurement, updateLatest, type ManeuverContext } from './context.js';
import { evaluateClock } from './safety/rules.js';
import type { AbortRecord, ManeuverEvent } from './types.js';

type EventOf<T extends ManeuverEvent['type']> = Extract<ManeuverEvent, { type: T }>;

export const clockOf = (context: ManeuverContext, event: ManeuverEvent): number => Math.max(context.now, event.now);

/** The current step, for abort records. */
export function stateLabel(context: ManeuverContext): string {
  return context.current ? `${context.current.phase}: ${context.current.label}` : 'idle';
}

/** Abort records for the monitor's non-sample triggers. */
export const abortRecords = {
  stale: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => {
    const now = clockOf(context, event);
    const latest = event.type === 'SAMPLE' ? updateLatest(context.latest, event.sample) : context.latest;
    const v = evaluateClock(now, latest, context.safety, context.run.watched ?? undefined);
    return { reason: v?.reason ?? 'stale-vitals', guard: v?.guard ?? 'vitalsStale', message: v?.message ?? 'vitals stale', at: now, fromState: stateLabel(context) };
  },
  applyTimeout: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => ({
    reason: 'device-fault',
    guard: 'applyOverdue',
    message: `"${context.pending?.label ?? 'setting'}" not confirmed within ${context.safety.applyTimeoutS} s`,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  fault: (context: ManeuverContext, event: EventOf<'DEVICE_FAULT'>): AbortRecord => ({
    reason: event.code === 'journal-failure' ? 'journal-failure' : 'device-fault',
    guard: event.code,
    message: event.message,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  applyFailed: (context: ManeuverContext, event: EventOf<'APPLY_FAILED'>): AbortRecord => ({
    reason: 'device-fault',
    guard: `apply-${event.code}`,
    message: `"${context.pending?.label ?? 'setting'}" failed: ${event.message}`,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  readbackMismatch: (context: ManeuverContext, event: EventOf<'APPLIED'>): AbortRecord => ({
    reason: 'device-fault',
    guard: 'readbackMismatch',
    message: `readback of "${context.pending?.label ?? 'setting'}" does not match: PEEP ${event.readback.peepCmH2O}, peak ${event.readback.peakCmH2O}, mode ${event.readback.mode}`,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  confirmTimeout: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => ({
    reason: 'operator-timeout',
    guard: 'confirmOverdue',
    message: `no operator confirmation within ${context.protocol.confirmTimeoutS} s`,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  /** No final setting within the lung-protective limits: the maneuver ends at the baseline, saying why. */
  noProtectiveFinal: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => ({
    reason: 'overdistention',
    guard: 'noProtectiveFinalSetting',
    message: `ends at baseline: ${context.titration.limitsNote ?? 'no final setting meets the lung-protective limits'}`,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  /** The final settings measured beyond the lung-protective limits: back to the baseline. */
  finalBeyondLimits: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => ({
    reason: 'overdistention',
    guard: 'finalBeyondLungProtectiveLimits',
    message: `final settings measured beyond the lung-protective limits: ${context.titration.limitsMeasured?.exceeded.join(', ') || 'see the final step'}; baseline restored`,
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
  /** Pre-oxygenated SpO2 settled below the minimum to start the RM: no RM; the raised FiO2 is kept. */
  preoxInsufficient: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => {
    const p = context.protocol.preoxygenation;
    const spo2 = context.current ? stepMeasurement(context.current, context.latest).spo2Pct : null;
    return {
      reason: 'desaturation',
      guard: 'preoxygenationInsufficient',
      message: `SpO2 settled at ${spo2 ?? '?'}% on FiO2 ${context.run.preox?.fio2 ?? '?'} after pre-oxygenation, below the ${p.minSpo2Pct}% needed to start the RM (preoxygenation.minSpo2Pct): no RM; baseline restored with the raised FiO2 kept`,
      at: clockOf(context, event),
      fromState: stateLabel(context),
    };
  },
  /** SpO2 still changing at the end of the longest pre-oxygenation: oxygenation unstable, no RM. */
  preoxNotSettled: (context: ManeuverContext, event: ManeuverEvent): AbortRecord => {
    const p = context.protocol.preoxygenation;
    const holds = context.steps.filter((r) => r.phase === 'preoxygenation').map((r) => `${r.spo2Pct ?? '?'}%`);
    const now = context.current ? stepMeasurement(context.current, context.latest).spo2Pct : null;
    return {
      reason: 'desaturation',
      guard: 'preoxygenationNotSettled',
      message: `SpO2 did not settle within ${p.settleDeltaPts} points on FiO2 ${context.run.preox?.fio2 ?? '?'} in ${p.maxS} s (holds: ${[...holds, `${now ?? '?'}%`].join(', ')}): oxygenation unstable, no RM; baseline restored with the raised FiO2 kept`,
      at: clockOf(context, event),
      fromState: stateLabel(context),
    };
  },
  operator: (context: ManeuverContext, event: EventOf<'OPERATOR_ABORT'>): AbortRecord => ({
    reason: 'operator-abort',
    guard: 'operatorAbort',
    message: event.note ? `operator abort: ${event.note}` : 'operator abort',
    at: clockOf(context, event),
    fromState: stateLabel(context),
  }),
};
