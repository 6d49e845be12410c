/** One session source for the CLI and the console: clock, policy, monitor, guided timeout, record, journal. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock, WallClock } from '../../common/clock.js';
import { GUIDED_TIMEOUT_DEFAULT_MS, GUIDED_TIMEOUT_MAX_MS } from '../../hal/guided/index.js';
import { MAKAIR_WIRE_TIMING } from '../../hal/makair/index.js';
import { MEDIBUS_TIMING } from '../../hal/medibus/index.js';
import { CHECKLIST_IDS, defaultProtocol } from '../../machines/index.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { Journal } from '../../src/journal/journal.js';
import { runSession } from '../../src/runner/drive.js';
import { deviceSource, guidedTimeoutOnSessionClock, journaled, simulatedSource, WAITING_POLICY, wireTimingAtSpeed, type SimulatedSourceOptions } from '../../src/runner/source.js';

const profile = BUILTIN_PROFILES['moderate-ards'];
const sim = (o: Partial<SimulatedSourceOptions> = {}) =>
  simulatedSource({ patientName: 'moderate-ards', profile, seed: 3, baseline: DEFAULT_SIM_BASELINE, speed: 1, guided: false, ...o });

describe('simulatedSource', () => {
  it('runs a batch session on a virtual clock with the policy given, and records patient and seed', async () => {
    const source = sim({ clock: 'virtual', policy: { onCompleted: 'end', onFailsafe: 'end' } });
    const opened = await source.open('staircase', defaultProtocol('staircase'));
    expect(opened.session.clock).toBeInstanceOf(VirtualClock);
    expect(opened.session.options).toMatchObject({ onCompleted: 'end', onFailsafe: 'end' });
    const summary = await runSession(opened.session);
    await opened.dispose();
    expect(summary.outcome).toBe('completed');
    expect(opened.description).toBe('simulated patient moderate-ards (seed 3)');
    expect(opened.record.header).toEqual({ patient: { name: 'moderate-ards', profile }, seed: 3, device: 'simulator' });
    expect(opened.record.result).toEqual({ patient: 'moderate-ards', seed: 3, device: 'simulator' });
    expect(opened.device).toBeNull();
    expect(opened.guided).toBeNull();
  });

  it("defaults to the console's use: the wall clock at its speed, waiting at completed and in failsafe", async () => {
    const source = sim({ speed: 5 });
    expect(source).toMatchObject({ simulated: true, guided: false, speed: 5, baseline: DEFAULT_SIM_BASELINE });
    const opened = await source.open('staircase', defaultProtocol('staircase'));
    try {
      expect(opened.session.clock).toBeInstanceOf(WallClock);
      expect(opened.session.options).toMatchObject(WAITING_POLICY);
    } finally {
      await opened.dispose();
    }
  });

  it('passes the monitor options to the simulated monitor (same seed, different samples with artifacts)', async () => {
    const spo2s = async (artifacts: boolean) => {
      const opened = await sim({ clock: 'virtual', monitor: { artifacts: { enabled: artifacts, ratePerMin: 30 } } }).open('staircase', defaultProtocol('staircase'));
      const seen: number[] = [];
      const sub = opened.session.telemetry$.subscribe((e) => {
        if (e.kind === 'input' && e.event.type === 'SAMPLE' && e.event.sample.spo2Pct !== undefined) seen.push(e.event.sample.spo2Pct);
      });
      opened.session.begin();
      (opened.session.clock as VirtualClock).advanceBy(25_000); // inside the baseline window: nothing applied yet
      sub.unsubscribe();
      await opened.dispose();
      return seen;
    };
    const [clean, noisy] = [await spo2s(false), await spo2s(true)];
    expect(clean.length).toBeGreaterThan(10);
    expect(noisy).not.toEqual(clean);
  });

  it('gives a guided instruction the default time of real time on the session clock, capped below the apply deadline', async () => {
    const applyTimeoutS = async (speed: number, guidedTimeoutMs?: number) => {
      const opened = await sim({ clock: 'virtual', speed, guided: true, ...(guidedTimeoutMs ? { guidedTimeoutMs } : {}) }).open('staircase', defaultProtocol('staircase'));
      await opened.dispose();
      expect(opened.guided).not.toBeNull();
      return opened.session.options.protocol.safety.applyTimeoutS;
    };
    // The machine's apply deadline is stretched 10 s past the instruction's own timeout.
    expect(await applyTimeoutS(1)).toBe(GUIDED_TIMEOUT_DEFAULT_MS / 1000 + 10);
    expect(await applyTimeoutS(2)).toBe((2 * GUIDED_TIMEOUT_DEFAULT_MS) / 1000 + 10);
    expect(await applyTimeoutS(100)).toBe(GUIDED_TIMEOUT_MAX_MS / 1000 + 10);
    expect(await applyTimeoutS(100, 30_000)).toBe(40);
  });
});

describe('the operator checklist through the sources', () => {
  const all = { items: [...CHECKLIST_IDS], by: 'dr-ada', at: Date.UTC(2026, 0, 2, 3, 4, 5) };
  it('a wall-clock simulator session requires it: nothing given is nothing confirmed, and the start is refused', async () => {
    const source = sim({ speed: 5 });
    expect(source.checklistRequired).toBe(true);
    const opened = await source.open('staircase', defaultProtocol('staircase'));
    try {
      expect(opened.session.options.checklist).toEqual([]);
      expect(opened.record.header).not.toHaveProperty('checklist');
    } finally {
      await opened.dispose();
    }
  });

  it('a confirmation reaches the session and the journal header (who, when, which items)', async () => {
    const opened = await sim({ speed: 5 }).open('staircase', defaultProtocol('staircase'), { checklist: all });
    try {
      expect(opened.session.options.checklist).toEqual([...CHECKLIST_IDS]);
      expect(opened.record.header.checklist).toEqual({ items: [...CHECKLIST_IDS], by: 'dr-ada', at: '2026-01-02T03:04:05.000Z' });
    } finally {
      await opened.dispose();
    }
  });

  it('a virtual-clock simulator session does not require it; a partial one given still blocks the start', async () => {
    const free = sim({ clock: 'virtual', policy: { onCompleted: 'end', onFailsafe: 'end' } });
    expect(free.checklistRequired).toBe(false);
    const opened = await free.open('sustained-inflation', defaultProtocol('sustained-inflation'));
    expect(opened.session.options.checklist).toBeUndefined();
    await opened.dispose();
    const partial = await free.open('sustained-inflation', defaultProtocol('sustained-inflation'), { checklist: { ...all, items: ['sedation'] } });
    const summary = await runSession(partial.session);
    await partial.dispose();
    expect(summary.outcome).toBe('not-started');
    expect(summary.preconditionIssues.map((i) => i.code)).toEqual(['checklist-not-confirmed']);
    expect(summary.preconditionIssues[0]!.message).toContain('stable-vasopressors');
  });

  it('a device source always requires it', () => {
    const source = deviceSource({ device: { protocol: 'makair', path: '/dev/ttyUSB0', fio2: 0.4 }, serial: { path: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 }, vitals: { path: '/dev/ttyUSB2', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }, guided: false, guidedTimeoutMs: GUIDED_TIMEOUT_DEFAULT_MS });
    expect(source.checklistRequired).toBe(true);
  });
});

describe('guidedTimeoutOnSessionClock', () => {
  it('scales real time by the clock speed and caps it at GUIDED_TIMEOUT_MAX_MS', () => {
    expect(guidedTimeoutOnSessionClock(60_000, 1)).toBe(60_000);
    expect(guidedTimeoutOnSessionClock(60_000, 4)).toBe(240_000);
    expect(guidedTimeoutOnSessionClock(120_000, 10)).toBe(GUIDED_TIMEOUT_MAX_MS);
    expect(GUIDED_TIMEOUT_MAX_MS).toBeLessThan(600_000); // below the machine's largest apply deadline
  });
});

describe('wireTimingAtSpeed', () => {
  it('multiplies the wire timings by the speed, so that they stay the same in real time', () => {
    expect(wireTimingAtSpeed(1)).toEqual({ makair: { ...MAKAIR_WIRE_TIMING }, medibus: { timing: { silenceTimeoutMs: MEDIBUS_TIMING.silenceTimeoutMs, responseTimeoutMs: MEDIBUS_TIMING.responseTimeoutMs } } });
    expect(wireTimingAtSpeed(4)).toEqual({ makair: { linkTimeoutMs: 4000, ackTimeoutMs: 2000, maxAckTimeoutMs: 16_000 }, medibus: { timing: { silenceTimeoutMs: 12_000, responseTimeoutMs: 40_000 } } });
    expect(wireTimingAtSpeed(0.5).makair.linkTimeoutMs).toBe(500);
  });

  it('refuses a speed that is not a positive number', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => wireTimingAtSpeed(bad)).toThrow(/speed must be a positive number/);
  });
});

describe('deviceSource', () => {
  it('names the device it was made for, before any session is open', () => {
    const serial = { path: '/dev/ttyUSB1', baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 } as const;
    const vitals = { path: '/dev/ttyUSB2', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 } as const;
    const info = { vendor: 'Draeger', model: 'Evita', capabilities: {} } as never;
    const known = deviceSource({ device: { protocol: 'medibus', path: '/dev/ttyUSB1', family: 'evita' }, serial, vitals, info, guided: true, guidedTimeoutMs: GUIDED_TIMEOUT_DEFAULT_MS });
    expect(known).toMatchObject({ description: 'Draeger Evita on /dev/ttyUSB1 (guided)', simulated: false, guided: true, speed: 1 });
    const unknown = deviceSource({ device: { protocol: 'makair', path: '/dev/ttyUSB0', fio2: 0.4 }, serial: { ...serial, path: '/dev/ttyUSB0' }, vitals, guided: false, guidedTimeoutMs: GUIDED_TIMEOUT_DEFAULT_MS, speed: 4 });
    expect(unknown).toMatchObject({ description: 'MakAir on /dev/ttyUSB0', simulated: false, guided: false, speed: 4 });
  });

  it('refuses a monitor feed that cannot be opened, naming the port', async () => {
    const serial = { path: '/nonexistent/vent', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 } as const;
    const source = deviceSource({ device: { protocol: 'makair', path: serial.path, fio2: 0.4 }, serial, vitals: { ...serial, path: '/nonexistent/monitor', baudRate: 9600 }, guided: false, guidedTimeoutMs: GUIDED_TIMEOUT_DEFAULT_MS });
    await expect(source.open('staircase', defaultProtocol('staircase'))).rejects.toThrow(/vitals feed port \/nonexistent\/monitor: no such device/);
  });
});

describe('journaled / journalSession', () => {
  it("writes each session's header with its record and the clock it runs on, then its telemetry", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-source-'));
    const path = join(dir, 'j.jsonl');
    const journal = Journal.open(path);
    const source = journaled(sim({ clock: 'virtual', policy: { onCompleted: 'end', onFailsafe: 'end' } }), journal, () => ({ versions: { test: '1' }, argv: ['x'] }));
    for (let i = 0; i < 2; i++) {
      const opened = await source.open('staircase', defaultProtocol('staircase'));
      await runSession(opened.session);
      await opened.dispose();
    }
    journal.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const headers = lines.filter((l) => l['event'] === 'session-start');
    expect(headers).toHaveLength(2);
    for (const h of headers) {
      expect(h).toMatchObject({ versions: { test: '1' }, maneuver: 'staircase', patient: { name: 'moderate-ards' }, seed: 3, device: 'simulator', clock: 'virtual', argv: ['x'] });
    }
    expect(lines.filter((l) => l['event'] === 'outcome')).toHaveLength(2);
  });
});
