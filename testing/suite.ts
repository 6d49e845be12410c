/** Registers generated model paths as vitest tests (vitest is a peer dependency of this entry). */
import { describe, expect, it } from 'vitest';
import type { ModelPathSet } from './paths.js';
import { runModelPath, type PathRunOptions, type PathSubject } from './replay.js';

/**
 * One test per path, each on a fresh subject from `make`.
 *
 * @example
 * import { modelPathSuite, generateModelPaths } from 'rm-sequencer/testing';
 * modelPathSuite('Acme V1', generateModelPaths(protocol, baseline), async () => ({ ventilator: new AcmeVentilator(clock), advance }));
 */
export function modelPathSuite(name: string, set: ModelPathSet, make: () => Promise<PathSubject>, options: PathRunOptions & { timeoutMs?: number } = {}): void {
  const c = set.coverage;
  describe(`model-based paths: ${name} (${set.paths.length} paths; states ${c.statesReached}/${c.statesDeclared}, transitions ${c.transitionsTaken}/${c.transitionsDeclared}, ${c.abortPairs} abort pairs)`, () => {
    for (const path of set.paths) {
      it(`${path.id}: ${path.title} -> ${path.final.state}${path.final.abortReason ? ` (${path.final.abortReason})` : ''}`, { timeout: options.timeoutMs ?? 60_000 }, async () => {
        const run = await runModelPath(set, path, await make(), options);
        expect(run.problems).toEqual([]);
      });
    }
  });
}
