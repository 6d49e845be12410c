/**
 * High-pressure PCV: PEEP 25-30 cmH2O with peak 40-45 cmH2O for 2 min (default PEEP 25,
 * peak 40), then the post-RM settings (baseline, or baseline PEEP + X within the lung-protective limits) and the response assessment.
 */
import { highPressurePcvPlan, returnToBaselinePlan } from './plans.js';
import { defineManeuver, postRmExit, stepPhase } from './shell.js';

export const highPressurePcvMachine = defineManeuver(
  'highPressurePcv',
  'High-pressure pressure-controlled ventilation, then baseline and response assessment.',
  {
    highPressure: stepPhase(highPressurePcvPlan, { guard: 'dwellElapsed', target: '#active.assessment', actions: 'recordStep' }),
    assessment: stepPhase(returnToBaselinePlan, postRmExit),
  },
  'highPressure',
);
