/**
 * High-pressure PCV: PEEP 25-30 cmH2O with peak 40-45 cmH2O for 2 min (default PEEP 25, peak
 * 40), after pre-oxygenation when needed. Then the post-RM settings (baseline, or baseline PEEP + X
 * within the lung-protective limits) and the response assessment, or, with `postRmPeep.mode`
 * `titration`, the FiO2 step and the decremental PEEP titration of the staircase.
 */
import { and } from 'xstate';
import { highPressurePcvPlan, returnToBaselinePlan } from './plans.js';
import { defineManeuver, postRmExit, stepPhase } from './shell.js';
import { TITRATION_FALLBACKS, titrationPhases } from './titrationPhases.js';

export const highPressurePcvMachine = defineManeuver(
  'highPressurePcv',
  'High-pressure pressure-controlled ventilation, then baseline and response assessment, or the decremental PEEP titration.',
  {
    highPressure: stepPhase(highPressurePcvPlan, [
      { guard: and(['dwellElapsed', 'titrationHandover', 'fio2TitrationNeeded']), target: '#active.fio2', actions: ['recordStep', 'resetIndex', 'beginFio2Titration'] },
      { guard: and(['dwellElapsed', 'titrationHandover']), target: '#active.decremental', actions: ['recordStep', 'resetIndex'] },
      { guard: 'dwellElapsed', target: '#active.assessment', actions: 'recordStep' },
    ]),
    assessment: stepPhase(returnToBaselinePlan, postRmExit),
    ...titrationPhases(),
  },
  'highPressure',
  TITRATION_FALLBACKS,
);
