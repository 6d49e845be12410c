/**
 * FAILSAFE at the CLI with a (emulated) MakAir over pseudo-terminals, as a person meets it:
 * the link is lost for good mid-hold, the restore cannot be verified. The run must end, and
 * say what the device last showed and what to do: at `--failsafe-timeout`, at once when a
 * retry verifies the baseline after all, on `ack` + Enter, or on SIGINT. Never a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, emulatorStatus, startCli, waitForOutput } from '../support/cli.js';
import { makairCliRig } from './support/makairCli.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
beforeAll(() => assertBuilt());

const SPEED = '4';
/** A hold the MakAir can carry out; 2 restore attempts 5 s apart, so failsafe comes quickly. */
const HOLD = { maneuver: 'high-pressure-pcv', peepCmH2O: 25, peakCmH2O: 40, holdS: 120, assessS: 5, peakLimitCmH2O: 40, safety: { restoreAttempts: 2, restoreRetryDelayS: 1, restoreTimeoutS: 5 } };
let n = 0;

/** Runs the hold, injects `fault` (an emulator control line) once it runs, waits for FAILSAFE, then calls `during`. */
async function failsafeRun(extra: string[], during: (run: ReturnType<typeof startCli>, emulator: ReturnType<typeof startCli>) => Promise<void> | void, fault = 'fault drop') {
  const rig = await makairCliRig(scratch!.dir, `fs${n++}`, HOLD, SPEED);
  const { emulator } = rig;
  try {
    const run = startCli(rig.runArgs('high-pressure-pcv', extra));
    await waitForOutput(run.child, /PEEP 25, peak 40/);
    emulator.child.stdin.write(`${fault}\n`);
    await waitForOutput(run.child, /FAILSAFE/);
    const t0 = Date.now();
    await during(run, emulator);
    const r = await run.done;
    const device = await emulatorStatus(emulator);
    return { r, endedAfterMs: Date.now() - t0, device };
  } finally {
    await rig.close();
  }
}

describe.skipIf(!SOCAT)(`FAILSAFE at the CLI, MakAir link lost for good${SOCAT_NOTE}`, () => {
  it('exits 4 after --failsafe-timeout, printing the last known device state and what to do', { timeout: 60_000 }, async () => {
    const { r, endedAfterMs } = await failsafeRun(['--failsafe-timeout', '20'], () => undefined);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(4);
    expect(endedAfterMs).toBeLessThan(20_000 / 4 + 8_000);
    expect(r.stdout + r.stderr).toMatch(/last known device state: .*PEEP 25/i);
    expect(r.stdout + r.stderr).toMatch(/CHECK THE VENTILATOR/);
    // The hold's setting was sent as the cable was pulled: the operator is told it may be in force.
    expect(r.stdout + r.stderr).toMatch(/last maneuver setting sent PCV PEEP 25\/peak 40 .*(confirmed|may hold it)/);
  });

  it('the link comes back: a retry verifies the baseline, the run ends at once (exit 4, failsafe resolved) and the screen says so', { timeout: 60_000 }, async () => {
    const { r, device } = await failsafeRun(['--failsafe-timeout', '600'], (_run, emulator) => {
      emulator.child.stdin.write('clear\n');
    });
    expect(r.code, r.stderr).toBe(4);
    // On failure, the run's own output says which path it took (an intermittent failure: PEEP 25 here once in 8 runs alone).
    expect(device.peepCmH2O, `device PEEP after the run; run output:\n${r.stdout}\n---\n${r.stderr}`).toBe(10);
    expect(r.stdout + r.stderr).toMatch(/FAILSAFE resolved: baseline .*verified/);
    const after = (r.stdout + r.stderr).split(/FAILSAFE resolved/)[1] ?? '';
    expect(after).not.toMatch(/restoring baseline/);
  });

  it('`ack` + Enter on stdin ends the failsafe (exit 4), the operator having taken over', { timeout: 60_000 }, async () => {
    const { r, endedAfterMs } = await failsafeRun(['--failsafe-timeout', '600'], (run) => {
      run.child.stdin.write('ack\n');
    });
    expect(r.code, r.stderr).toBe(4);
    expect(endedAfterMs).toBeLessThan(8_000);
    expect(r.stdout + r.stderr).toMatch(/acknowledged/i);
  });

  it('SIGINT in failsafe ends the run within seconds (exit 4), with the device state', { timeout: 60_000 }, async () => {
    const { r, endedAfterMs } = await failsafeRun(['--failsafe-timeout', '600'], (run) => {
      run.child.kill('SIGINT');
    });
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(4);
    expect(endedAfterMs).toBeLessThan(8_000);
    expect(r.stdout + r.stderr).toMatch(/last known device state/i);
  });

  it('a device stall that outlasts everything (the emulator sends nothing for 20 min): exit 4 at --failsafe-timeout, never a hang', { timeout: 60_000 }, async () => {
    const { r, endedAfterMs } = await failsafeRun(['--failsafe-timeout', '20'], () => undefined, 'fault stall 1200');
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(4);
    expect(endedAfterMs).toBeLessThan(20_000 / 4 + 8_000);
    expect(r.stdout + r.stderr).toMatch(/last known device state/);
  });
});
