/**
 * One virtual patient through one maneuver on the real session runner (simulated HAL,
 * virtual clock), with the safety invariants checked on every event:
 *  - a sample that trips a guard (its condition held past its alarm delay, or a critical limit)
 *    while the maneuver runs puts the machine in `aborting` on that event;
 *  - every command is within the protocol's bounds;
 *  - no run ends with maneuver pressures on the (simulated) ventilator;
 *  - every abort ends with the baseline verified, or in failsafe.
 */
import { VirtualClock } from '../../common/clock.js';
import {
  checkCommandLimits,
  sampleVerdict,
  settingsMatch,
  type ManeuverKind,
  type Protocol,
  type VentSettings,
} from '../../machines/index.js';
import type { CohortPatient } from '../../sim/index.js';
import type { SimWorld } from '../../hal/simulated/index.js';
import { runSession } from '../runner/drive.js';
import { withTitratedFio2 } from './fio2.js';
import { openBatchSession } from '../runner/simulated.js';
import type { EngineKind } from '../runner/engine.js';

/** Cohort patients start on the lowest FiO2 step giving this SaO2 (clinicians titrate FiO2 before an RM). */
export const DEFAULT_FIO2_TARGET_SAO2_PCT = 93;

export interface CohortResult {
  index: number;
  id: string;
  archetype: string;
  maneuver: ManeuverKind;
  outcome: string;
  abortReason: string | null;
  abortGuard: string | null;
  finalPeepCmH2O: number | null;
  baselineFio2: number;
  durationMs: number;
  baselineSpo2Pct: number | null;
  finalSpo2Pct: number | null;
  /** The method that decided the final PEEP (staircase), and whether it saw derecruitment. */
  decidedBy: string | null;
  derecruitmentSeen: boolean;
  /** Each method's PEEP from the decremental trial. */
  methodPeeps: Record<string, number | null>;
  methodsDisagree: boolean;
  /** FiO2 the titration lowered to before the decremental phase (null: not run), and whether SpO2 stayed blind. */
  fio2TitratedTo: number | null;
  spo2Blind: boolean;
  /** The desaturation fallback ran (re-recruited, last PEEP that held). */
  fallback: boolean;
  /** Measured at the end of the final step (completed runs). */
  finalPlateauCmH2O: number | null;
  finalDrivingPressureCmH2O: number | null;
  finalTidalVolumeMlPerKg: number | null;
  finalWithinLimits: boolean | null;
  /** The run pre-oxygenated first (issue 15, item 8), and the settled SpO2 on the raised FiO2 (null: not settled). */
  preoxygenated?: boolean;
  preoxSpo2Pct?: number | null;
  violations: string[];
}

export interface CohortPatientInput {
  index: number;
  patient: CohortPatient;
  maneuver: ManeuverKind;
  protocol: Protocol;
  baseline: VentSettings;
  /** Set each patient's baseline FiO2 for this SaO2 first (null: use the baseline's FiO2). */
  fio2TargetSao2Pct?: number | null;
  /** The machine's engine (default: the batch engine; the engine identity test runs both). */
  engine?: EngineKind;
  /**
   * Called once the simulated world (patient, monitor) and its virtual clock exist, before the
   * maneuver starts: the virtual trial (trial.ts) measures the patient there, watches it on the
   * clock and keeps it after the run. Only reads: it must not advance the patient or the clock.
   */
  onWorld?: (world: SimWorld, clock: VirtualClock) => void;
}

