/**
 * Done-when of issue 16: a full staircase with the ventilator from the MakAir emulator (PTY)
 * and the vitals from the emulated IntelliVue over UDP loopback, opened as
 * `--device makair:PTY --vitals intellivue:udp:127.0.0.1:PORT`; and the aborts when the monitor
 * raises an SpO2 INOP or an arterial-line disconnect mid-step: the vital is invalid from the
 * next poll, the staleness guard fires `vitalsStaleS` after its last valid value (not after a
 * silence), the baseline is restored and verified. Wall clock at 30x.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEVICE_BASELINE, WIDE_SAFETY } from './support/bench.js';
import { DeviceOpenError } from '../../src/runner/device.js';
import { IntelliVueBench } from './support/intellivueBench.js';
import { MAKAIR_STAIRCASE } from './support/protocols.js';
import { SOCAT, SOCAT_NOTE, scratchDir } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
let n = 0;

describe.skipIf(!SOCAT)(`staircase: MakAir emulator + IntelliVue emulator${SOCAT_NOTE}`, () => {
  it('completes at the titrated PEEP with every vital from the IntelliVue', { timeout: 60_000 }, async () => {
    const bench = await IntelliVueBench.start({ dir: scratch!.dir, name: `iv${n++}`, speed: 30, monitorOver: 'udp' });
    try {
      const { ds, telemetry } = await bench.openSession({ maneuver: 'staircase', protocol: MAKAIR_STAIRCASE });
      const summary = await bench.run(ds, 50_000);
      expect(summary.outcome, `abort: ${JSON.stringify(summary.abort)}`).toBe('completed');
      const final = summary.finalPeepCmH2O!;
      expect(final).toBeGreaterThanOrEqual(15);
      expect(final).toBeLessThanOrEqual(22.5);
      expect(summary.verifiedSettings).toMatchObject({ mode: 'PCV', peepCmH2O: final });
      // The baseline's driving pressure (15), reduced where the lung-protective limits require it (PCV peak bounds the plateau, <= 30).
      const peak = summary.verifiedSettings!.peakCmH2O;
      expect(peak).toBeGreaterThan(final);
      expect(peak).toBeLessThanOrEqual(Math.min(final + 15, 30));
      expect(telemetry.filter((e) => e.kind === 'fault' || e.kind === 'apply-error')).toEqual([]);
      const samples = telemetry.flatMap((e) => (e.kind === 'input' && e.event.type === 'SAMPLE' ? [e.event.sample] : []));
      expect(new Set(samples.map((s) => s.source))).toEqual(new Set(['intellivue', 'makair']));
      const fromMonitor = samples.filter((s) => s.source === 'intellivue');
      expect(fromMonitor.every((s) => s.spo2Pct !== undefined && s.mapMmHg !== undefined && s.hrBpm !== undefined && !s.rejected)).toBe(true);
      expect(summary.baselineVitals?.spo2Pct).toBeGreaterThan(80);
      expect(bench.monitor.status().associations).toBe(1);
    } finally {
      await bench.close();
    }
  });

  for (const [inop, field, label] of [
    ['spo2', 'spo2Pct', 'SpO2'],
    ['abp', 'mapMmHg', 'MAP'],
  ] as const) {
    it(`an ${inop === 'spo2' ? 'SpO2 INOP (no sensor)' : 'arterial-line disconnect (ABP no transducer)'} mid-step aborts on stale ${label} within vitalsStaleS of its last valid value; baseline restored`, { timeout: 60_000 }, async () => {
      const bench = await IntelliVueBench.start({ dir: scratch!.dir, name: `iv${n++}`, speed: 30, monitorOver: 'udp' });
      try {
        const { ds, telemetry } = await bench.openSession({ maneuver: 'staircase', protocol: MAKAIR_STAIRCASE });
        let raisedAt = Number.NaN;
        bench.when(ds, (state) => state.endsWith('dwelling'), () => {
          bench.monitor.raiseInop(inop);
          raisedAt = bench.clock.now();
        });
        const summary = await bench.run(ds, 50_000);
        expect(summary.outcome).toBe('aborted');
        expect(summary.abort, JSON.stringify(summary.abort)).toMatchObject({ reason: 'stale-vitals', guard: 'vitalsStale' });
        expect(summary.abort!.message).toContain(label);
        // The last valid value came at most one poll before the INOP; the abort follows the staleness limit from it, not a silence.
        const samples = telemetry.flatMap((e) => (e.kind === 'input' && e.event.type === 'SAMPLE' && e.event.sample.source === 'intellivue' ? [e.event.sample] : []));
        const lastValid = Math.max(...samples.filter((s) => s[field] !== undefined).map((s) => s.t));
        expect(lastValid).toBeLessThan(raisedAt + 6000); // a poll in flight when the INOP was raised (generous: 30x wall clock on a loaded machine)
        expect(summary.abort!.at - lastValid).toBeGreaterThan(WIDE_SAFETY.vitalsStaleS * 1000);
        expect(summary.abort!.at - lastValid).toBeLessThan(WIDE_SAFETY.vitalsStaleS * 1000 + 15_000);
        // The refused values were journaled as such: marked invalid by the source.
        expect(samples.some((s) => s.rejected?.[field] === 'marked-invalid' || (s[field] === undefined && s.t > raisedAt))).toBe(true);
        expect(telemetry.filter((e) => e.kind === 'fault')).toEqual([]); // the monitor kept answering: no lost source
        // The operator is told why: the INOP, as an alarm (printed by the CLI, journaled).
        const alarms = telemetry.flatMap((e) => (e.kind === 'alarm' ? [e.message] : []));
        expect(alarms.some((m) => m.includes(`not counted by the guards: ${field}: INOP`))).toBe(true);
        expect(summary.baselineVerified).toBe(true);
        expect(summary.verifiedSettings).toEqual(DEVICE_BASELINE);
      } finally {
        await bench.close();
      }
    });
  }

  it('demo data from the monitor mid-step: aborted at once (device fault), never counted', { timeout: 60_000 }, async () => {
    const bench = await IntelliVueBench.start({ dir: scratch!.dir, name: `iv${n++}`, speed: 30, monitorOver: 'udp' });
    try {
      const { ds } = await bench.openSession({ maneuver: 'staircase', protocol: MAKAIR_STAIRCASE });
      let at = Number.NaN;
      bench.when(ds, (state) => state.endsWith('dwelling'), () => {
        bench.monitor.setDemo(true);
        at = bench.clock.now();
      });
      const summary = await bench.run(ds, 50_000);
      expect(summary.abort).toMatchObject({ reason: 'device-fault', guard: 'vitals-source-lost' });
      expect(summary.abort!.message).toMatch(/DEMO data/);
      expect(summary.abort!.at - at).toBeLessThan(10_000); // at once: well before the 30-s staleness limit
      expect(summary.baselineVerified).toBe(true);
    } finally {
      await bench.close();
    }
  });

  it('over the MIB RS232 interface (PTY): vitals flow into the staircase; an SpO2 INOP ends it on stale SpO2', { timeout: 60_000 }, async () => {
    const bench = await IntelliVueBench.start({ dir: scratch!.dir, name: `iv${n++}`, speed: 30, monitorOver: 'serial' });
    try {
      const { ds, telemetry } = await bench.openSession({ maneuver: 'staircase', protocol: MAKAIR_STAIRCASE });
      let raisedAt = Number.NaN;
      bench.when(ds, (state) => state.endsWith('dwelling'), () => {
        bench.monitor.raiseInop('spo2');
        raisedAt = bench.clock.now();
      });
      const summary = await bench.run(ds, 50_000);
      const samples = telemetry.flatMap((e) => (e.kind === 'input' && e.event.type === 'SAMPLE' && e.event.sample.source === 'intellivue' ? [e.event.sample] : []));
      expect(samples.filter((s) => s.t < raisedAt).length).toBeGreaterThan(20);
      expect(samples.filter((s) => s.t < raisedAt).every((s) => s.spo2Pct !== undefined && s.mapMmHg !== undefined && s.hrBpm !== undefined)).toBe(true);
      expect(samples.filter((s) => s.t > raisedAt + 6000).every((s) => s.spo2Pct === undefined)).toBe(true);
      expect(summary.abort).toMatchObject({ reason: 'stale-vitals', guard: 'vitalsStale' });
      expect(summary.baselineVerified).toBe(true);
      expect(bench.monitor.status().associations).toBe(1);
    } finally {
      await bench.close();
    }
  });

  it('a monitor that never answers: the session is not opened (DeviceOpenError connect, naming the address), no setting sent', { timeout: 60_000 }, async () => {
    const bench = await IntelliVueBench.start({ dir: scratch!.dir, name: `iv${n++}`, speed: 30, monitorOver: 'udp' });
    try {
      bench.monitor.setSilent(true);
      const err = await bench.openSession({ maneuver: 'staircase', protocol: MAKAIR_STAIRCASE }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceOpenError);
      expect(err).toMatchObject({ stage: 'connect' });
      expect((err as Error).message).toMatch(/patient monitor: no IntelliVue association on udp 127\.0\.0\.1:\d+ within 40 s .*is Data Export enabled/);
      expect(bench.makair.status().device).toEqual(DEVICE_BASELINE);
    } finally {
      await bench.close();
    }
  });
});
