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
  recordOf,
  settingsMatch,
  updateLatest,
  windowOf,
  withSample,
  type ManeuverContext,
  type ManeuverInput,
} from './context.js';
import { decrementalPeeps } from './config/protocols.js';
import { titratedPeep } from './derecruitment.js';
import { blocks, checkPreconditions } from './preconditions.js';
import { derecruitedAtCurrentStep, staircaseOf } from './plans.js';
import { assessResponse } from './response.js';
import type { Watched } from './safety/guards.js';
import { evaluateClock, judgeSample, NO_CONDITIONS, type SampleVerdict } from './safety/rules.js';
import type {
  AbortRecord,
  BaselineVitals,
  CheckedSample,
  ManeuverEmitted,
  ManeuverEvent,
  StepPlan,
} from './types.js';

function preconditionsAt(context: ManeuverContext, now: number) {
  return checkPreconditions({
    now,
    latest: context.latest,
    baseline: context.baseline,
    safety: context.safety,
    peakLimitCmH2O: context.protocol.peakLimitCmH2O,
    fault: context.run.lastFault,
    // A repeat keeps the first maneuver's baseline vitals; a first start takes the window's medians.
    baselineVitals: context.run.baselineVitals ?? startBaseline(context, now),
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

// Guard, action and abort record each need the verdict on the same SAMPLE event: judge it once
// (a cached verdict is reused only for the same conditions, baseline and time).
const verdicts = new WeakMap<object, { conditions: object; baseline: object; now: number; verdict: SampleVerdict }>();

/** The monitor's verdict on a sample: conditions after it, and the abort it causes (none before the start). */
export function sampleVerdict(context: ManeuverContext, now: number, sample: CheckedSample): SampleVerdict {
  const baseline = context.run.baselineVitals;
  if (!baseline || context.run.startedAt === null) return { conditions: context.run.conditions, abort: null };
  const cached = verdicts.get(sample);
  if (cached && cached.conditions === context.run.conditions && cached.baseline === baseline && cached.now === now) return cached.verdict;
  const verdict = judgeSample(
    { sample, baseline, safety: context.safety, peakLimitCmH2O: context.protocol.peakLimitCmH2O, delivering: deliveringAt(context, now) },
    context.run.conditions,
    now,
  );
  verdicts.set(sample, { conditions: context.run.conditions, baseline, now, verdict });
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
    moreIncremental: ({ context }) => context.stepIndex + 1 < staircaseOf(context.protocol).incrementalPeepsCmH2O.length,
    moreDecremental: ({ context }) => context.stepIndex + 1 < decrementalPeeps(staircaseOf(context.protocol)).length,
    derecruitedNow: ({ context }) => derecruitedAtCurrentStep(context),
  },
  actions: {
    observe: assign({ now: ({ context, event }) => clockOf(context, event) }),
    /** One assign per sample (the clock and the sample together): the hot path of every run. */
    observeSample: assign(({ context, event }) => {
      const now = clockOf(context, event);
      if (event.type !== 'SAMPLE') return { now };
      const { latest, current, history } = withSample({ ...context, now }, event.sample);
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
          watched: watchedAt(context, baselineVitals),
          conditions: NO_CONDITIONS,
          history: null,
          startedAt: now,
          completedAt: null,
          response: null,
        },
        steps: [baselineRecord(context.baseline, context.latest, now, baselineVitals)],
        stepIndex: 0,
        current: null,
        titration: { derecruitmentPeepCmH2O: null, finalPeepCmH2O: null },
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
      return {
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
          settings: context.baseline,
          purpose: 'restore-baseline' as const,
          label: 'Restore baseline',
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
    markDerecruitment: assign(({ context }) => {
      const p = staircaseOf(context.protocol);
      const peep = context.current?.settings.peepCmH2O ?? null;
      return { titration: { derecruitmentPeepCmH2O: peep, finalPeepCmH2O: titratedPeep(peep, p.decremental.floorPeepCmH2O, p.finalMarginCmH2O) } };
    }),
    markNoDerecruitment: assign(({ context }) => {
      const p = staircaseOf(context.protocol);
      return { titration: { derecruitmentPeepCmH2O: null, finalPeepCmH2O: titratedPeep(null, p.decremental.floorPeepCmH2O, p.finalMarginCmH2O) } };
    }),
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
        response: assessResponse(context.protocol, context.run.baselineVitals, context.steps[context.steps.length - 1]),
      },
      current: null,
    })),
  },
});

export { abortRecords };
export { initialContext };
