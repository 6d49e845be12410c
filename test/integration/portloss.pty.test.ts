/**
 * The serial port goes away mid-hold and comes back (a USB adapter re-enumerating): the
 * socat pair is killed, so both ends really lose the port, and re-created under the same
 * path. Both adapters reopen it with backoff and the restore resumes on the reopened port:
 * the maneuver ends aborted with the baseline verified on the device, the loss and the
 * reopening each announced once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProtocolInput } from '../../machines/index.js';
import { Bench, DEVICE_BASELINE, therapist, type BenchDevice } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const HOLD: ProtocolInput = {
  maneuver: 'high-pressure-pcv',
  peepCmH2O: 25,
  peakCmH2O: 40,
  holdS: 120,
  assessS: 5,
  peakLimitCmH2O: 40,
  safety: { restoreAttempts: 10, restoreRetryDelayS: 5 },
};

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
let n = 0;

describe.skipIf(!SOCAT)(`a lost serial port is reopened and the restore resumes on it${SOCAT_NOTE}`, () => {
  it('MakAir: port pulled for 0.5 s mid-hold: aborted, baseline verified on the device, lost and reopened announced once each', { timeout: 60_000 }, () => pulled({ protocol: 'makair' }));
  it('MEDIBUS: port pulled for 0.5 s mid-hold: aborted, baseline verified on the device, lost and reopened announced once each', { timeout: 60_000 }, () => pulled({ protocol: 'medibus', family: 'evita' }));
});

async function pulled(device: BenchDevice): Promise<void> {
  const bench = await Bench.start({ dir: scratch!.dir, name: `pl${n++}`, device, speed: 30 });
  try {
    const { ds, telemetry } = await bench.openSession({
      maneuver: 'high-pressure-pcv',
      protocol: HOLD,
      ...(device.protocol === 'medibus' ? { guided: { timeoutMs: 60_000, pollMs: 1000 } } : {}),
    });
    if (ds.guided) therapist(bench, ds.guided.prompts$, 4000);
    bench.when(ds, (state) => state === 'active.highPressure.dwelling', () => void bench.replugDevice(500));
    const started = Date.now();
    const summary = await bench.run(ds, 40_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(summary.outcome, JSON.stringify(summary.restoreFailures)).toBe('aborted');
    expect(summary.baselineVerified).toBe(true);
    const dev = bench.emulator.status().device as { peepCmH2O: number; peakCmH2O: number };
    expect(Math.abs(dev.peepCmH2O - DEVICE_BASELINE.peepCmH2O)).toBeLessThan(0.6);
    expect(Math.abs(dev.peakCmH2O - DEVICE_BASELINE.peakCmH2O)).toBeLessThan(0.6);
    const alarms = telemetry.filter((e) => e.kind === 'alarm').map((e) => (e.kind === 'alarm' ? e.message : ''));
    // The port's own announcements (`<path>: port lost ...`), once each; each restore attempt that failed meanwhile has its own alarm.
    expect(alarms.filter((m) => /^\S+: port lost \(/.test(m))).toHaveLength(1);
    expect(alarms.filter((m) => /^\S+: port reopened after/.test(m))).toHaveLength(1);
  } finally {
    await bench.close();
  }
}
