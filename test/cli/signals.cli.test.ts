/**
 * Signals at the CLI, as a person at the terminal sends them: two SIGINTs in quick succession
 * must end with the baseline restored once and reported as such (exit 3), never as FAILSAFE.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, startCli, waitForOutput } from '../support/cli.js';

beforeAll(() => assertBuilt());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rmseq run: signals are idempotent', () => {
  it.each([10, 50])('two SIGINTs %i ms apart mid-maneuver: exit 3 with the baseline verified, never FAILSAFE', { timeout: 30_000 }, async (gapMs) => {
    const run = startCli(['run', 'high-pressure-pcv', '--confirm-checklist', 'all', '--patient', 'moderate-ards', '--speed', '5']);
    await waitForOutput(run.child, /PEEP 25, peak 40/);
    const started = Date.now();
    run.child.kill('SIGINT');
    await sleep(gapMs);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).not.toMatch(/FAILSAFE/);
    expect(r.stdout).toMatch(/ABORTED|aborted/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
