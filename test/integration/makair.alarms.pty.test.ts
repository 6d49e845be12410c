/**
 * Issue 21, point 8, over real pseudo-terminals: the emulator raises the firmware's own "plateau
 * not reached" (12) as the high-pressure step begins, as a MakAir does while the plateau ramps
 * (181 -> 248 -> 313 mmH2O over three breaths). Cleared within the grace, the maneuver goes on
 * and completes; still active beyond it, the maneuver aborts and the baseline is restored.
 * "Patient unplugged" (11) aborts at once. Wall clock 30x (support/bench.ts); times are device time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProtocolInput } from '../../machines/index.js';
import type { MakAirEmulator } from '../../emulators/index.js';
import { Bench, DEVICE_BASELINE } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const HOLD: ProtocolInput = { maneuver: 'high-pressure-pcv', peepCmH2O: 25, peakCmH2O: 40, holdS: 60, assessS: 5, peakLimitCmH2O: 40 };

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
let n = 0;

async function withAlarm(code: number, clearAfterMs: number | null) {
  const bench = await Bench.start({ dir: scratch!.dir, name: `ma${n++}`, device: { protocol: 'makair' }, speed: 30 });
  try {
    const emulator = bench.emulator as MakAirEmulator;
    const { ds, telemetry } = await bench.openSession({ maneuver: 'high-pressure-pcv', protocol: HOLD });
    bench.when(ds, (state) => state === 'active.highPressure.dwelling', () => {
      emulator.raiseAlarm(code);
      if (clearAfterMs !== null) bench.controlAfter(`alarm off ${code}`, clearAfterMs);
    });
    const summary = await bench.run(ds, 45_000);
    return { summary, telemetry };
  } finally {
    await bench.close();
  }
}

describe.skipIf(!SOCAT)(`MakAir alarm policy over pseudo-terminals${SOCAT_NOTE}`, () => {
  it('plateau not reached for two breaths after the step, then reached: the hold completes', { timeout: 60_000 }, async () => {
    const r = await withAlarm(12, 6000);
    expect(r.summary.outcome, `abort: ${JSON.stringify(r.summary.abort)}`).toBe('completed');
    expect(r.telemetry.filter((e) => e.kind === 'fault')).toEqual([]);
  });

  it('plateau not reached beyond the grace: device-alarm abort, baseline restored and verified', { timeout: 60_000 }, async () => {
    const r = await withAlarm(12, null);
    expect(r.summary.outcome).toBe('aborted');
    expect(r.summary.abort).toMatchObject({ reason: 'device-fault', guard: 'device-alarm' });
    expect(r.summary.abort?.message).toMatch(/alarm 12 \(plateau pressure not reached\) still active 4 breaths after the step change/);
    expect(r.summary.baselineVerified).toBe(true);
    expect(r.summary.verifiedSettings).toEqual(DEVICE_BASELINE);
  });

  it('patient unplugged (11) during the hold: device-alarm abort at once', { timeout: 60_000 }, async () => {
    const r = await withAlarm(11, null);
    expect(r.summary.outcome).toBe('aborted');
    expect(r.summary.abort).toMatchObject({ reason: 'device-fault', guard: 'device-alarm' });
    expect(JSON.stringify(r.summary.abort)).toMatch(/alarm 11 \(patient unplugged\)/);
  });
});
