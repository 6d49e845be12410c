/**
 * rm-sequencer/testing: model-based test generation for a vendor's own protocol and device.
 * `generateModelPaths` walks the maneuver machine (every state, every transition, an abort
 * from every running state with every trigger); `runModelPath` replays a path against a
 * `Ventilator`; `modelPathSuite` registers the paths as vitest tests (vitest is a peer
 * dependency); `rmseq testgen` writes such a test file. See README "For device vendors".
 *
 * @example
 * import { generateModelPaths, modelPathSuite, simulatedSubject } from 'rm-sequencer/testing';
 * import { defaultProtocol } from 'rm-sequencer/machines';
 * const baseline = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 } as const;
 * modelPathSuite('simulator', generateModelPaths(defaultProtocol('sustained-inflation'), baseline), simulatedSubject(baseline));
 */
export { generateModelPaths, MODEL_PATIENT, type ModelPath, type ModelPathSet } from './paths.js';
export { runModelPath, type PathRun, type PathRunOptions, type PathSubject } from './replay.js';
export { modelPathSuite } from './suite.js';
export { simulatedSubject } from './simulated.js';
export { renderGeneratedTest, type GeneratedTestOptions } from './render.js';
export { exploreMachine, modelProtocol, MODEL_SAFETY, eventsFor, abortTriggers, checkInvariants, type ModelRun } from './model.js';
