/**
 * Staircase recruitment and PEEP titration (Hodgson 2011, PHARLAP 2019):
 * 1. incremental: PCV with fixed driving pressure at each ascending PEEP (default 20, 30, 40), 2 min each;
 * 2. decremental: from 25 cmH2O down in 2.5 steps to a floor of 15, 3 min each, until derecruitment
 *    (SpO2 >= 2 points below the best of the phase, or the compliance method);
 * 3. re-recruit at PEEP 40 for 1 min;
 * 4. final: baseline mode at derecruitment PEEP + 2.5 (floor + 2.5 if none seen), assessed, done.
 */
import { and } from 'xstate';
import { decrementalPlan, finalPeepPlan, incrementalPlan, reRecruitPlan } from './plans.js';
import { defineManeuver, stepPhase } from './shell.js';

export const staircaseMachine = defineManeuver(
  'staircase',
  'Incremental recruitment, decremental PEEP titration, re-recruitment and titrated PEEP.',
  {
    incremental: stepPhase(incrementalPlan, [
      { guard: and(['dwellElapsed', 'moreIncremental']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
      { guard: 'dwellElapsed', target: '#active.decremental', actions: ['recordStep', 'resetIndex'] },
    ]),
    decremental: stepPhase(decrementalPlan, [
      { guard: and(['dwellElapsed', 'derecruitedNow']), target: '#active.reRecruit', actions: ['markDerecruitment', 'recordStep'] },
      { guard: and(['dwellElapsed', 'moreDecremental']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
      { guard: 'dwellElapsed', target: '#active.reRecruit', actions: ['markNoDerecruitment', 'recordStep'] },
    ]),
    reRecruit: stepPhase(reRecruitPlan, { guard: 'dwellElapsed', target: '#active.final', actions: 'recordStep' }),
    final: stepPhase(finalPeepPlan, { guard: 'dwellElapsed', target: '#completed', actions: ['recordStep', 'completeManeuver'] }),
  },
  'incremental',
);
