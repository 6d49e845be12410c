/**
 * The shell every maneuver runs in: preconditions, the one safety monitor, abort with
 * verified baseline restore, failsafe, completion and repeat. A maneuver supplies only the
 * phases inside `active`; the monitor sits on `active` itself, and no phase handles
 * SAMPLE, TICK, DEVICE_FAULT or OPERATOR_ABORT, so a phase can never shadow it
 * (test/machines/shell.test.ts checks this for every machine).
 */
import { and } from 'xstate';
import { abortRecords as records } from './aborts.js';
import type { StepPlan } from './types.js';
import { preoxygenationPlan } from './plans.js';
import { weanBackPlan, weanPlan } from './finalFio2.js';
import { abortRecords, initialContext, maneuverSetup, sampleAbort } from './setup.js';
import type { ManeuverContext } from './context.js';
import type { ManeuverEvent } from './types.js';

/** A state node config typed against the shared setup. */
export type ManeuverStateConfig = Parameters<typeof maneuverSetup.createStateConfig>[0];
type Always = ManeuverStateConfig['always'];
type AlwaysItem = Extract<NonNullable<Always>, readonly unknown[]>[number];

/** Events only the shell may handle inside `active`. */
export const MONITOR_EVENTS = ['SAMPLE', 'TICK', 'DEVICE_FAULT', 'OPERATOR_ABORT', 'APPLY_FAILED'] as const;

/**
 * One step phase: wait for the operator if the protocol asks for confirmation, apply the
 * planned settings, wait for the verified readback, dwell, then take `whenDone`.
 *
 * @example
 * const inflation = stepPhase(sustainedInflationPlan, { guard: 'dwellElapsed', target: 'assessment', actions: 'recordStep' });
 */
export function stepPhase(plan: (ctx: ManeuverContext) => StepPlan, whenDone: Always): ManeuverStateConfig {
  return {
    initial: 'confirming',
    states: {
      confirming: {
        entry: 'markAwaiting',
        exit: 'clearAwaiting',
        always: { guard: 'autoProceed', target: 'applying' },
        on: { OPERATOR_CONFIRM: { target: 'applying', actions: 'observe' } },
      },
      applying: {
        entry: [{ type: 'requestStep', params: ({ context }) => plan(context) }, 'emitCommand'],
        on: { APPLIED: { guard: 'readbackVerified', target: 'dwelling', actions: 'beginDwell' } },
      },
      dwelling: { always: whenDone },
    },
  };
}

/**
 * End of a single-step maneuver's post-RM step: settings other than the baseline that measured
 * beyond the lung-protective limits end at the baseline; otherwise completed.
 */
export const postRmExit: Always = [
  {
    guard: and(['dwellElapsed', 'finalBeyondLimits']),
    target: '#aborting',
    actions: ['recordMeasuredLimits', { type: 'abortWith', params: ({ context, event }) => records.finalBeyondLimits(context, event) }],
  },
  ...finalStepEnd(),
];

/**
 * The end of a maneuver's final step (post-RM, titrated PEEP, screen's return): the wean of FiO2
 * by SpO2 when it is due (protocol finalFio2 after pre-oxygenation), else completed.
 */
export function finalStepEnd(): AlwaysItem[] {
  return [
    { guard: and(['dwellElapsed', 'weanStepDue']), target: '#active.wean', actions: ['recordMeasuredLimits', 'recordStep', 'beginFinalFio2', 'resetIndex'] },
    { guard: 'dwellElapsed', target: '#completed', actions: ['recordMeasuredLimits', 'recordStep', 'beginFinalFio2', 'endFinalFio2', 'completeManeuver'] },
  ];
}

/** Restore-baseline attempts: shared by `aborting` (bounded) and `failsafe` (unbounded). */
function restoreStates(onVerified: string, onExhausted: string | null): ManeuverStateConfig {
  const failed = (extraGuard: 'isPendingSeq' | 'restoreOverdue') =>
    onExhausted === null
      ? [{ guard: extraGuard, target: 'waiting', actions: ['observe', 'recordRestoreFailure'] as const }]
      : [
          { guard: and([extraGuard, 'restoreAttemptsLeft']), target: 'waiting', actions: ['observe', 'recordRestoreFailure'] as const },
          { guard: extraGuard, target: onExhausted, actions: ['observe', 'recordRestoreFailure'] as const },
        ];
  return {
    initial: 'restoring',
    states: {
      restoring: {
        entry: ['requestBaseline', 'emitCommand'],
        on: {
          APPLIED: [
            { guard: 'readbackVerified', target: onVerified, actions: ['observe', 'markBaselineVerified'] },
            ...failed('isPendingSeq'),
            { actions: 'observe' },
          ],
          APPLY_FAILED: [...failed('isPendingSeq'), { actions: 'observe' }],
          TICK: [...failed('restoreOverdue'), { actions: 'observe' }],
        },
      },
      waiting: { always: { guard: 'retryDelayElapsed', target: 'restoring' } },
    },
  };
}

