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
    const cohort = generateCohort({ n: warm + 2 * more, seed: 1 });
    const protocol = defaultProtocol('staircase');
    const results: string[] = [];
    const run = async (index: number): Promise<void> => {
      const r = await runCohortPatient({ index, patient: cohort[index]!, maneuver: 'staircase', protocol, baseline: DEFAULT_SIM_BASELINE });
      results.push(r.outcome);
    };
    for (let i = 0; i < warm; i++) await run(i);
    // Two intervals of 30 patients: a leak keeps values in both; a one-off (a table built lazily
    // the first time a rare path runs, seen once in a full-suite run: 133 values in the first
    // interval) only in one. The smaller growth of the two is the loop's per-patient cost.
    const censuses = [heapCensus()];
    for (const start of [warm, warm + more]) {
      for (let i = start; i < start + more; i++) await run(i);
      censuses.push(heapCensus());
    }
    const intervals = [0, 1].map((k) => {
      const before = censuses[k]!;
      const after = censuses[k + 1]!;
      const grown = [...after.byKind].map(([kind, n]) => [kind, n - (before.byKind.get(kind) ?? 0)] as const).filter(([, d]) => d !== 0).sort((x, y) => y[1] - x[1]);
      const grownBytes = [...after.bytesByKind].map(([kind, n]) => [kind, n - (before.bytesByKind.get(kind) ?? 0)] as const).filter(([, d]) => d !== 0).sort((x, y) => y[1] - x[1]);
      return {
        values: (after.values - before.values) / more,
        bytes: (after.valueBytes - before.valueBytes) / more,
        what: { grownBytes: grownBytes.slice(0, 8), values: [before.values, after.values], bytes: [before.valueBytes, after.valueBytes], engineBytes: [before.engineBytes, after.engineBytes], grown: grown.slice(0, 12) },
      };
    });
    const what = JSON.stringify(intervals.map((i) => i.what));
    // A leak of the kind the bench suspected (5 kB a patient) would be kilobytes per patient in both intervals.
    expect(Math.min(...intervals.map((i) => i.values)), what).toBeLessThan(3);
    expect(Math.min(...intervals.map((i) => i.bytes)), what).toBeLessThan(1000);
    // Neither interval grows by a leak's order of magnitude.
    expect(Math.max(...intervals.map((i) => i.bytes)), what).toBeLessThan(5000);
    expect(results.length).toBe(warm + 2 * more);
  }, 120_000);
});
