/**
 * A cohort worker's loop keeps nothing per patient: after a warm-up, the JavaScript values
 * reachable from the heap (counted from heap snapshots, test/support/heapCensus.ts) do not
 * grow with the patients run. The bench's heap figure (live heap after a full GC) grew about
 * 5 kB a patient; the snapshots showed that growth to be V8's compiled code and its metadata
 * (optimized code, deoptimization data, relocation info), not values the loop keeps, so the
 * bench now reports this census as well.
 */
import { describe, expect, it } from 'vitest';
import { defaultProtocol } from '../../machines/index.js';
import { generateCohort } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { runCohortPatient } from '../../src/cohort/patient.js';
import { heapCensus } from '../support/heapCensus.js';

describe('cohort worker loop memory', () => {
  it('the values reachable after 10 patients are still all there is after 30 more (staircase)', async () => {
    const warm = 10;
    const more = 30;
    const cohort = generateCohort({ n: warm + more, seed: 1 });
    const protocol = defaultProtocol('staircase');
    const results: string[] = [];
    const run = async (index: number): Promise<void> => {
      const r = await runCohortPatient({ index, patient: cohort[index]!, maneuver: 'staircase', protocol, baseline: DEFAULT_SIM_BASELINE });
      results.push(r.outcome);
    };
    for (let i = 0; i < warm; i++) await run(i);
    const before = heapCensus();
    for (let i = warm; i < warm + more; i++) await run(i);
    const after = heapCensus();
    // A leak of the kind the bench suspected (5 kB a patient) would be kilobytes per patient;
    // what may move is the results list kept here, the census kept for the comparison and a few
    // one-off values (a lazily built table, a stream the snapshot opens).
    const grown = [...after.byKind].map(([k, n]) => [k, n - (before.byKind.get(k) ?? 0)] as const).filter(([, d]) => d !== 0).sort((a, b) => b[1] - a[1]);
    const grownBytes = [...after.bytesByKind].map(([k, n]) => [k, n - (before.bytesByKind.get(k) ?? 0)] as const).filter(([, d]) => d !== 0).sort((a, b) => b[1] - a[1]);
    const what = JSON.stringify({ grownBytes: grownBytes.slice(0, 8), values: [before.values, after.values], bytes: [before.valueBytes, after.valueBytes], engineBytes: [before.engineBytes, after.engineBytes], grown: grown.slice(0, 12) });
    const perPatient = { values: (after.values - before.values) / more, bytes: (after.valueBytes - before.valueBytes) / more };
    expect(perPatient.values, what).toBeLessThan(3);
    expect(perPatient.bytes, what).toBeLessThan(1000);
    expect(results.length).toBe(warm + more);
  }, 60_000);
});
