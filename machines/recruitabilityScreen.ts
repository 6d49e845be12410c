/**
 * The recruitability screen machine (R/I, Chen et al. 2020): high PEEP, one breath at the low
 * PEEP, verified return to the high PEEP, R/I, then the baseline, in the shell every maneuver
 * runs in (plans and readings: screenPlans.ts; formula: recruitability.ts).
 */
import { returnToBaselinePlan } from './plans.js';
import { screenBackPlan, screenHighPlan, screenReleasePlan } from './screenPlans.js';
import { defineManeuver, finalStepEnd, stepPhase } from './shell.js';

export const recruitabilityScreenMachine = defineManeuver(
  'recruitabilityScreen',
  'Recruitability screen (R/I, Chen 2020): high PEEP, one breath at the low PEEP, verified return to the high PEEP, R/I, baseline.',
  {
    high: stepPhase(screenHighPlan, { guard: 'dwellElapsed', target: '#active.release', actions: 'recordStep' }),
    release: stepPhase(screenReleasePlan, [
      { guard: 'releaseMeasured', target: '#active.back', actions: ['recordRelease', 'recordStep'] },
      { guard: 'dwellElapsed', target: '#active.back', actions: ['recordRelease', 'recordStep'] },
    ]),
    back: stepPhase(screenBackPlan, { guard: 'dwellElapsed', target: '#active.assessment', actions: ['recordStep', 'computeRecruitability'] }),
    // The screen ends at the baseline itself (never beyond the limits the patient was already on).
    // After pre-oxygenation FiO2 is weaned by SpO2 there (protocol finalFio2).
    assessment: stepPhase(returnToBaselinePlan, finalStepEnd()),
  },
  'high',
);
