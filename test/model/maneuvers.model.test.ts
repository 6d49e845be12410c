import { describe, expect, it } from 'vitest';
import { highPressurePcvMachine, recruitabilityScreenMachine, staircaseMachine, sustainedInflationMachine } from '../../machines/index.js';
import type { Protocol, ProtocolInput } from '../../machines/index.js';
import { exploreMachine, modelProtocol } from './harness.js';

/**
 * Pre-oxygenation (issue 15, item 8), two holds at most: settled and sufficient (the RM goes on),
 * settled below the minimum (minSpo2Pct 95 against the model's SpO2 94: no RM), not settled in time;
 * then the wean of FiO2 at the end (finalFio2): down to the baseline FiO2, and the step back.
 */
function preox(maneuver: Protocol['maneuver'], extra: Partial<ProtocolInput> = {}): Protocol[] {
  return [
    // The wean of FiO2 at the end (finalFio2): 1.0 -> 0.8 -> 0.6 (the baseline's), or a step back.
    modelProtocol(maneuver, { ...extra, preoxygenation: { when: 'always', maxS: 120 }, finalFio2: { weanStepFio2: 0.2 } }),
    modelProtocol(maneuver, { ...extra, confirmEachStep: true, preoxygenation: { when: 'always', maxS: 120, minSpo2Pct: 95 } }),
    // The model's SpO2 94 is below a wean threshold of 95: after a hold at 0.8 the FiO2 goes back to 1.0.
    // (Confirmed steps: the wean steps wait for the operator, the step back does not.)
    modelProtocol(maneuver, { ...extra, confirmEachStep: true, preoxygenation: { when: 'always', maxS: 120 }, finalFio2: { weanStepFio2: 0.2, weanMinSpo2Pct: 95 } }),
  ];
}

/** A single-step RM handing over to the decremental titration (item 7), shortened as the staircase's variants are. */
function handover(maneuver: 'sustained-inflation' | 'high-pressure-pcv'): Protocol[] {
  const short = { decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 } };
  return [
    modelProtocol(maneuver, { postRmPeep: { mode: 'titration' }, decrementalTitration: { ...short, fio2Titration: { maxSteps: 2 } } }),
    modelProtocol(maneuver, { confirmEachStep: true, postRmPeep: { mode: 'titration' }, decrementalTitration: { ...short, fio2Titration: { maxSteps: 1 } } }),
    modelProtocol(maneuver, { postRmPeep: { mode: 'titration' }, decrementalTitration: { ...short, reRecruit: { when: 'always', peepCmH2O: 40 }, fio2Titration: { enabled: false } } }),
    // A stiff lung under a plateau limit of 20: no final setting meets the limits.
    modelProtocol(maneuver, { postRmPeep: { mode: 'titration' }, decrementalTitration: { ...short, fio2Titration: { enabled: false } }, lungProtection: { plateauMaxCmH2O: 20 } }),
    // Pre-oxygenated: the titrated-PEEP step keeps the FiO2 in use, then FiO2 is weaned by SpO2 (finalFio2).
    modelProtocol(maneuver, { postRmPeep: { mode: 'titration' }, decrementalTitration: { ...short, fio2Titration: { enabled: false } }, preoxygenation: { when: 'always', maxS: 120 }, finalFio2: { weanStepFio2: 0.2 } }),
  ];
}

const cases = [
  {
    name: 'sustainedInflation',
    machine: sustainedInflationMachine,
    variants: [
      modelProtocol('sustained-inflation'),
      modelProtocol('sustained-inflation', { confirmEachStep: true }),
      modelProtocol('sustained-inflation', { postRmPeep: { mode: 'baseline-plus', plusCmH2O: 5 } }),
      ...preox('sustained-inflation'),
      ...handover('sustained-inflation'),
    ],
  },
  {
    name: 'highPressurePcv',
    machine: highPressurePcvMachine,
    variants: [
      modelProtocol('high-pressure-pcv'),
      modelProtocol('high-pressure-pcv', { confirmEachStep: true }),
      modelProtocol('high-pressure-pcv', { postRmPeep: { mode: 'baseline-plus', plusCmH2O: 5 } }),
      ...preox('high-pressure-pcv'),
      ...handover('high-pressure-pcv'),
    ],
  },
  {
    name: 'recruitabilityScreen',
    machine: recruitabilityScreenMachine,
    variants: [
      modelProtocol('recruitability-screen', { highDwellS: 30, returnDwellS: 5, measureWindowS: 10 }),
      modelProtocol('recruitability-screen', { confirmEachStep: true, highDwellS: 30, returnDwellS: 5, measureWindowS: 10, airwayOpeningPressureCmH2O: 8 }),
      // The screen drops PEEP too: a hypoxaemic patient is pre-oxygenated before it.
      ...preox('recruitability-screen', { highDwellS: 30, returnDwellS: 5, measureWindowS: 10 }),
    ],
  },
  {
    name: 'staircase',
    machine: staircaseMachine,
    variants: [
      // The default protocol, shortened: two recruitment and three titration steps, two FiO2 steps.
      modelProtocol('staircase', { incrementalPeepsCmH2O: [20, 30], decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 }, fio2Titration: { maxSteps: 2 } }),
      modelProtocol('staircase', {
        confirmEachStep: true,
        incrementalPeepsCmH2O: [20, 30],
        decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 },
        derecruitment: { method: 'compliance' },
        fio2Titration: { maxSteps: 1 },
      }),
      // Re-recruitment always (PHARLAP), even without derecruitment.
      modelProtocol('staircase', {
        incrementalPeepsCmH2O: [20],
        decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 },
        reRecruit: { when: 'always', peepCmH2O: 40 },
        fio2Titration: { enabled: false },
      }),
      // A stiff lung (compliance 10) under a plateau limit of 20: no final setting meets the limits.
      modelProtocol('staircase', {
        incrementalPeepsCmH2O: [20],
        decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 },
        fio2Titration: { enabled: false },
        lungProtection: { plateauMaxCmH2O: 20 },
      }),
      ...preox('staircase', { incrementalPeepsCmH2O: [20], decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 }, fio2Titration: { enabled: false } }),
    ],
  },
] as const;

describe('model-based tests (@xstate/graph): every state, every transition, an abort from every running state', () => {
  it.each(cases)('$name', async ({ name, machine, variants }) => {
    const run = await exploreMachine(machine, [...variants]);
    console.log(
      `[model] ${name}: paths ${run.paths}, states ${run.statesReached.length}/${run.statesDeclared.length}, ` +
        `transitions ${run.transitionsTaken}/${run.transitionsDeclared}, abort checks ${run.abortChecks}`,
    );
    expect(run.unreached).toEqual([]);
    expect(run.untaken, JSON.stringify(run.untaken)).toEqual([]);
    expect(run.abortChecks).toBeGreaterThan(0);
  }, 120_000);
});
