/**
 * The shared `setup()` of every maneuver machine: context and event types, the safety
 * monitor's guards and the actions that record, command and abort. Maneuvers add only
 * their own step plans (and the staircase its titration guards) with `extend`.
 */
import { assign, emit, setup } from 'xstate';
import { abortRecords, clockOf, stateLabel } from './aborts.js';
import {
  baselineFromWindow,
  baselineRecord,
  deliveringAt,
  emptyRestore,
  initialContext,
  newStep,
  ownBreathRecord,
  recordOf,
  settingsMatch,
  updateLatest,
  windowOf,
  withSample,
  type ManeuverContext,
  type ManeuverInput,
} from './context.js';
import { decrementalPeeps } from './config/protocols.js';
import { HARD_LIMITS } from './config/limits.js';
import { blocks, checkPreconditions } from './preconditions.js';
import { derecruitedAtCurrentStep, fio2StepValue, preoxygenationPlan, staircaseOf, titrationOf, titrates } from './plans.js';
import { beginFinalFio2State, endFinalFio2State, weanSpo2Low, weanStepDue } from './finalFio2.js';
import { guardSafety, holdSpo2, morePreoxHolds, preoxSettled, preoxygenationFor, preoxygenationWouldRun, restoreTargetOf, stepFio2 } from './preoxygenation.js';
import { complianceNear, decideMethod, measuredLimits, methodsDisagree, protectiveSettings, titrationMethods, type TrialStep } from './titration.js';
import { emptyAccumulator, emptyTitration, stepMeasurement } from './context.js';
import { assessResponse } from './response.js';
import { releaseReadings, screenResult } from './screenPlans.js';
import type { Watched } from './safety/guards.js';
import { evaluateClock, judgeSample, NO_CONDITIONS, type SampleVerdict } from './safety/rules.js';
import type {
  AbortRecord,
  BaselineVitals,
  CheckedSample,
  ManeuverEmitted,
  ManeuverEvent,
  StepPlan,
  VentSettings,
} from './types.js';

function preconditionsAt(context: ManeuverContext, now: number) {
  const bv = context.run.baselineVitals ?? startBaseline(context, now);
  const po = context.protocol.preoxygenation;
  const preox = preoxygenationWouldRun(context.protocol, bv?.spo2Pct ?? context.latest.spo2Pct);
  return checkPreconditions({
    ...(preox ? { preoxygenation: { fio2: Math.max(po.fio2, context.baseline.fio2), minSpo2Pct: po.minSpo2Pct, hardFloorSpo2Pct: po.hardFloorSpo2Pct } } : {}),
    now,
    latest: context.latest,
    baseline: context.baseline,
    safety: context.safety,
    peakLimitCmH2O: context.protocol.peakLimitCmH2O,
    fault: context.run.lastFault,
    // A repeat keeps the first maneuver's baseline vitals; a first start takes the window's medians.
    baselineVitals: bv,
    patientSizeKnown: (context.run.patient ?? null) !== null,
    ...(context.checklist !== undefined ? { checklist: context.checklist } : {}),
  });
}

/** The baseline vitals a start at `now` would take: the medians of the baseline window. */
export function startBaseline(context: ManeuverContext, now: number): BaselineVitals | null {
  const windowMs = context.safety.baselineWindowS * 1000;
  return baselineFromWindow(windowOf(context.run.history, now, windowMs), now, windowMs, context.latest.complianceMlPerCmH2O);
}

/** The values the watchdog watches from the start: SpO2 and MAP always; SBP, HR, peak and PEEP when present then. */
function watchedAt(context: ManeuverContext, vitals: BaselineVitals | null): Watched {
  const l = context.latest;
  return { spo2: true, map: true, sbp: vitals?.sbpMmHg != null, hr: vitals?.hrBpm != null, peak: l.peakAt !== null, peep: l.peepAt !== null };
}

// Guard, action and abort record each need the verdict on the same SAMPLE event, one after the
// other: judge it once. One entry, the last sample's (reused only for the same sample,
// conditions, baseline and time). Not a WeakMap keyed by sample: its table grew with the samples
// judged between two full collections (131 kB after a cohort worker's 200 patients, more on a
// bigger heap) and stayed that size (test/cohort/workerMemory.test.ts).
let lastVerdict: { sample: object; conditions: object; baseline: object; now: number; verdict: SampleVerdict } | null = null;

