/**
 * Sustained inflation: CPAP 30-50 cmH2O (default 40) held 20-30 s (default 30), after
 * pre-oxygenation when needed. Then the post-RM settings (baseline, or baseline PEEP + X within
 * the lung-protective limits) and an observation window that assesses the response, or, with
 * `postRmPeep.mode` `titration`, the FiO2 step and the decremental PEEP titration of the staircase.
 */
import { and } from 'xstate';
import { returnToBaselinePlan, sustainedInflationPlan } from './plans.js';
import { defineManeuver, postRmExit, stepPhase } from './shell.js';
import { TITRATION_FALLBACKS, titrationPhases } from './titrationPhases.js';

export const sustainedInflationMachine = defineManeuver(
  'sustainedInflation',
  'Sustained inflation (CPAP hold), then baseline and response assessment, or the decremental PEEP titration.',
  {
    inflation: stepPhase(sustainedInflationPlan, [
      { guard: and(['dwellElapsed', 'titrationHandover', 'fio2TitrationNeeded']), target: '#active.fio2', actions: ['recordStep', 'resetIndex', 'beginFio2Titration'] },
      { guard: and(['dwellElapsed', 'titrationHandover']), target: '#active.decremental', actions: ['recordStep', 'resetIndex'] },
      { guard: 'dwellElapsed', target: '#active.assessment', actions: 'recordStep' },
    ]),
    assessment: stepPhase(returnToBaselinePlan, postRmExit),
    ...titrationPhases(),
  },
  'inflation',
  TITRATION_FALLBACKS,
);
