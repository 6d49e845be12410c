/**
 * Issue 21, points 7 and 9, over real pseudo-terminals: a high-pressure PCV whose hold lasts
 * 90 s (longer than the MakAir's 60-s Raspberry Pi watchdog) against the emulator, which
 * enforces that watchdog (a missing heartbeat cuts the host's power: the link goes dead). The
 * maneuver completes with the link kept throughout, and its return to the baseline brings back
 * the peak pressure alarm threshold the firmware moved with the plateau. Wall clock 30x (see
 * support/bench.ts); all durations below are device time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ControlSetting } from '../../hal/makair/index.js';
import type { ProtocolInput } from '../../machines/index.js';
import type { MakAirEmulator } from '../../emulators/index.js';
import type { EmulatorEvent } from '../../emulators/types.js';
import { Bench, DEVICE_BASELINE, patientNow } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const LONG_HOLD: ProtocolInput = { maneuver: 'high-pressure-pcv', peepCmH2O: 25, peakCmH2O: 40, holdS: 90, assessS: 5, peakLimitCmH2O: 40 };

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());

describe.skipIf(!SOCAT)(`MakAir heartbeat and full baseline over pseudo-terminals${SOCAT_NOTE}`, () => {
  it('a 90-s hold keeps the link (heartbeats, no power cycle) and its return to baseline restores the peak alarm threshold', { timeout: 60_000 }, async () => {
    const bench = await Bench.start({ dir: scratch!.dir, name: 'hb', device: { protocol: 'makair' }, speed: 30 });
    try {
      const emulator = bench.emulator as MakAirEmulator;
      const events: EmulatorEvent[] = [];
      bench.emulator.events$.subscribe((e) => events.push(e));
      const before = emulator.wireSettings();
      expect(before[ControlSetting.PeakPressureAlarmThreshold]).toBe(500);
      const { ds, telemetry } = await bench.openSession({ maneuver: 'high-pressure-pcv', protocol: LONG_HOLD });
      const summary = await bench.run(ds, 45_000);

      expect(summary.outcome, `abort: ${JSON.stringify(summary.abort)}`).toBe('completed');
      expect(summary.durationMs).toBeGreaterThan(90_000);
      const status = bench.emulator.status();
      expect(status.counters['rpiPowerCycles']).toBe(0);
      expect(events.filter((e) => /RPi watchdog/.test(e.message))).toEqual([]);
      expect(status.counters['heartbeats']).toBeGreaterThanOrEqual(Math.floor(summary.durationMs / 10_000));
      expect(telemetry.filter((e) => e.kind === 'fault')).toEqual([]);
      // Back at the baseline: the five driven settings and every other firmware setting, the
      // threshold the firmware set to 350 when the plateau went back to 25 included.
      expect(summary.verifiedSettings).toEqual(DEVICE_BASELINE);
      expect(patientNow(bench)).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });
      expect(emulator.wireSettings()).toEqual(before);
      expect(events.some((e) => /firmware moved PeakPressureAlarmThreshold to 350/.test(e.message))).toBe(true);
    } finally {
      await bench.close();
    }
  });
});