/** The monitor's verdict on a sample: conditions after it, and the abort it causes (none before the start). */
export function sampleVerdict(context: ManeuverContext, now: number, sample: CheckedSample): SampleVerdict {
  const baseline = context.run.guardVitals ?? context.run.baselineVitals;
  if (!baseline || context.run.startedAt === null) return { conditions: context.run.conditions, abort: null };
  const cached = lastVerdict;
  if (cached && cached.sample === sample && cached.conditions === context.run.conditions && cached.baseline === baseline && cached.now === now) return cached.verdict;
  const verdict = judgeSample(
    { sample, baseline, safety: guardSafety(context, baseline), peakLimitCmH2O: context.protocol.peakLimitCmH2O, delivering: deliveringAt(context, now) },
    context.run.conditions,
    now,
  );
  lastVerdict = { sample, conditions: context.run.conditions, baseline, now, verdict };
  return verdict;
}

/** The guard a sample trips (its condition held past its alarm delay), as an abort record (null when none). */
export function sampleAbort(context: ManeuverContext, now: number, sample: CheckedSample): AbortRecord | null {
  const v = sampleVerdict(context, now, sample).abort;
  if (!v) return null;
  const also = v.also.length ? ` (also: ${v.also.join(', ')})` : '';
  return { reason: v.reason, guard: v.guard, message: v.message + also, at: now, sample, heldMs: v.heldMs, fromState: stateLabel(context) };
}

