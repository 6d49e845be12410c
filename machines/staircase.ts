/**
 * Staircase recruitment and PEEP titration (Hodgson 2011, PHARLAP 2019):
 * 1. incremental: PCV with fixed driving pressure at each ascending PEEP (default 20, 30, 40), 2 min each;
 * 2. FiO2 titration (when SpO2 is above the target): FiO2 lowered stepwise at the decremental
 *    start PEEP until SpO2 is in the target (default 90-92%), so derecruitment can show;
 * 3. decremental: from 25 cmH2O down in 2.5 steps to a floor of 15, 3 min each, until derecruitment
 *    (SpO2 >= 2 points below the best of the phase, or the compliance method); the driving
 *    pressure is lowered when Vt would exceed the Vt/kg limit. A desaturation here (hemodynamics
 *    within limits) is derecruitment: the fallback re-recruits and sets the last PEEP that held;
 * 4. deciding: every method's PEEP side by side, the deciding one, and final settings within the
 *    lung-protective limits (none: the maneuver ends at baseline, saying why);
 * 5. re-recruit at PEEP 40 for 1 min, only when derecruitment was seen (or always, by protocol);
 * 6. final: baseline mode and FiO2 at the chosen PEEP, assessed against the limits, done.
 */
import { and } from 'xstate';
import { abortRecords } from './aborts.js';
import { decrementalPlan, finalPeepPlan, fio2Plan, incrementalPlan, reRecruitPlan } from './plans.js';
import { defineManeuver, stepPhase } from './shell.js';

export const staircaseMachine = defineManeuver(
  'staircase',
  'Incremental recruitment, FiO2 titration, decremental PEEP titration, re-recruitment when needed and titrated PEEP within the lung-protective limits.',
  {
    incremental: stepPhase(incrementalPlan, [
      { guard: and(['dwellElapsed', 'moreIncremental']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
      { guard: and(['dwellElapsed', 'fio2TitrationNeeded']), target: '#active.fio2', actions: ['recordStep', 'resetIndex', 'beginFio2Titration'] },
      { guard: 'dwellElapsed', target: '#active.decremental', actions: ['recordStep', 'resetIndex'] },
    ]),
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
      { guard: 'dwellElapsed', target: '#completed', actions: ['recordMeasuredLimits', 'recordStep', 'completeManeuver'] },
    ]),
  },
  'incremental',
  [{ guard: 'desaturationFallback', target: '#active.deciding', actions: 'markDesaturationFallback' }],
);
