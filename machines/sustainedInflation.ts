/**
 * Sustained inflation: CPAP 30-50 cmH2O (default 40) held 20-30 s (default 30), then back to
 * the baseline settings and an observation window that assesses the response.
 */
import { returnToBaselinePlan, sustainedInflationPlan } from './plans.js';
import { defineManeuver, postRmExit, stepPhase } from './shell.js';

export const sustainedInflationMachine = defineManeuver(
  'sustainedInflation',
  'Sustained inflation (CPAP hold), then baseline and response assessment.',
  {
    inflation: stepPhase(sustainedInflationPlan, { guard: 'dwellElapsed', target: '#active.assessment', actions: 'recordStep' }),
    assessment: stepPhase(returnToBaselinePlan, postRmExit),
  },
  'inflation',
);
