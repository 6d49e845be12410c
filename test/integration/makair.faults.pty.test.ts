/**
 * Faults injected by the MakAir emulator during a maneuver, over real pseudo-terminals. Every
 * run must end with the baseline restored and verified (on the emulated patient as well as by
 * readback) or in failsafe; never silently at maneuver pressures.
 *
 * Maneuver: high-pressure PCV at PEEP 25 / peak 40 (the MakAir's plateau limit) for 60 s;
 * faults are switched on when the hold begins (the leak, 15 s into it). Wall clock 30x; the
 * adapter's link timeout is widened to 30 s of that clock (1 s of real time, support/bench.ts),
 * so the transient faults last 45 s. Restore attempts are raised to 10, 3 s apart: a transient fault can be outlasted,
 * a permanent one cannot.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProtocolInput } from '../../machines/index.js';
import type { SessionSummary } from '../../src/runner/telemetry.js';
import { Bench, DEVICE_BASELINE, patientNow } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const HOLD: ProtocolInput = {
  maneuver: 'high-pressure-pcv',
  peepCmH2O: 25,
  peakCmH2O: 40,
  holdS: 60,
  assessS: 5,
  peakLimitCmH2O: 40,
  safety: { restoreAttempts: 10, restoreRetryDelayS: 3 },
};

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
let n = 0;

/** Runs the hold with `inject` called as the hold begins; returns the summary and the bench's view. */
async function withFault(inject: (bench: Bench) => void) {
  const bench = await Bench.start({ dir: scratch!.dir, name: `mf${n++}`, device: { protocol: 'makair' }, speed: 30 });
  try {
    const { ds, telemetry } = await bench.openSession({ maneuver: 'high-pressure-pcv', protocol: HOLD });
    bench.when(ds, (state) => state === 'active.highPressure.dwelling', () => inject(bench));
    const summary = await bench.run(ds, 45_000);
    return { summary, telemetry, patient: patientNow(bench), device: bench.emulator.status().device };
  } finally {
    await bench.close();
  }
}

function expectBaselineRestored(r: { summary: SessionSummary; patient: unknown; device: unknown }): void {
  expect(r.summary.outcome).toBe('aborted');
  expect(r.summary.baselineVerified).toBe(true);
  expect(r.summary.verifiedSettings).toEqual(DEVICE_BASELINE);
  expect(r.device).toEqual(DEVICE_BASELINE);
  expect(r.patient).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });
}

describe.skipIf(!SOCAT)(`MakAir faults over pseudo-terminals${SOCAT_NOTE}`, () => {
  it('link dropped for 45 s mid-hold: link-lost abort, baseline restored once the link is back', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => b.emulator.faults.drop(45_000));
    expectBaselineRestored(r);
    expect(r.summary.abort).toMatchObject({ reason: 'device-fault', guard: 'link-lost' });
    expect(r.summary.restoreFailures.length).toBeGreaterThan(0); // attempts failed while the link was down
  });

  it('link dropped for good: failsafe (the baseline cannot be verified), with the alarm raised', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => b.emulator.faults.drop());
    expect(r.summary.outcome).toBe('failsafe');
    expect(r.summary.baselineVerified).toBe(false);
    expect(r.telemetry.some((e) => e.kind === 'alarm' && /FAILSAFE/.test(e.message))).toBe(true);
  });

  it('a refused setting (ack with the value kept): abort, baseline restored', { timeout: 60_000 }, async () => {
    // Refuse the next setting change: the return to baseline at the end of the hold.
    const r = await withFault((b) => b.emulator.faults.refuse(1));
    expectBaselineRestored(r);
    expect(r.telemetry.some((e) => e.kind === 'apply-error' && e.code === 'refused')).toBe(true);
  });

  it('every setting refused: failsafe, never a silent end at maneuver pressures', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => b.emulator.faults.refuse(1_000_000));
    expect(r.summary.outcome).toBe('failsafe');
    expect(r.patient).toMatchObject({ peepCmH2O: 25, peakCmH2O: 40 });
    expect(r.telemetry.some((e) => e.kind === 'alarm' && /FAILSAFE/.test(e.message))).toBe(true);
  });

  it('a burst of corrupted frames (bad CRC): link-lost abort, baseline restored', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => b.emulator.faults.corrupt(200)); // about 45 s of telemetry
    expectBaselineRestored(r);
    expect(r.summary.abort?.guard).toBe('link-lost');
  });

  it('a few corrupted, duplicated and truncated frames are tolerated: the maneuver completes at baseline', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => {
      b.emulator.faults.corrupt(2);
      b.emulator.faults.truncate(2);
      b.emulator.faults.duplicate(2);
    });
    expect(r.summary.outcome).toBe('completed');
    expect(r.device).toEqual(DEVICE_BASELINE);
    expect(r.patient).toMatchObject({ peepCmH2O: 10, peakCmH2O: 25 });
  });

  it('a stall of 45 s: link-lost abort, baseline restored afterwards', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => b.emulator.faults.stall(45_000));
    expectBaselineRestored(r);
  });

  it('a reboot mid-hold: device-reset abort; the device is back at its defaults and the baseline is verified', { timeout: 60_000 }, async () => {
    const r = await withFault((b) => b.emulator.reboot());
    expectBaselineRestored(r);
    expect(r.summary.abort).toMatchObject({ reason: 'device-fault', guard: 'device-reset' });
  });

  it('a ventilator that confirms PEEP but leaks: delivery-mismatch abort, baseline restored and verified', { timeout: 60_000 }, async () => {
    // 15 s into the hold (PEEP 25 / peak 40 set and confirmed by readback), the device starts
    // leaking 8 cmH2O: it still acknowledges and reports PEEP 25 / plateau 40, but measures
    // about 17 / 32. Injected as `rmseq emulate` would, from a control line.
    let leakAt = (): number => Number.NaN;
    const r = await withFault((b) => (leakAt = b.controlAfter('leak 8', 15_000)));
    const injectedAt = leakAt();
    expect(injectedAt).not.toBeNaN();
    // The leak reached the controller: MakAir samples after it measure PEEP about 25 - 8.
    const peeps = r.telemetry.flatMap((e) => (e.kind === 'input' && e.event.type === 'SAMPLE' && e.event.sample.source === 'makair' && e.event.sample.t >= injectedAt ? [e.event.sample.peepCmH2O ?? NaN] : []));
    expect(peeps.some((p) => p > 15 && p < 19), `PEEP measured after the leak: ${peeps.join(', ')}`).toBe(true);
    expect(r.summary.abort, `outcome ${r.summary.outcome}, abort ${JSON.stringify(r.summary.abort)}`).toMatchObject({ reason: 'delivery-mismatch' });
    expect(r.summary.abort!.at).toBeGreaterThanOrEqual(injectedAt);
    expect(r.summary.abort!.fromState).toMatch(/^high-pressure: /);
    // Readback still matched on every step: only the measurement gives the leak away.
    expect(r.telemetry.filter((e) => e.kind === 'readback').every((e) => e.kind === 'readback' && e.matches)).toBe(true);
    expectBaselineRestored(r);
  });
});
