import { describe, expect, it } from 'vitest';
import { highPressurePcvMachine, staircaseMachine, sustainedInflationMachine } from '../../machines/index.js';
import { exploreMachine, modelProtocol } from './harness.js';

const cases = [
  {
    name: 'sustainedInflation',
    machine: sustainedInflationMachine,
    variants: [modelProtocol('sustained-inflation'), modelProtocol('sustained-inflation', { confirmEachStep: true })],
  },
  {
    name: 'highPressurePcv',
    machine: highPressurePcvMachine,
    variants: [modelProtocol('high-pressure-pcv'), modelProtocol('high-pressure-pcv', { confirmEachStep: true })],
  },
  {
    name: 'staircase',
    machine: staircaseMachine,
    variants: [
      modelProtocol('staircase'),
      modelProtocol('staircase', {
        confirmEachStep: true,
        incrementalPeepsCmH2O: [20, 30],
        decremental: { startPeepCmH2O: 25, stepCmH2O: 5, floorPeepCmH2O: 15 },
        derecruitment: { method: 'compliance' },
      }),
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
    expect(run.untaken).toEqual([]);
    expect(run.abortChecks).toBeGreaterThan(0);
  }, 120_000);
});