/**
 * The monitor's clock checks (stale vitals, a command not confirmed in time, a step the
 * operator does not confirm), shared by TICK and SAMPLE.
 */
function clockChecks(staleGuard: 'vitalsStale' | 'staleAfterSample', observe: 'observe' | 'observeSample') {
  return [
    { guard: staleGuard, target: 'aborting', actions: [observe, { type: 'abortWith', params: ({ context, event }: AbortParamsArgs) => abortRecords.stale(context, event) }] },
    { guard: 'applyOverdue', target: 'aborting', actions: [observe, { type: 'abortWith', params: ({ context, event }: AbortParamsArgs) => abortRecords.applyTimeout(context, event) }] },
    { guard: 'confirmOverdue', target: 'aborting', actions: [observe, { type: 'abortWith', params: ({ context, event }: AbortParamsArgs) => abortRecords.confirmTimeout(context, event) }] },
  ] as const;
}

type AbortParamsArgs = { context: ManeuverContext; event: ManeuverEvent };

/** Builds a complete maneuver machine around its phases. */
export function defineManeuver(
  id: string,
  description: string,
  phases: NonNullable<ManeuverStateConfig['states']>,
  firstPhase: string,
  /** SAMPLE transitions the maneuver takes before the monitor aborts (the titration's desaturation fallback). */
  fallbacks: ReadonlyArray<{ guard: 'desaturationFallback'; target: string; actions: 'markDesaturationFallback' }> = [],
) {
  const failsafeRestore = restoreStates('#failsafe.restored', null);
  /**
   * Pre-oxygenation (issue 15, item 8), before every maneuver's first step when the protocol asks
   * for it: FiO2 raised (device-set, or a guided instruction confirmed by the readback), held in
   * holds until SpO2 settles, within a bounded time; the settled SpO2 becomes the desaturation
   * guard's reference. Settled below the minimum, or not settled in time: no RM (abort, FiO2 kept).
   */
  const preoxygenation = stepPhase(preoxygenationPlan, [
    { guard: and(['dwellElapsed', 'preoxSettled', 'preoxSufficient']), target: `#active.${firstPhase}`, actions: ['recordStep', 'anchorPreoxygenation', 'resetIndex'] },
    { guard: and(['dwellElapsed', 'preoxSettled']), target: '#aborting', actions: { type: 'abortWith', params: ({ context, event }) => records.preoxInsufficient(context, event) } },
    { guard: and(['dwellElapsed', 'morePreoxHolds']), actions: ['recordStep', 'advanceIndex', 'nextPreoxHold'] },
    { guard: 'dwellElapsed', target: '#aborting', actions: { type: 'abortWith', params: ({ context, event }) => records.preoxNotSettled(context, event) } },
  ]);
  /**
   * The wean of FiO2 at the final settings (protocol finalFio2 wean, after pre-oxygenation): one
   * weanStepFio2 lower per hold of weanHoldS; a hold with SpO2 below weanMinSpo2Pct: the previous
   * FiO2 again (weanBack, verified, no confirmation awaited), and the maneuver ends there; the
   * baseline FiO2 reached: it ends there. The safety monitor on `active` watches every hold.
   */
  const wean = stepPhase(weanPlan, [
    { guard: and(['dwellElapsed', 'weanSpo2Low']), target: '#active.weanBack', actions: 'recordStep' },
    { guard: and(['dwellElapsed', 'weanStepDue']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
    { guard: 'dwellElapsed', target: '#completed', actions: ['recordStep', 'endFinalFio2', 'completeManeuver'] },
  ]);
  const weanBack: ManeuverStateConfig = {
    initial: 'applying',
    states: {
      applying: {
        entry: [{ type: 'requestStep', params: ({ context }) => weanBackPlan(context) }, 'emitCommand'],
        on: { APPLIED: { guard: 'readbackVerified', target: '#completed', actions: ['beginDwell', 'recordStep', 'endFinalFio2', 'completeManeuver'] } },
      },
    },
  };
  return maneuverSetup.createMachine({
    id,
    description,
    context: ({ input }) => initialContext(input),
    initial: 'idle',
    on: {
      TICK: { actions: 'observe' },
      SAMPLE: { actions: 'observeSample' },
      DEVICE_FAULT: { actions: ['observe', 'recordFault'] },
    },
    states: {
      idle: {
        description: 'Waiting for the operator; vitals are collected for the preconditions.',
        on: {
          START: [
            { guard: and(['preconditionsMet', 'preoxWouldRun']), target: 'active.preoxygenation', actions: ['observe', 'beginManeuver'] },
            { guard: 'preconditionsMet', target: 'active', actions: ['observe', 'beginManeuver'] },
            { target: 'notStarted', actions: ['observe', 'recordPreconditionIssues'] },
          ],
          OPERATOR_ABORT: { target: 'cancelled', actions: 'observe' },
        },
      },
      notStarted: { type: 'final', description: 'Preconditions failed; nothing was changed on the ventilator.' },
      cancelled: { type: 'final', description: 'The operator cancelled before the start; nothing was changed.' },
      active: {
        id: 'active',
        description: 'The maneuver runs under the safety monitor.',
        initial: firstPhase,
        on: {
          // Every sample is checked against the guards, and the clock checks run on it too
          // (with the sample folded in), so a TICK is only needed when nothing else arrives.
          SAMPLE: [
            ...fallbacks,
            {
              guard: 'sampleViolatesSafety',
              target: 'aborting',
              actions: [
                'observeSample',
                {
                  type: 'abortWith',
                  params: ({ context, event }) => sampleAbort(context, context.now, event.sample) ?? abortRecords.stale(context, event),
                },
              ],
            },
            ...clockChecks('staleAfterSample', 'observeSample'),
            { actions: 'observeSample' },
          ],
          TICK: [...clockChecks('vitalsStale', 'observe'), { actions: 'observe' }],
          DEVICE_FAULT: { target: 'aborting', actions: ['observe', 'recordFault', { type: 'abortWith', params: ({ context, event }) => abortRecords.fault(context, event) }] },
          APPLY_FAILED: [
            { guard: 'isPendingSeq', target: 'aborting', actions: ['observe', { type: 'abortWith', params: ({ context, event }) => abortRecords.applyFailed(context, event) }] },
            { actions: 'observe' },
          ],
          APPLIED: [
            // A phase takes a verified readback first; reaching here means it did not match.
            { guard: 'isPendingSeq', target: 'aborting', actions: ['observe', { type: 'abortWith', params: ({ context, event }) => abortRecords.readbackMismatch(context, event) }] },
            { actions: 'observe' },
          ],
          OPERATOR_ABORT: { target: 'aborting', actions: ['observe', { type: 'abortWith', params: ({ context, event }) => abortRecords.operator(context, event) }] },
        },
        states: {
          preoxygenation: { description: 'Pre-oxygenation: FiO2 raised and held until SpO2 settles.', ...preoxygenation },
          ...phases,
          wean: { description: 'After pre-oxygenation: FiO2 lowered towards the baseline FiO2 by SpO2 at the final settings.', ...wean },
          weanBack: { description: 'SpO2 fell below the wean threshold: the previous FiO2 again, verified, then completed.', ...weanBack },
        },
      },
      aborting: {
        id: 'aborting',
        description: 'Restoring the baseline settings captured at the start (FiO2 kept at the pre-oxygenation FiO2 once raised), verified by readback.',
        ...restoreStates('#aborted', '#failsafe'),
      },
      aborted: { id: 'aborted', type: 'final', description: 'Baseline restored and verified; the abort reason is recorded.' },
      failsafe: {
        id: 'failsafe',
        description: 'The baseline could not be verified: alarm until a person acknowledges; restore keeps being retried.',
        on: { OPERATOR_ACK: { target: 'halted', actions: 'observe' } },
        initial: 'restoring',
        states: {
          ...failsafeRestore.states,
          restored: { description: 'Baseline verified after all; still waiting for the acknowledgement.' },
        },
      },
      halted: { type: 'final', description: 'Failsafe acknowledged: the operator has taken over.' },
      completed: {
        id: 'completed',
        description: 'Maneuver done and the resulting settings verified; the operator may repeat it or end.',
        on: {
          OPERATOR_REPEAT: [
            { guard: and(['canRepeat', 'preoxWouldRun']), target: 'active.preoxygenation', actions: ['observe', 'beginRepeat', 'beginManeuver'] },
            { guard: 'canRepeat', target: 'active', actions: ['observe', 'beginRepeat', 'beginManeuver'] },
          ],
          OPERATOR_END: { target: 'finished', actions: 'observe' },
          // The operator may still revert to the pre-maneuver settings.
          OPERATOR_ABORT: { target: 'aborting', actions: ['observe', { type: 'abortWith', params: ({ context, event }) => abortRecords.operator(context, event) }] },
        },
      },
      finished: { type: 'final', description: 'Session ended after completion.' },
    },
  });
}

export type ManeuverMachine = ReturnType<typeof defineManeuver>;
