/**
 * Protocols as the console handles them: overrides parsed field by field, the plan as the
 * page lists it, the preview answered before a start, and the limits the charts draw.
 */
import { isValidationError, parseOrThrow, type FieldProblem } from '../../common/validation.js';
import { plannedDurationMs, planOf, ProtocolSchema, titrates, titrationOf, type RunnableKind, type PlannedStep, type Protocol, type VentSettings } from '../../machines/index.js';
import type { ServerMessage, Thresholds } from './wire.js';

/** The safety monitor's limits of a protocol, as the charts draw them. */
export function thresholdsOf(p: Protocol): Thresholds {
  const s = p.safety;
  return {
    peakLimitCmH2O: p.peakLimitCmH2O,
    peakAbortCmH2O: p.peakLimitCmH2O + s.peakToleranceCmH2O,
    spo2FloorPct: s.spo2FloorPct,
    spo2FallMaxPts: s.spo2FallMaxPts,
    mapFloorMmHg: s.mapFloorMmHg,
    mapFallMaxPct: s.mapFallMaxPct,
    sbpFloorMmHg: s.sbpFloorMmHg,
    hrMinBpm: s.hrMinBpm,
    hrMaxBpm: s.hrMaxBpm,
    vitalsStaleS: s.vitalsStaleS,
    persistenceS: { ...s.persistenceS },
    critical: { spo2Pct: s.spo2CriticalPct, mapMmHg: s.mapCriticalMmHg, hrBpm: s.hrCriticalLowBpm, peakCmH2O: s.peakCriticalCmH2O },
  };
}

/** Parses protocol overrides for a maneuver: the protocol, or every field at fault. */
export function parseProtocol(maneuver: RunnableKind, overrides: Record<string, unknown> | undefined): { protocol: Protocol } | { problems: FieldProblem[] } {
  try {
    return { protocol: parseOrThrow(ProtocolSchema, { ...(overrides ?? {}), maneuver }, 'protocol') };
  } catch (e) {
    if (isValidationError(e)) return { problems: [...e.problems] };
    throw e;
  }
}

/**
 * The plan as the page lists it. The staircase's last step depends on what the titration
 * finds, so it is described by its rule rather than by the PEEP a plan computed in advance.
 * The FiO2 titration steps (phase `fio2`, each with its SpO2 target) are listed: they run
 * only while SpO2 is above the target, so they are marked "if needed". So are the pre-oxygenation
 * holds (phase `preoxygenation`): they run when the protocol pre-oxygenates this patient.
 */
export function displayPlan(protocol: Protocol, baseline: VentSettings): PlannedStep[] {
  return planOf(protocol, baseline, { fio2Steps: true }).map((step) =>
    titrates(protocol) && step.phase === 'final'
      ? { ...step, label: `Titrated PEEP: derecruitment PEEP + ${titrationOf(protocol).finalMarginCmH2O} cmH2O, assessed for ${protocol.assessS} s` }
      : step,
  );
}

/** Baseline for plan previews when neither a session nor the source knows the ventilator's settings. */
const DEFAULT_PREVIEW_BASELINE = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 35, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 } as const;

/** The plan (or the problems) of a protocol the operator is still editing. */
export function previewOf(maneuver: RunnableKind, overrides: Record<string, unknown> | undefined, baseline: VentSettings | null): Extract<ServerMessage, { type: 'preview' }> {
  const parsed = parseProtocol(maneuver, overrides);
  if ('problems' in parsed) return { type: 'preview', maneuver, plan: [], plannedMs: 0, problems: parsed.problems };
  // The plan depends on the baseline only for the last step's mode.
  const b = baseline ?? DEFAULT_PREVIEW_BASELINE;
  return { type: 'preview', maneuver, plan: displayPlan(parsed.protocol, b), plannedMs: plannedDurationMs(parsed.protocol, b, { fio2Steps: true }), problems: [] };
}