export const maneuverSetup = setup({
  types: {
    context: {} as ManeuverContext,
    events: {} as ManeuverEvent,
    input: {} as ManeuverInput,
    emitted: {} as ManeuverEmitted,
  },
  guards: {
    preconditionsMet: ({ context, event }) => !blocks(preconditionsAt(context, clockOf(context, event))),
    canRepeat: ({ context, event }) => {
      const now = clockOf(context, event);
      const policy = context.protocol.repeat;
      return (
        context.run.response?.met === true &&
        context.run.repeats < policy.maxRepeats &&
        context.run.completedAt !== null &&
        now - context.run.completedAt >= policy.minIntervalS * 1000 &&
        !blocks(preconditionsAt(context, now))
      );
    },
    sampleViolatesSafety: ({ context, event }) =>
      event.type === 'SAMPLE' && sampleVerdict(context, clockOf(context, event), event.sample).abort !== null,
    vitalsStale: ({ context, event }) => evaluateClock(clockOf(context, event), context.latest, context.safety, context.run.watched ?? undefined) !== null,
    /** Stale values judged with the arriving sample folded in (it may be the fresh one). */
    staleAfterSample: ({ context, event }) =>
      event.type === 'SAMPLE' &&
      evaluateClock(clockOf(context, event), updateLatest(context.latest, event.sample), context.safety, context.run.watched ?? undefined) !== null,
    applyOverdue: ({ context, event }) =>
      context.pending !== null && clockOf(context, event) - context.pending.requestedAt > context.safety.applyTimeoutS * 1000,
    restoreOverdue: ({ context, event }) =>
      context.pending !== null && clockOf(context, event) - context.pending.requestedAt > context.safety.restoreTimeoutS * 1000,
    isPendingSeq: ({ context, event }) =>
      (event.type === 'APPLIED' || event.type === 'APPLY_FAILED') && context.pending !== null && event.seq === context.pending.seq,
    readbackVerified: ({ context, event }) =>
      event.type === 'APPLIED' &&
      context.pending !== null &&
      event.seq === context.pending.seq &&
      settingsMatch(context.pending.settings, event.readback, context.pressureToleranceCmH2O),
    dwellElapsed: ({ context }) =>
      context.current !== null && context.current.startedAt !== null && context.now - context.current.startedAt >= context.current.dwellMs,
    autoProceed: ({ context }) => !context.protocol.confirmEachStep,
    restoreAttemptsLeft: ({ context }) => context.restore.attempts < context.safety.restoreAttempts,
    retryDelayElapsed: ({ context }) =>
      context.restore.lastFailureAt === null || context.now - context.restore.lastFailureAt >= context.safety.restoreRetryDelayS * 1000,
    confirmOverdue: ({ context, event }) =>
      context.run.awaitingSince !== null && clockOf(context, event) - context.run.awaitingSince > context.protocol.confirmTimeoutS * 1000,
    // Staircase titration.
    // The FiO2 at the end (protocol finalFio2).
    /** Another wean step is due (policy wean, FiO2 above the baseline's, SpO2 of the step now ending >= weanMinSpo2Pct). */
    weanStepDue: ({ context }) => weanStepDue(context),
    /** The wean hold now ending measured SpO2 below weanMinSpo2Pct: the previous FiO2 again. */
    weanSpo2Low: ({ context }) => weanSpo2Low(context),
    // Pre-oxygenation.
    /** The start (or repeat) at this event pre-oxygenates: decided from the baseline vitals the start takes. */
    preoxWouldRun: ({ context, event }) =>
      preoxygenationFor(context.protocol, context.baseline, context.run.baselineVitals ?? startBaseline(context, clockOf(context, event))) !== null,
    preoxSettled: ({ context }) => preoxSettled(context),
    preoxSufficient: ({ context }) => {
      const spo2 = holdSpo2(context);
      return spo2 !== null && spo2 >= context.protocol.preoxygenation.minSpo2Pct - 1e-9;
    },
    morePreoxHolds: ({ context }) => morePreoxHolds(context),
    /** A single-step RM hands over to the decremental titration (postRmPeep.mode titration). */
    titrationHandover: ({ context }) => context.protocol.maneuver !== 'staircase' && titrates(context.protocol),
    moreIncremental: ({ context }) => context.stepIndex + 1 < staircaseOf(context.protocol).incrementalPeepsCmH2O.length,
    moreDecremental: ({ context }) => context.stepIndex + 1 < decrementalPeeps(titrationOf(context.protocol), context.baseline.peepCmH2O).length,
    derecruitedNow: ({ context }) => derecruitedAtCurrentStep(context),
    // FiO2 titration before the decremental phase.
    fio2TitrationNeeded: ({ context }) => {
      const p = titrationOf(context.protocol);
      const f = p.fio2Titration;
      const spo2 = context.current ? stepMeasurement(context.current, context.latest).spo2Pct : context.latest.spo2Pct;
      return f.enabled && stepFio2(context) > f.minFio2 + 1e-9 && spo2 !== null && spo2 > f.targetMaxPct;
    },
    fio2InTarget: ({ context }) => {
      const spo2 = context.current ? stepMeasurement(context.current, context.latest).spo2Pct : null;
      return spo2 !== null && spo2 <= titrationOf(context.protocol).fio2Titration.targetMaxPct;
    },
    moreFio2: ({ context }) => {
      const p = titrationOf(context.protocol);
      return context.stepIndex + 1 < p.fio2Titration.maxSteps && fio2StepValue(p, stepFio2(context), context.stepIndex) > p.fio2Titration.minFio2 + 1e-9;
    },
    /**
     * Fallback ladder: a desaturation during the decremental phase, with no other alarm
     * condition in progress (hemodynamics within limits) and above the critical floor, is
     * derecruitment: re-recruit and set the last PEEP that held, once per run.
     */
    desaturationFallback: ({ context, event }) => {
      if (event.type !== 'SAMPLE' || context.current?.phase !== 'decremental' || context.titration.fallback) return false;
      const v = sampleVerdict(context, clockOf(context, event), event.sample);
      const desaturation = (g: string) => g === 'spo2BelowFloor' || g === 'spo2FallExceeded';
      if (!v.abort || !desaturation(v.abort.guard) || !v.abort.also.every(desaturation)) return false;
      return Object.keys(v.conditions).every(desaturation);
    },
    // Recruitability screen: the release breath's expired volume and the plateau at the low PEEP are in.
    releaseMeasured: ({ context }) => releaseReadings(context) !== null,
    noProtectiveFinal: ({ context }) => (context.titration.finalSettings ?? null) === null,
    reRecruitNeeded: ({ context }) => {
      const p = titrationOf(context.protocol);
      return p.reRecruit.when === 'always' || (context.titration.fallback ?? null) !== null || context.titration.derecruitmentSeen === true;
    },
    /** The final settings (when they are not the baseline itself) measured beyond the lung-protective limits. */
    finalBeyondLimits: ({ context }) => {
      const c = context.current;
      // The baseline itself (FiO2 aside: a kept pre-oxygenation FiO2 changes no pressure or volume) is not judged.
      if (!c || settingsMatch({ ...c.settings, fio2: context.baseline.fio2 }, context.baseline, context.pressureToleranceCmH2O)) return false;
      return !measuredLimits(ownBreathRecord(c, context.latest, context.now), context.run.patient?.pbwKg ?? null, context.protocol.lungProtection).within;
    },
  },
  actions: {
    observe: assign({ now: ({ context, event }) => clockOf(context, event) }),
    /** One assign per sample (the clock and the sample together): the hot path of every run. */
    observeSample: assign(({ context, event }) => {
      const now = clockOf(context, event);
      if (event.type !== 'SAMPLE') return { now };
      const { latest, current, history } = withSample(context, event.sample, now);
      const { conditions } = sampleVerdict(context, now, event.sample);
      const run = conditions === context.run.conditions && history === context.run.history ? context.run : { ...context.run, conditions, history };
      return { now, latest, current, run };
    }),
    recordFault: assign({
      run: ({ context, event }) => ({
        ...context.run,
        lastFault: event.type === 'DEVICE_FAULT' ? { code: event.code, message: event.message, at: event.now } : context.run.lastFault,
      }),
    }),
    recordPreconditionIssues: assign({
      run: ({ context, event }) => ({ ...context.run, preconditionIssues: preconditionsAt(context, clockOf(context, event)) }),
    }),
    beginManeuver: assign(({ context, event }) => {
      const now = clockOf(context, event);
      // Anchored to the first maneuver: a repeat measures falls from the same baseline, so they cannot add up unseen.
      const baselineVitals = context.run.baselineVitals ?? startBaseline(context, now);
      return {
        now,
        run: {
          ...context.run,
          preconditionIssues: preconditionsAt(context, now),
          baselineVitals,
          guardVitals: null,
          watched: watchedAt(context, baselineVitals),
          conditions: NO_CONDITIONS,
          history: null,
          startedAt: now,
          completedAt: null,
          response: null,
          preox: preoxygenationFor(context.protocol, context.baseline, baselineVitals),
        },
        steps: [baselineRecord(context.baseline, context.latest, now, baselineVitals)],
        stepIndex: 0,
        current: null,
        titration: emptyTitration(),
      };
    }),
    beginRepeat: assign(({ context }) => ({
      run: {
        ...context.run,
        previousRuns: [
          ...context.run.previousRuns,
          { steps: context.steps, response: context.run.response, finalPeepCmH2O: context.titration.finalPeepCmH2O, completedAt: context.run.completedAt },
        ],
        repeats: context.run.repeats + 1,
      },
      // The settings the patient now tolerates (verified at completion) are what a repeat restores.
      baseline: context.verified ?? context.baseline,
    })),
    requestStep: assign(({ context }, plan: StepPlan) => {
      const seq = context.seq + 1;
      // After pre-oxygenation, final settings that lower FiO2 again (to the baseline's, per protocol)
      // bring SpO2 back towards its baseline on purpose: the fall is measured from that baseline.
      const bv = context.run.baselineVitals;
      const ref = context.run.guardVitals ?? bv;
      const lowersFio2 = plan.purpose === 'final' && context.run.preox && context.verified !== null && plan.settings.fio2 < context.verified.fio2 - 1e-9;
      const run = lowersFio2 && bv && ref && bv.spo2Pct < ref.spo2Pct ? { run: { ...context.run, guardVitals: { ...ref, spo2Pct: bv.spo2Pct } } } : {};
      return {
        ...run,
        seq,
        pending: { seq, settings: plan.settings, purpose: plan.purpose, label: plan.label, requestedAt: context.now },
        current: newStep(plan.phase, plan.label, plan.settings, plan.dwellMs),
      };
    }),
    requestBaseline: assign(({ context }) => {
      const seq = context.seq + 1;
      return {
        seq,
        restore: { ...context.restore, attempts: context.restore.attempts + 1 },
        pending: {
          seq,
          settings: restoreTargetOf(context),
          purpose: 'restore-baseline' as const,
          label: restoreTargetOf(context) === context.baseline ? 'Restore baseline' : `Restore baseline, FiO2 kept at ${restoreTargetOf(context).fio2} (pre-oxygenation; wean FiO2 by SpO2)`,
          requestedAt: context.now,
        },
      };
    }),
    emitCommand: emit(({ context }) => {
      const p = context.pending;
      if (!p) throw new Error('emitCommand without a pending command: requestStep or requestBaseline must run first');
      return { type: 'command.apply' as const, seq: p.seq, settings: p.settings, purpose: p.purpose, label: p.label };
    }),
    beginDwell: assign(({ context, event }) => {
      const now = clockOf(context, event);
      return {
        now,
        pending: null,
        verified: event.type === 'APPLIED' ? event.readback : context.verified,
        current: context.current ? { ...context.current, startedAt: now } : null,
      };
    }),
    recordStep: assign(({ context }) =>
      context.current ? { steps: [...context.steps, recordOf(context.current, context.latest, context.now)] } : {},
    ),
    markAwaiting: assign({ run: ({ context }) => ({ ...context.run, awaitingSince: context.now }) }),
    clearAwaiting: assign({ run: ({ context }) => ({ ...context.run, awaitingSince: null }) }),
    /** Entering the FiO2 titration: SpO2 is lowered on purpose, so its fall is measured from the target's lower bound. */
    beginFio2Titration: assign(({ context }) => {
      const bv = context.run.baselineVitals;
      const f = titrationOf(context.protocol).fio2Titration;
      // After pre-oxygenation the reference is the pre-oxygenated SpO2, not the baseline's.
      const ref = context.run.preox?.spo2Pct ?? bv?.spo2Pct;
      return bv && ref !== undefined ? { run: { ...context.run, guardVitals: { ...bv, spo2Pct: Math.min(ref, f.targetMinPct) } } } : {};
    }),
    /**
     * Leaving the FiO2 titration (its step just recorded): the FiO2 of the decremental phase is
     * this step's, or the previous one's when SpO2 fell below the target; SpO2 falls are then
     * measured from the SpO2 at that FiO2. `blind`: SpO2 still above the target at the lowest FiO2.
     */
    endFio2Titration: assign(({ context }, params: { blind: boolean }) => {
      const f = titrationOf(context.protocol).fio2Titration;
      const fio2Steps = context.steps.filter((r) => r.phase === 'fio2');
      const last = fio2Steps[fio2Steps.length - 1];
      if (!last) return {};
      const below = last.spo2Pct !== null && last.spo2Pct < f.targetMinPct;
      const prev = fio2Steps[fio2Steps.length - 2];
      const chosen = below ? (prev ?? null) : last;
      const fio2 = chosen ? chosen.settings.fio2 : stepFio2(context);
      const spo2 = chosen?.spo2Pct ?? (below ? context.steps.filter((r) => r.phase === 'incremental').pop()?.spo2Pct : last.spo2Pct) ?? null;
      const bv = context.run.baselineVitals;
      return {
        titration: { ...context.titration, fio2TitratedTo: fio2, spo2Blind: params.blind },
        run: bv && spo2 !== null ? { ...context.run, guardVitals: { ...bv, spo2Pct: Math.min(context.run.preox?.spo2Pct ?? bv.spo2Pct, spo2) } } : context.run,
      };
    }),
    /** The desaturation fallback: the step is recorded as interrupted, the alarm conditions start afresh for the re-recruitment. */
    markDesaturationFallback: assign(({ context, event }) => {
      const now = clockOf(context, event);
      const c = context.current;
      const spo2 = event.type === 'SAMPLE' ? (event.sample.spo2Pct ?? null) : null;
      return {
        now,
        latest: event.type === 'SAMPLE' ? updateLatest(context.latest, event.sample) : context.latest,
        steps: c ? [...context.steps, { ...recordOf(c, context.latest, now), aborted: true }] : context.steps,
        current: null,
        pending: null,
        titration: { ...context.titration, fallback: { atPeepCmH2O: c?.settings.peepCmH2O ?? 0, spo2Pct: spo2, at: now } },
        run: { ...context.run, conditions: NO_CONDITIONS, awaitingSince: null },
      };
    }),
    /**
     * After the decremental phase: every method's PEEP, the one that decides, and the final
     * settings within the lung-protective limits (the titrated PEEP, else the nearest lower PEEP
     * whose settings meet them; none: `finalSettings` stays null and the maneuver ends at baseline).
     */
    decideTitration: assign(({ context }) => {
      const p = titrationOf(context.protocol);
      const t = context.titration;
      const dec = context.steps.filter((r) => r.phase === 'decremental' && !r.aborted);
      const trial: TrialStep[] = dec.map((r) => ({ peepCmH2O: r.settings.peepCmH2O, spo2Pct: r.spo2Pct, complianceMlPerCmH2O: r.complianceMlPerCmH2O }));
      const pbw = context.run.patient?.pbwKg ?? null;
      // No derecruitment seen: the lowest PEEP the trial held (the floor, or below it when the trial went on).
      const lowestHeld = trial.length > 0 ? Math.min(...trial.map((s) => s.peepCmH2O)) : p.decremental.floorPeepCmH2O;
      const methods = titrationMethods(trial, {
        spo2DropPts: p.derecruitment.spo2DropPts,
        complianceDropPct: p.derecruitment.complianceDropPct,
        finalMarginCmH2O: p.finalMarginCmH2O,
        complianceMarginCmH2O: p.titration.complianceMarginCmH2O,
        floorPeepCmH2O: lowestHeld,
        pbwKg: pbw,
        spo2Blind: t.spo2Blind === true,
        fallbackPeepCmH2O: t.fallback?.atPeepCmH2O ?? null,
      });
      const { method, note } = decideMethod(methods, p.titration.decide);
      const titrated = method.peepCmH2O ?? lowestHeld + p.finalMarginCmH2O;
      // The titrated PEEP, then lower PEEPs in decremental steps down to the baseline PEEP.
      const candidates: number[] = [titrated];
      for (let peep = Math.round((titrated - p.decremental.stepCmH2O) * 100) / 100; peep > context.baseline.peepCmH2O + 1e-9; peep = Math.round((peep - p.decremental.stepCmH2O) * 100) / 100) candidates.push(peep);
      if (context.baseline.peepCmH2O < titrated - 1e-9) candidates.push(context.baseline.peepCmH2O);
      let chosen: { peep: number; settings: VentSettings; predicted: ReturnType<typeof measuredLimits>; adjusted: string | null } | null = null;
      let firstProblem: string | null = null;
      for (const peep of candidates) {
        const r = protectiveSettings(context.baseline, peep, complianceNear(dec.length ? dec : context.steps, peep), pbw, context.protocol.lungProtection, p.peakLimitCmH2O, HARD_LIMITS.drivingPressureMinCmH2O);
        if (typeof r === 'string') {
          firstProblem ??= r;
          continue;
        }
        chosen = { peep, settings: r.settings, predicted: r.predicted, adjusted: r.adjusted };
        break;
      }
      const notes = [
        chosen && chosen.peep !== titrated ? `PEEP ${titrated} exceeds the lung-protective limits (${firstProblem}); nearest PEEP within them: ${chosen.peep}` : null,
        chosen?.adjusted ?? null,
      ].filter((x): x is string => x !== null);
      return {
        current: null,
        titration: {
          ...t,
          methods,
          decidedBy: method.method,
          decisionNote: note,
          derecruitmentSeen: method.sawDerecruitment,
          methodsDisagree: methodsDisagree(methods, p.decremental.stepCmH2O),
          derecruitmentPeepCmH2O: method.derecruitmentPeepCmH2O,
          titratedPeepCmH2O: titrated,
          finalPeepCmH2O: chosen?.peep ?? null,
          finalSettings: chosen?.settings ?? null,
          limitsPredicted: chosen?.predicted ?? null,
          limitsNote: chosen ? (notes.length ? notes.join('; ') : null) : `no PEEP from ${titrated} down to the baseline PEEP ${context.baseline.peepCmH2O} meets the lung-protective limits (${firstProblem})`,
        },
      };
    }),
    /** What the final step measured against the lung-protective limits (before it is recorded or aborted). */
    recordMeasuredLimits: assign(({ context }) => {
      const c = context.current;
      if (!c) return {};
      const check = measuredLimits(ownBreathRecord(c, context.latest, context.now), context.run.patient?.pbwKg ?? null, context.protocol.lungProtection);
      return { titration: { ...context.titration, limitsMeasured: check } };
    }),
    /** Pre-oxygenation settled (its last hold just recorded): the desaturation guard measures from this SpO2 now. */
    anchorPreoxygenation: assign(({ context }) => {
      const preox = context.run.preox;
      const spo2 = context.steps.filter((r) => r.phase === 'preoxygenation').pop()?.spo2Pct ?? null;
      const bv = context.run.baselineVitals;
      if (!preox || spo2 === null || !bv) return {};
      return { run: { ...context.run, preox: { ...preox, spo2Pct: spo2, settledAt: context.now }, guardVitals: { ...bv, spo2Pct: spo2 } } };
    }),
    /** The next pre-oxygenation hold (its hold just recorded): the same settings, already verified, held again. */
    nextPreoxHold: assign(({ context }) => {
      const plan = preoxygenationPlan(context);
      return { current: { phase: plan.phase, label: plan.label, settings: plan.settings, dwellMs: plan.dwellMs, startedAt: context.now, acc: emptyAccumulator() } };
    }),
    /** Recruitability screen: the release step's readings (null when the release breath was not measured), before the step is recorded. */
    recordRelease: assign(({ context }) => ({ run: { ...context.run, screen: { readings: releaseReadings(context), result: null } } })),
    /** Recruitability screen: R/I with the published formula, once back at the verified high PEEP. */
    computeRecruitability: assign(({ context }) => ({ run: { ...context.run, screen: { readings: context.run.screen?.readings ?? null, result: screenResult(context) } } })),
    advanceIndex: assign({ stepIndex: ({ context }) => context.stepIndex + 1 }),
    resetIndex: assign({ stepIndex: 0 }),
    abortWith: assign(({ context }, abort: AbortRecord) => ({
      abort,
      // The step the abort interrupted goes into the table, marked, with what it measured so far.
      steps: context.current ? [...context.steps, { ...recordOf(context.current, context.latest, context.now), aborted: true }] : context.steps,
      current: null,
      restore: emptyRestore(),
      run: { ...context.run, awaitingSince: null },
    })),
    recordRestoreFailure: assign(({ context, event }) => {
      const why =
        event.type === 'APPLY_FAILED'
          ? `${event.code}: ${event.message}`
          : event.type === 'APPLIED'
            ? 'readback does not match the baseline'
            : `no confirmation within ${context.safety.restoreTimeoutS} s`;
      return {
        restore: {
          ...context.restore,
          failures: [...context.restore.failures, `attempt ${context.restore.attempts}: ${why}`],
          lastFailureAt: clockOf(context, event),
        },
      };
    }),
    markBaselineVerified: assign(({ context, event }) => ({
      restore: { ...context.restore, baselineVerified: true },
      pending: null,
      verified: event.type === 'APPLIED' ? event.readback : context.verified,
    })),
    completeManeuver: assign(({ context }) => ({
      run: {
        ...context.run,
        completedAt: context.now,
        // Judged on the final (post-RM) step, not on a wean hold.
        response: assessResponse(context.protocol, context.run.baselineVitals, [...context.steps].reverse().find((r) => r.phase !== 'wean'), { baselineFio2: context.baseline.fio2, preox: context.run.preox ?? null }),
      },
      current: null,
    })),
    /** The final step ends (just recorded): the FiO2 it ran on and the settings any wean step lowers FiO2 in. */
    beginFinalFio2: assign(({ context }) => ({ titration: { ...context.titration, finalFio2: beginFinalFio2State(context) } })),
    /** Completion (the last step recorded, its settings verified): the FiO2 ended on, the SpO2 on it and why. */
    endFinalFio2: assign(({ context }) => ({ titration: { ...context.titration, finalFio2: endFinalFio2State(context) } })),
  },
});

export { abortRecords };
export { initialContext };
