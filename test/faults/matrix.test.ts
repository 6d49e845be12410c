import { describe, expect, it } from 'vitest';
import { FAULTS, formatMatrix, POINTS, runCell, VIRTUAL_BOUND_MS, WALL_BOUND_MS, type Cell } from './matrix.js';

describe('fault-injection matrix (simulated adapter): every fault at every point ends safe', () => {
  it('prints the matrix; every cell is safe', async () => {
    const cells: Cell[] = [];
    for (const fault of FAULTS) for (const point of POINTS) cells.push(await runCell(fault, point));
    console.log(`\n${formatMatrix(cells)}\n`);
    const unsafe = cells.filter((c) => !c.safe).map((c) => `${c.fault} @ ${c.point}: ${c.why}`);
    expect(unsafe).toEqual([]);
    expect(cells).toHaveLength(FAULTS.length * POINTS.length);
    // Every cell ends within the stated bounds (checked per cell in runCell as well).
    expect(cells.filter((c) => c.virtualMs > VIRTUAL_BOUND_MS || c.wallMs > WALL_BOUND_MS)).toEqual([]);
    // The restore under fault: a device fault injected as the restore command goes out hits
    // that restore (a failed attempt), instead of arriving after it was confirmed.
    const deviceFaults = ['link lost (stays down)', 'link lost 8 s', 'refuses next 2 settings', 'refuses every setting', 'no confirmation (stall) once', 'wrong readback 20 s'];
    const restoreCells = cells.filter((c) => c.point === 'restore sent' && deviceFaults.includes(c.fault));
    expect(restoreCells.filter((c) => c.restoreFailures === 0).map((c) => c.fault)).toEqual([]);
    expect(cells.find((c) => c.point === 'restore sent' && c.fault === 'refuses every setting')).toMatchObject({ outcome: 'failsafe' });
    expect(cells.find((c) => c.point === 'final sent' && c.fault === 'refuses every setting')).toMatchObject({ outcome: 'failsafe' });
  }, 120_000);
});
