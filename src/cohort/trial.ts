/**
 * Virtual trials: every arm on the same seeded virtual patients. For each patient, each arm
 * starts from the same simulated patient (profile, seed, baseline settings with the same
 * titrated FiO2) at virtual time 0; a maneuver arm runs its maneuver through the real
 * controller (runCohortPatient, the one function that runs a cohort patient), then the patient
 * stays on whatever the ventilator holds at the end (the titrated PEEP, or the restored
 * baseline after an abort) until the assessment time; the `none` arm stays on the baseline for
 * the same virtual time. Oxygenation and compliance are the simulated patient's true values
 * (not the monitor's), at time 0 and at the assessment time.
 */
import { createHash } from 'node:crypto';
import { every, type Clock } from '../../common/clock.js';
import type { ManeuverKind, Protocol, VentSettings } from '../../machines/index.js';
import { SimPatient, type CohortPatient } from '../../sim/index.js';
import { withTitratedFio2 } from './fio2.js';
import { DEFAULT_FIO2_TARGET_SAO2_PCT, runCohortPatient } from './patient.js';

/** Barotrauma-risk thresholds (clinical.md; ARDSNet plateau <= 30, Amato 2015 driving pressure <= 15). */
export const BAROTRAUMA = { plateauAboveCmH2O: 30, drivingPressureAboveCmH2O: 15 } as const;
/** Default assessment time: past the longest default maneuver (the staircase, ~25-30 min with its baseline window). */
export const DEFAULT_TRIAL_HORIZON_MIN = 40;
/** Exposure is sampled once a second of virtual time. */
const SAMPLE_MS = 1000;

export type TrialArm =
  | { name: string; kind: 'maneuver'; maneuver: ManeuverKind; protocol: Protocol }
  | { name: 'none'; kind: 'none' };

export interface TrialTask {
  arms: TrialArm[];
  baseline: VentSettings;
  /** Assessment time: every arm is measured this long after its start (virtual ms). */
  horizonMs: number;
}

export interface TrialArmResult {
  arm: string;
  /** completed | aborted | failsafe | not-started | cancelled; `none` for the arm without a maneuver. */
  outcome: string;
  abortReason: string | null;
  /** SHA-256 (first 16 hex) of the simulated patient this arm started with: profile, seed and settings. */
  patientHash: string;
  /** How long the maneuver ran (0 for `none`); above the horizon, the assessment is at its end. */
  maneuverMs: number;
  assessedAtMs: number;
  baselinePfRatio: number;
  finalPfRatio: number;
  baselineSao2Pct: number;
  finalSao2Pct: number;
  baselineComplianceMlPerCmH2O: number;
  finalComplianceMlPerCmH2O: number;
  /** PEEP on the ventilator at the assessment time. */
  finalPeepCmH2O: number;
  finalFio2: number;
  /** Seconds (of the assessment window) with plateau > 30 / driving pressure > 15 cmH2O. */
  plateauAbove30S: number;
  drivingPressureAbove15S: number;
  pneumothorax: boolean;
  violations: string[];
}

export interface TrialPatientResult {
  index: number;
  id: string;
  archetype: string;
  recruitableFraction: number;
  arms: TrialArmResult[];
}

interface Measure {
  pf: number;
  sao2: number;
  compliance: number;
}

const measure = (p: SimPatient): Measure => ({ pf: p.gas().pfRatio, sao2: p.gas().sao2Pct, compliance: p.breath().staticComplianceMlPerCmH2O });

/** Identity of the simulated patient an arm starts with: the same hash in every arm proves the same patient. */
function patientHash(p: SimPatient, seed: number): string {
  return createHash('sha256').update(JSON.stringify({ profile: p.profile, seed, settings: p.settings() })).digest('hex').slice(0, 16);
}

/** Time above the barotrauma thresholds, one reading per second of virtual time. */
class Exposure {
  plateauS = 0;
  drivingS = 0;
  add(p: SimPatient, ms: number): void {
    const b = p.breath();
    if (b.plateauCmH2O > BAROTRAUMA.plateauAboveCmH2O) this.plateauS += ms / 1000;
    if (b.plateauCmH2O - b.peepCmH2O > BAROTRAUMA.drivingPressureAboveCmH2O) this.drivingS += ms / 1000;
  }
}

