/**
 * The project's model-based tests run the shipped model (testing/model.ts, also the base of
 * the vendor kit's generated paths) with the test baseline and patient.
 */
import { exploreMachine as explore, type ModelRun } from '../../testing/model.js';
import type { ManeuverMachine, Protocol } from '../../machines/index.js';
import { BASELINE, PATIENT } from '../support/driver.js';

export { modelProtocol, MODEL_SAFETY, FALLBACK, modelCompliance, abortTriggers, eventsFor, serializeState, checkInvariants, declared, Sut, type ModelRun } from '../../testing/model.js';

export function exploreMachine(machine: ManeuverMachine, variants: Protocol[]): Promise<ModelRun> {
  return explore(machine, variants, BASELINE, PATIENT);
}