export async function runCohortPatient(input: CohortPatientInput): Promise<CohortResult> {
  const { patient, maneuver, protocol } = input;
  const target = input.fio2TargetSao2Pct === undefined ? DEFAULT_FIO2_TARGET_SAO2_PCT : input.fio2TargetSao2Pct;
  const baseline = target === null ? input.baseline : withTitratedFio2(patient.profile, patient.seed, input.baseline, target);
  const clock = new VirtualClock(0);
  const { session, world } = await openBatchSession({
    maneuver,
    protocol,
    profile: patient.profile,
    seed: patient.seed,
    clock,
    baseline,
    ...(input.engine ? { session: { engine: input.engine } } : {}),
  });
  input.onWorld?.(world, clock);
  const violations: string[] = [];
  let expectAbort = false;
  let fallbackPossible = false;
  let state = '';
  session.telemetry$.subscribe((e) => {
    if (e.kind === 'state') state = e.state;
    if (e.kind === 'input') {
      // The desaturation fallback (decremental phase, hemodynamics normal) re-recruits instead of aborting.
      if (expectAbort && !/^(aborting|aborted|failsafe)/.test(session.state) && !(fallbackPossible && session.context.titration.fallback)) {
        violations.push(`guard-violating sample did not abort (state ${session.state})`);
      }
      expectAbort = false;
      if (e.event.type === 'SAMPLE' && state.startsWith('active')) {
        // Judged independently of the machine's own guard, on the context before the event;
        // the machine handles the event right after telemetry, so check on the next event.
        const verdict = sampleVerdict(session.context, e.event.now, e.event.sample).abort;
        expectAbort = verdict !== null;
        fallbackPossible = verdict?.reason === 'desaturation' && state.startsWith('active.decremental') && !session.context.titration.fallback;
      }
    }
    if (e.kind === 'command') {
      const bad = checkCommandLimits(e.command.settings, protocol.peakLimitCmH2O);
      if (bad.length) violations.push(`command beyond bounds: ${bad[0]?.message}`);
    }
  });
  const summary = await runSession(session);
  if (expectAbort && !/^(aborting|aborted|failsafe)/.test(session.state)) violations.push('last guard-violating sample did not abort');
  const onVentilator = world.patient.settings();
  if (summary.outcome === 'aborted') {
    if (!summary.baselineVerified) violations.push('aborted without a verified baseline');
    if (!settingsMatch(summary.restoreSettings ?? summary.baseline, onVentilator)) violations.push(`aborted but the ventilator holds PEEP ${onVentilator.peepCmH2O}, FiO2 ${onVentilator.fio2}`);
  }
  if (summary.outcome === 'completed' && summary.verifiedSettings && !settingsMatch(summary.verifiedSettings, onVentilator)) {
    violations.push('completed but the ventilator does not hold the verified settings');
  }
  if (summary.outcome === 'running') violations.push(`run did not end (state ${summary.state})`);
  if (summary.outcome !== 'failsafe' && onVentilator.peepCmH2O > Math.max(summary.baseline.peepCmH2O, summary.finalPeepCmH2O ?? 0) + 0.5) {
    violations.push(`run ended with PEEP ${onVentilator.peepCmH2O} on the ventilator (maneuver pressure)`);
  }
  await session.close();
  const steps = summary.steps;
  const t = summary.titration;
  const done = summary.outcome === 'completed';
  return {
    index: input.index,
    id: patient.id,
    archetype: patient.archetype,
    maneuver,
    outcome: summary.outcome,
    abortReason: summary.abort?.reason ?? null,
    abortGuard: summary.abort?.guard ?? null,
    finalPeepCmH2O: summary.finalPeepCmH2O,
    baselineFio2: baseline.fio2,
    durationMs: summary.durationMs,
    baselineSpo2Pct: steps[0]?.spo2Pct ?? null,
    finalSpo2Pct: summary.outcome === 'completed' ? (steps[steps.length - 1]?.spo2Pct ?? null) : null,
    decidedBy: t.decidedBy,
    derecruitmentSeen: t.derecruitmentSeen,
    methodPeeps: Object.fromEntries(t.methods.map((m) => [m.method, m.peepCmH2O])),
    methodsDisagree: t.methodsDisagree,
    fio2TitratedTo: t.fio2TitratedTo,
    spo2Blind: t.spo2Blind,
    fallback: t.fallback !== null,
    finalPlateauCmH2O: done ? (t.limitsMeasured?.plateauCmH2O ?? null) : null,
    finalDrivingPressureCmH2O: done ? (t.limitsMeasured?.drivingPressureCmH2O ?? null) : null,
    finalTidalVolumeMlPerKg: done ? (t.limitsMeasured?.tidalVolumeMlPerKg ?? null) : null,
    finalWithinLimits: done ? (t.limitsMeasured?.within ?? null) : null,
    preoxygenated: (summary.preoxygenation ?? null) !== null,
    preoxSpo2Pct: summary.preoxygenation?.spo2Pct ?? null,
    violations,
  };
}
