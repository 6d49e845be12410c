import { describe, expect, it } from 'vitest';
import { FAULTS, formatMatrix, POINTS, runCell, type Cell } from './matrix.js';

describe('fault-injection matrix (simulated adapter): every fault at every point ends safe', () => {
  it('prints the matrix; every cell is safe', async () => {
    const cells: Cell[] = [];
    for (const fault of FAULTS) for (const point of POINTS) cells.push(await runCell(fault, point));
    console.log(`\n${formatMatrix(cells)}\n`);
    const unsafe = cells.filter((c) => !c.safe).map((c) => `${c.fault} @ ${c.point}: ${c.why}`);
    expect(unsafe).toEqual([]);
    expect(cells).toHaveLength(FAULTS.length * POINTS.length);
  }, 120_000);
});