/** Keeps the patient on its current settings until `untilMs`, watching the exposure. */
function hold(p: SimPatient, untilMs: number, exposure: Exposure): void {
  while (p.timeMs < untilMs) {
    const dt = Math.min(SAMPLE_MS, untilMs - p.timeMs);
    p.advance(dt);
    exposure.add(p, dt);
  }
}

function finish(arm: string, p: SimPatient, seedHash: string, start: Measure, exposure: Exposure, extra: Pick<TrialArmResult, 'outcome' | 'abortReason' | 'maneuverMs' | 'violations'>): TrialArmResult {
  const end = measure(p);
  const r2 = (v: number): number => Math.round(v * 100) / 100;
  return {
    arm,
    outcome: extra.outcome,
    abortReason: extra.abortReason,
    patientHash: seedHash,
    maneuverMs: extra.maneuverMs,
    assessedAtMs: p.timeMs,
    baselinePfRatio: r2(start.pf),
    finalPfRatio: r2(end.pf),
    baselineSao2Pct: r2(start.sao2),
    finalSao2Pct: r2(end.sao2),
    baselineComplianceMlPerCmH2O: r2(start.compliance),
    finalComplianceMlPerCmH2O: r2(end.compliance),
    finalPeepCmH2O: r2(p.settings().peepCmH2O),
    finalFio2: r2(p.settings().fio2),
    plateauAbove30S: exposure.plateauS,
    drivingPressureAbove15S: exposure.drivingS,
    pneumothorax: p.events().some((e) => e.kind === 'pneumothorax'),
    violations: extra.violations,
  };
}

async function runArm(index: number, patient: CohortPatient, arm: TrialArm, task: TrialTask): Promise<TrialArmResult> {
  if (arm.kind === 'none') {
    // The same patient as the maneuver arms start with: same profile, seed and titrated baseline.
    const baseline = withTitratedFio2(patient.profile, patient.seed, task.baseline, DEFAULT_FIO2_TARGET_SAO2_PCT);
    const p = new SimPatient(patient.profile, { seed: patient.seed, settings: baseline });
    const hash = patientHash(p, patient.seed);
    const start = measure(p);
    const exposure = new Exposure();
    hold(p, task.horizonMs, exposure);
    return finish(arm.name, p, hash, start, exposure, { outcome: 'none', abortReason: null, maneuverMs: 0, violations: [] });
  }
  let sim: SimPatient | null = null;
  let catchUp: () => void = () => undefined;
  let hash = '';
  let start: Measure | null = null;
  let stop: () => void = () => undefined;
  const exposure = new Exposure();
  const r = await runCohortPatient({
    index,
    patient,
    maneuver: arm.maneuver,
    protocol: arm.protocol,
    baseline: task.baseline,
    onWorld: (world, clock: Clock) => {
      const p = world.patient;
      sim = p;
      catchUp = () => world.catchUp();
      hash = patientHash(p, patient.seed);
      start = measure(p);
      // Reads only (breath() is a pure function of the patient's state): the run is unchanged.
      stop = every(clock, SAMPLE_MS, () => exposure.add(p, SAMPLE_MS));
    },
  });
  stop();
  if (!sim || !start) throw new Error(`trial arm ${arm.name}: the cohort runner did not expose the simulated patient`);
  catchUp();
  const p = sim as SimPatient;
  const maneuverMs = p.timeMs;
  hold(p, task.horizonMs, exposure);
  return finish(arm.name, p, hash, start, exposure, { outcome: r.outcome, abortReason: r.abortReason, maneuverMs, violations: r.violations });
}

/** One patient through every arm of the trial, in the order given. */
export async function runTrialPatient(index: number, patient: CohortPatient, task: TrialTask): Promise<TrialPatientResult> {
  const arms: TrialArmResult[] = [];
  for (const arm of task.arms) arms.push(await runArm(index, patient, arm, task));
  return { index, id: patient.id, archetype: patient.archetype, recruitableFraction: patient.profile.lung.recruitableFraction, arms };
}
