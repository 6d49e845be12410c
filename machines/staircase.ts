/**
 * Staircase recruitment and PEEP titration (Hodgson 2011, PHARLAP 2019):
 * 0. pre-oxygenation when needed (shell: FiO2 raised until SpO2 settles);
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
 * Phases 2-6 are shared with a single-step RM that hands over to the titration (titrationPhases.ts).
 */
import { and } from 'xstate';
import { incrementalPlan } from './plans.js';
import { defineManeuver, stepPhase } from './shell.js';
import { TITRATION_FALLBACKS, titrationPhases } from './titrationPhases.js';

export const staircaseMachine = defineManeuver(
  'staircase',
  'Incremental recruitment, FiO2 titration, decremental PEEP titration, re-recruitment when needed and titrated PEEP within the lung-protective limits.',
  {
    incremental: stepPhase(incrementalPlan, [
      { guard: and(['dwellElapsed', 'moreIncremental']), target: 'confirming', actions: ['recordStep', 'advanceIndex'] },
      { guard: and(['dwellElapsed', 'fio2TitrationNeeded']), target: '#active.fio2', actions: ['recordStep', 'resetIndex', 'beginFio2Titration'] },
      { guard: 'dwellElapsed', target: '#active.decremental', actions: ['recordStep', 'resetIndex'] },
    ]),
    ...titrationPhases(),
  },
  'incremental',
  TITRATION_FALLBACKS,
);
