/**
 * rm-sequencer maneuver machines: the public API for vendors and the runner.
 *
 * @example
 * import { createActor } from 'xstate';
 * import { machineFor, defaultProtocol } from 'rm-sequencer/machines';
 * const actor = createActor(machineFor('staircase'), { input: { protocol: defaultProtocol('staircase'), baseline } });
 * actor.on('command.apply', (cmd) => ventilator.apply(cmd.settings));
 * actor.start();
 */
import type { ManeuverKind, ScreenKind } from './config/protocols.js';
import { recruitabilityScreenMachine } from './recruitabilityScreen.js';
import { highPressurePcvMachine } from './highPressurePcv.js';
import type { ManeuverMachine } from './shell.js';
import { staircaseMachine } from './staircase.js';
import { sustainedInflationMachine } from './sustainedInflation.js';

export const MACHINES: Record<ManeuverKind, ManeuverMachine> = {
  'sustained-inflation': sustainedInflationMachine,
  'high-pressure-pcv': highPressurePcvMachine,
  staircase: staircaseMachine,
};

/** The machine of a maneuver (or of the recruitability screen, which runs in the same shell). */
export function machineFor(kind: ManeuverKind | ScreenKind): ManeuverMachine {
  return kind === 'recruitability-screen' ? recruitabilityScreenMachine : MACHINES[kind];
}

export { sustainedInflationMachine, highPressurePcvMachine, staircaseMachine };
export * from './types.js';
export * from './config/index.js';
export * from './context.js';
export * from './derecruitment.js';
export * from './preconditions.js';
export * from './response.js';
export * from './plans.js';
export * from './safety/guards.js';
export * from './safety/rules.js';
export * from './safety/sample.js';
export * from './outcome.js';
export * from './patient.js';
export * from './checklist.js';
export * from './titration.js';
export * from './preoxygenation.js';
export * from './finalFio2.js';
export * from './watch.js';
export * from './advisor.js';
export * from './recruitability.js';
export * from './screenPlans.js';
export * from './series.js';
export { recruitabilityScreenMachine };
export { maneuverSetup, sampleAbort, sampleVerdict, startBaseline } from './setup.js';
export { defineManeuver, stepPhase, MONITOR_EVENTS, type ManeuverMachine, type ManeuverStateConfig } from './shell.js';
