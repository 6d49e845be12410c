/**
 * The decremental PEEP titration's phases, shared by the staircase and by a single-step RM that
 * hands over to it (`postRmPeep.mode` `titration`, issue 15 item 7):
 * 1. FiO2 titration (when SpO2 is above the target): FiO2 lowered stepwise at the decremental
 *    start PEEP until SpO2 is in the target (default 90-92%), so derecruitment can show;
 * 2. decremental: from the start PEEP down to the floor until derecruitment; a desaturation here
 *    (hemodynamics within limits) is derecruitment: the fallback re-recruits and sets the last PEEP that held;
 * 3. deciding: every method's PEEP side by side, the deciding one, and final settings within the
 *    lung-protective limits (none: the maneuver ends at baseline, saying why);
 * 4. re-recruit, only when derecruitment was seen (or always, by protocol);
 * 5. final: baseline mode and FiO2 at the chosen PEEP, assessed against the limits, done.
 */
import { and } from 'xstate';
import { abortRecords } from './aborts.js';
import { decrementalPlan, finalPeepPlan, fio2Plan, reRecruitPlan } from './plans.js';
import { finalStepEnd, stepPhase, type ManeuverStateConfig } from './shell.js';

export function titrationPhases(): NonNullable<ManeuverStateConfig['states']> {
  return {
    fio2: stepPhase(fio2Plan, [
      { guard: and(['dwellElapsed', 'fio2InTarget']), target: '#active.decremental', actions: ['recordStep', { type: 'endFio2Titration', params: { blind: false } }, 'resetIndex'] },
      { guard: and(['dwellElapsed', 'moreFio2']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
      { guard: 'dwellElapsed', target: '#active.decremental', actions: ['recordStep', { type: 'endFio2Titration', params: { blind: true } }, 'resetIndex'] },
    ]),
    decremental: stepPhase(decrementalPlan, [
      { guard: and(['dwellElapsed', 'derecruitedNow']), target: '#active.deciding', actions: 'recordStep' },
      { guard: and(['dwellElapsed', 'moreDecremental']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
      { guard: 'dwellElapsed', target: '#active.deciding', actions: 'recordStep' },
    ]),
    deciding: {
      entry: 'decideTitration',
      always: [
        { guard: 'noProtectiveFinal', target: '#aborting', actions: { type: 'abortWith', params: ({ context, event }) => abortRecords.noProtectiveFinal(context, event) } },
        { guard: 'reRecruitNeeded', target: 'reRecruit' },
        { target: 'final' },
      ],
    },
    reRecruit: stepPhase(reRecruitPlan, { guard: 'dwellElapsed', target: '#active.final', actions: 'recordStep' }),
    final: stepPhase(finalPeepPlan, [
      {
        guard: and(['dwellElapsed', 'finalBeyondLimits']),
        target: '#aborting',
        actions: ['recordMeasuredLimits', { type: 'abortWith', params: ({ context, event }) => abortRecords.finalBeyondLimits(context, event) }],
      },
      ...finalStepEnd(),
    ]),
  };
}

/** The SAMPLE transition the titration takes before the monitor aborts: the desaturation fallback. */
export const TITRATION_FALLBACKS = [{ guard: 'desaturationFallback', target: '#active.deciding', actions: 'markDesaturationFallback' }] as const;
