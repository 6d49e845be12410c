/**
 * Issue 21, point 10: `rmseq run --json` said `baselineVerified: false` on every completed run,
 * which reads as a failure although nothing was to be restored. The result now says what was
 * verified on each path, in fields whose names say so: the final settings on completion, the
 * baseline restore on abort and failsafe; null where a path has nothing of that kind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toJsonResult } from '../../src/cli/run.js';
import { titrationSummary, type SessionSummary } from '../../src/runner/telemetry.js';
import { emptyTitration } from '../../machines/context.js';
import { assertBuilt, runCli } from '../support/cli.js';

const BASE = { mode: 'PCV' as const, peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };

function summary(over: Partial<SessionSummary>): SessionSummary {
  return {
    outcome: 'completed',
    maneuver: 'staircase',
    state: 'completed',
    finalPeepCmH2O: 14,
    derecruitmentPeepCmH2O: 12,
    abort: null,
    baseline: BASE,
    baselineVerified: false,
    finalSettingsVerified: true,
    verifiedSettings: { ...BASE, peepCmH2O: 14 },
    steps: [],
    response: null,
    preconditionIssues: [],
    restoreFailures: [],
    baselineVitals: null,
    patient: null,
    titration: titrationSummary(emptyTitration()),
    startedAt: 0,
    endedAt: 1,
    durationMs: 1,
    repeats: 0,
    ...over,
  };
}

describe('run --json: what was verified, by path', () => {
  it('completed: the final settings were verified; there was no baseline restore (null, not false)', () => {
    const r = toJsonResult(summary({}), {});
    expect(r).toMatchObject({ finalSettingsVerified: true, baselineRestoreVerified: null });
    expect(r).not.toHaveProperty('baselineVerified');
  });

  it('aborted: the baseline restore was verified; there are no final settings (null)', () => {
    const r = toJsonResult(summary({ outcome: 'aborted', state: 'aborted', baselineVerified: true, finalSettingsVerified: false, verifiedSettings: BASE }), {});
    expect(r).toMatchObject({ finalSettingsVerified: null, baselineRestoreVerified: true });
  });

  it('failsafe: the baseline restore was NOT verified (false), and that is the only false on any path', () => {
    const r = toJsonResult(summary({ outcome: 'failsafe', state: 'failsafe.alarming', baselineVerified: false, finalSettingsVerified: false }), {});
    expect(r).toMatchObject({ finalSettingsVerified: null, baselineRestoreVerified: false });
  });

  it('not started: nothing was changed, so nothing was to be verified (both null)', () => {
    const r = toJsonResult(summary({ outcome: 'not-started', state: 'notStarted', finalSettingsVerified: false, verifiedSettings: null }), {});
    expect(r).toMatchObject({ finalSettingsVerified: null, baselineRestoreVerified: null });
  });
});

describe('rmseq run --json (child process)', () => {
  beforeAll(() => assertBuilt());

  it('a completed staircase reports its final settings verified and no baseline restore', async () => {
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--seed', '1', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ outcome: 'completed', finalSettingsVerified: true, baselineRestoreVerified: null });
    expect(result).not.toHaveProperty('baselineVerified');
  });

  it('an aborted staircase reports its baseline restore verified and no final settings', async () => {
    const r = await runCli(['run', 'staircase', '--patient', 'hypovolemic-ards', '--seed', '1', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'aborted', finalSettingsVerified: null, baselineRestoreVerified: true });
  });
});
