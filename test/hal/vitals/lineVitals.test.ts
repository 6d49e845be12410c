/**
 * LineVitalsSource: lines split across chunks, CRLF, bad lines counted and dropped, sample
 * time = arrival minus the stated age, vitals-source-lost after the silence limit (once per
 * outage) and on port loss, clean close. Plus the emulated monitor feed end to end.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import type { MonitorSample } from '../../../machines/types.js';
import type { DeviceFault } from '../../../hal/port.js';
import { transportPair } from '../../../hal/serial/transport.js';
import { LineSplitter, LineVitalsSource, VitalsLineSchema, formatVitalsLine } from '../../../hal/vitals/index.js';
import { SimWorld } from '../../../hal/simulated/world.js';
import { VitalsFeedEmulator } from '../../../emulators/index.js';
import { BUILTIN_PROFILES } from '../../../sim/index.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function rig(options: { lostAfterMs?: number } = {}) {
  const clock = new VirtualClock(50_000);
  const [reader, writer] = transportPair();
  const vitals = new LineVitalsSource({ transport: reader, clock, ...options });
  const samples: MonitorSample[] = [];
  const faults: DeviceFault[] = [];
  vitals.samples$.subscribe((s) => samples.push(s));
  vitals.faults$.subscribe((f) => faults.push(f));
  await vitals.connect();
  const send = async (s: string): Promise<void> => {
    await writer.write(text(s));
    await flush();
  };
  return { clock, vitals, writer, samples, faults, send };
}

describe('LineVitalsSource', () => {
  it('reads lines split across chunks (LF and CRLF) and maps t to arrival time minus the stated age', async () => {
    const r = await rig();
    await r.send('{"t":1000,"ageMs":400,"spo2Pct":93,"map');
    expect(r.samples).toEqual([]);
    await r.send('MmHg":78.5,"sbpMmHg":112,"hrBpm":88}\r\n{"t":2000,"source":"bed-3","spo2Pct":94}\n');
    expect(r.samples).toEqual([
      { t: 50_000 - 400, source: 'line-vitals', spo2Pct: 93, mapMmHg: 78.5, sbpMmHg: 112, hrBpm: 88 },
      { t: 50_000, source: 'bed-3', spo2Pct: 94 },
    ]);
    expect(r.vitals.stats).toMatchObject({ lines: 2, samples: 2, badLines: 0 });
    await r.vitals.close();
  });

  it('counts and drops bad lines: not JSON, wrong types, impossible values, no vital sign, too long; blank lines are ignored', async () => {
    const r = await rig();
    await r.send(['nonsense', '{"t":"now","spo2Pct":93}', '{"t":1,"spo2Pct":140}', '{"t":1,"note":"hello"}', '{"spo2Pct":93}', '', `{"t":1,"x":"${'y'.repeat(5000)}"}`, '{"t":3,"mapMmHg":70}'].join('\n') + '\n');
    expect(r.samples).toEqual([{ t: 50_000, source: 'line-vitals', mapMmHg: 70 }]);
    expect(r.vitals.stats.badLines).toBe(6);
    await r.vitals.close();
  });

  it('drops a line whose monitor timestamp goes backwards', async () => {
    const r = await rig();
    await r.send('{"t":2000,"spo2Pct":93}\n{"t":1500,"spo2Pct":80}\n{"t":2500,"spo2Pct":92}\n');
    expect(r.samples.map((s) => s.spo2Pct)).toEqual([93, 92]);
    expect(r.vitals.stats.outOfOrder).toBe(1);
    await r.vitals.close();
  });

  it('emits vitals-source-lost once when the feed stops for lostAfterMs, and again after it resumed and stopped', async () => {
    const r = await rig({ lostAfterMs: 3000 });
    await r.send('{"t":1,"spo2Pct":93}\n');
    r.clock.advanceBy(2999);
    expect(r.faults).toEqual([]);
    r.clock.advanceBy(1);
    expect(r.faults.map((f) => [f.code, f.t])).toEqual([['vitals-source-lost', 53_000]]);
    r.clock.advanceBy(10_000);
    expect(r.faults).toHaveLength(1);
    await r.send('{"t":2,"spo2Pct":93}\n');
    r.clock.advanceBy(3000);
    expect(r.faults).toHaveLength(2);
    expect(r.faults[1]!.message).toMatch(/no valid vitals line for 3000 ms/);
    await r.vitals.close();
    expect(r.clock.pending()).toBe(0);
  });

  it('bad lines do not keep the feed alive', async () => {
    const r = await rig({ lostAfterMs: 2000 });
    for (let i = 0; i < 4; i++) {
      await r.send('{"t":1,"spo2Pct":"x"}\n');
      r.clock.advanceBy(600);
    }
    expect(r.faults.map((f) => f.code)).toEqual(['vitals-source-lost']);
    expect(r.faults[0]!.message).toMatch(/4 bad line\(s\)/);
    await r.vitals.close();
  });

  it('reports the port going away at once, and completes its streams on close', async () => {
    const r = await rig();
    let completed = false;
    r.vitals.samples$.subscribe({ complete: () => (completed = true) });
    await r.writer.close();
    await flush();
    expect(r.faults.map((f) => f.code)).toEqual(['vitals-source-lost']);
    await r.vitals.close();
    expect(completed).toBe(true);
    await expect(r.vitals.connect()).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('schema and formatting helpers round-trip', () => {
    const line = formatVitalsLine({ t: 5, ageMs: 100, spo2Pct: 90 });
    expect(line.endsWith('\n')).toBe(true);
    expect(VitalsLineSchema.parse(JSON.parse(line))).toEqual({ t: 5, ageMs: 100, spo2Pct: 90 });
    const s = new LineSplitter(10);
    expect(s.push(text('abc\r\ndef'))).toEqual({ lines: ['abc'], overflows: 0 });
    expect(s.push(text('ghijklmnop\nq\n'))).toEqual({ lines: ['q'], overflows: 1 });
  });
});

describe('VitalsFeedEmulator -> LineVitalsSource', () => {
  it('carries the simulated monitor: one sample a second, with the stated age, and garbage lines are counted', async () => {
    const clock = new VirtualClock(0);
    const [reader, writer] = transportPair();
    const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 } });
    const feed = new VitalsFeedEmulator({ transport: writer, clock, world, ageMs: 250 });
    const vitals = new LineVitalsSource({ transport: reader, clock, lostAfterMs: 3000 });
    const samples: MonitorSample[] = [];
    const faults: DeviceFault[] = [];
    vitals.samples$.subscribe((s) => samples.push(s));
    vitals.faults$.subscribe((f) => faults.push(f));
    await vitals.connect();
    feed.start();
    for (let i = 0; i < 10; i++) {
      clock.advanceBy(1000);
      await flush();
    }
    expect(samples).toHaveLength(10);
    expect(samples[0]).toMatchObject({ t: 750, source: 'sim-monitor' });
    expect(samples[9]!.spo2Pct).toBeGreaterThan(85);
    expect(samples[9]!.mapMmHg).toBeGreaterThan(60);
    feed.garbage(3);
    feed.silence(true);
    for (let i = 0; i < 4; i++) {
      clock.advanceBy(1000);
      await flush();
    }
    expect(vitals.stats.badLines).toBe(3);
    expect(faults.map((f) => f.code)).toEqual(['vitals-source-lost']);
    await feed.close();
    await vitals.close();
  });
});
