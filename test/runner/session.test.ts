import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { RefusedError } from '../../hal/errors.js';
import { defaultProtocol, ProtocolSchema, type Protocol } from '../../machines/index.js';
import { Journal } from '../../src/journal/journal.js';
import { readJournal } from '../../src/journal/read.js';
import { replayJournal } from '../../src/journal/replay.js';
import { runSession } from '../../src/runner/drive.js';
import { Session, withoutFio2TitrationIfFixed } from '../../src/runner/session.js';
import type { DeviceInfo } from '../../hal/port.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';
import { BASELINE, NORMAL_VITALS } from '../support/driver.js';
import { FakeVentilator } from '../support/fakeVentilator.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';

async function open(protocol: Protocol, script?: (now: number, vent: FakeVentilator) => Record<string, number> | null) {
  const clock = new VirtualClock(0);
  const ventilator = new FakeVentilator({ ...BASELINE }, clock, undefined, 200);
  const vitals = new ScriptedVitals(clock, (now) => (script ? script(now, ventilator) : { ...NORMAL_VITALS }));
  const session = await Session.open({ maneuver: protocol.maneuver, protocol, ventilator, vitals, clock });
  const events: TelemetryEvent[] = [];
  session.telemetry$.subscribe((e) => events.push(e));
  return { clock, ventilator, vitals, session, events };
}

describe('Session runner', () => {
  it('runs a staircase on the HAL with readback verification and ends at the titrated PEEP', async () => {
    const { session, ventilator, events } = await open(defaultProtocol('staircase'), (now, vent) => ({
      ...NORMAL_VITALS,
      // The lung derecruits at 17.5 during the titration (after 6 min of recruitment).
      spo2Pct: now > 360_000 && vent.settings.peepCmH2O <= 17.5 && vent.settings.peepCmH2O > 10 ? 90 : 94,
    }));
    const summary = await runSession(session);
    expect(summary.outcome).toBe('completed');
    expect(summary.finalPeepCmH2O).toBe(20);
    // PEEP 20 at 35 mL/cmH2O: 420 mL would give plateau 32; Vt is lowered to 330 mL (plateau 29.4).
    expect(ventilator.settings).toMatchObject({ mode: 'VC', peepCmH2O: 20, tidalVolumeMl: 330, fio2: 0.6 });
    // SpO2 94 does not move with FiO2: four FiO2 steps at PEEP 25 (0.5, 0.4, 0.3, 0.21), then the titration.
    expect(ventilator.applied.map((s) => s.peepCmH2O)).toEqual([20, 30, 40, 25, 25, 25, 25, 25, 22.5, 20, 17.5, 40, 20]);
    expect(ventilator.applied.filter((s) => s.peepCmH2O === 25).map((s) => s.fio2)).toEqual([0.5, 0.4, 0.3, 0.21, 0.21]);
    expect(summary.titration).toMatchObject({ fio2TitratedTo: 0.21, spo2Blind: true, decidedBy: 'spo2', derecruitmentSeen: true });
    expect(summary.titration.limitsMeasured).toMatchObject({ plateauCmH2O: 29.4, within: true });
    expect(summary.patient).toBeNull();
    // The decision and the measured limits go out on the telemetry (console, journal), once each.
    const titration = events.filter((e) => e.kind === 'titration');
    expect(titration.map((e) => e.kind === 'titration' && e.stage)).toEqual(['decided', 'measured']);
    expect(titration[0]?.kind === 'titration' && titration[0].titration.methods.map((m) => m.method)).toEqual(['spo2', 'compliance', 'driving-pressure']);
    const readbacks = events.filter((e) => e.kind === 'readback');
    expect(readbacks).toHaveLength(13);
    expect(readbacks.every((e) => e.kind === 'readback' && e.matches)).toBe(true);
    expect(events[events.length - 1]?.kind).toBe('outcome');
    await session.close();
  });

  it('turns a HAL refusal into an abort and restores the baseline', async () => {
    const { session, ventilator, clock } = await open(defaultProtocol('high-pressure-pcv'));
    ventilator.failWith = new RefusedError('mode not allowed now');
    // Refused for 1.5 s from the first command (the start waits for the baseline window).
    let armed = false;
    session.telemetry$.subscribe((e) => {
      if (e.kind === 'command' && !armed) {
        armed = true;
        clock.setTimeout(() => (ventilator.failWith = null), 1500);
      }
    });
    const summary = await runSession(session);
    expect(summary.outcome).toBe('aborted');
    expect(summary.abort).toMatchObject({ reason: 'device-fault', guard: 'apply-refused' });
    expect(ventilator.settings).toEqual(BASELINE);
    await session.close();
  });

  it('never sends a command beyond the hard limits to the HAL', async () => {
    // A protocol object that bypassed validation (peak limit 70): the runner still refuses.
    const bad = { ...defaultProtocol('high-pressure-pcv'), peakLimitCmH2O: 70, peakCmH2O: 65 } as Protocol;
    const { session, ventilator, events } = await open(bad);
    const summary = await runSession(session);
    expect(ventilator.applied.every((s) => s.peakCmH2O <= 60)).toBe(true);
    expect(events.some((e) => e.kind === 'apply-error' && e.code === 'out-of-range')).toBe(true);
    expect(summary.outcome).toBe('aborted');
    await session.close();
  });

  it('refuses, before the start, a protocol the device cannot carry out', async () => {
    const clock = new VirtualClock(0);
    const caps = { modes: ['PCV', 'VC'] as const, ranges: { peepCmH2O: [0, 30] as const, peakCmH2O: [5, 40] as const, rateBpm: [0, 40] as const, fio2: [0.21, 1] as const }, remoteSetting: true, pressureResolutionCmH2O: 0.1 };
    const ventilator = new FakeVentilator({ ...BASELINE }, clock, { vendor: 'test', model: 'small', protocol: 'fake', capabilities: { ...caps, modes: [...caps.modes] } });
    const vitals = new ScriptedVitals(clock, () => ({ ...NORMAL_VITALS }));
    const err = await Session.open({ maneuver: 'staircase', protocol: defaultProtocol('staircase'), ventilator, vitals, clock }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/test small cannot carry out this staircase protocol/);
    expect((err as Error).message).toMatch(/Recruitment 2\/3: PEEP 30, peak 45 cmH2O: peakCmH2O = 45 outside 5-40/);
    expect(ventilator.applied).toEqual([]);
  });

  it("refuses, before the start, steps the adapter's own mode-dependent check refuses (Ventilator.checkSettings)", async () => {
    const clock = new VirtualClock(0);
    const ventilator = new FakeVentilator({ ...BASELINE }, clock);
    const checked: Array<{ mode: string; peakCmH2O: number }> = [];
    // A device whose PCV peak is a plateau limited to 40, though its capability range (for VC's alarm threshold) reaches 60.
    Object.assign(ventilator, {
      checkSettings: (s: { mode: string; peakCmH2O: number }) => (checked.push({ mode: s.mode, peakCmH2O: s.peakCmH2O }), s.mode === 'PCV' && s.peakCmH2O > 40 ? [`PCV plateau ${s.peakCmH2O} above 40`] : []),
    });
    const vitals = new ScriptedVitals(clock, () => ({ ...NORMAL_VITALS }));
    const err = await Session.open({ maneuver: 'staircase', protocol: defaultProtocol('staircase'), ventilator, vitals, clock }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cannot carry out this staircase protocol/);
    expect((err as Error).message).toMatch(/Recruitment 2\/3: PEEP 30, peak 45 cmH2O: PCV plateau 45 above 40/);
    // Every planned step was checked with its complete settings, the mode included (not rebuilt from the phase).
    expect(checked.some((c) => c.mode === 'PCV' && c.peakCmH2O === 45)).toBe(true);
    expect(checked.some((c) => c.mode === BASELINE.mode)).toBe(true);
    expect(ventilator.applied).toEqual([]);
  });

  it('reports missing vitals as a precondition failure without touching the ventilator', async () => {
    const { session, ventilator } = await open(defaultProtocol('sustained-inflation'), () => null);
    const summary = await runSession(session);
    expect(summary.outcome).toBe('not-started');
    expect(summary.preconditionIssues[0]?.code).toBe('vitals-missing');
    expect(ventilator.applied).toEqual([]);
    await session.close();
  });

  it('journals every event as a JSON line, and replay reaches the same decisions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-'));
    const path = join(dir, 'j.jsonl');
    const protocol = ProtocolSchema.parse({ maneuver: 'staircase' });
    const { session } = await open(protocol, (now) => ({ ...NORMAL_VITALS, mapMmHg: now > 500_000 ? 50 : 78 }));
    const journal = Journal.open(path);
    journal.header({ versions: { test: '1' }, maneuver: 'staircase', protocol, clock: 'virtual' });
    journal.attach(session.telemetry$);
    const summary = await runSession(session);
    journal.close();
    expect(summary.outcome).toBe('aborted');
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ event: 'session-start', line: 1 });
    expect(lines.map((l) => l['line'])).toEqual(lines.map((_, i) => i + 1));
    for (const kind of ['device', 'input', 'command', 'readback', 'state', 'guard', 'outcome']) {
      expect(lines.some((l) => l['event'] === kind), kind).toBe(true);
    }
    expect(lines.find((l) => l['event'] === 'guard')).toMatchObject({ abort: { reason: 'hypotension', guard: 'mapBelowFloor' } });
    const r = replayJournal(readJournal(path));
    expect(r.differences).toEqual([]);
    expect(r.identical).toBe(true);
    expect(r.outcomeReplayed).toBe('aborted');
    await session.close();
  });

  it('replay notices a journal whose decisions were tampered with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-'));
    const path = join(dir, 'j.jsonl');
    const protocol = defaultProtocol('sustained-inflation');
    const { session } = await open(protocol);
    const journal = Journal.open(path);
    journal.header({ versions: {}, maneuver: 'sustained-inflation', protocol, clock: 'virtual' });
    journal.attach(session.telemetry$);
    await runSession(session);
    journal.close();
    const j = readJournal(path);
    j.commands[0] = { ...j.commands[0]!, settings: { ...j.commands[0]!.settings, peepCmH2O: 45 } };
    const r = replayJournal(j);
    expect(r.identical).toBe(false);
    expect(r.differences[0]).toMatch(/^command 1: recorded/);
    await session.close();
  });
});

describe('devices that cannot set FiO2 (issue 15)', () => {
  it('the staircase runs without the FiO2 titration on a device whose FiO2 range is one value (MakAir)', () => {
    const makair = { vendor: 'MakAir', model: 'x', capabilities: { ranges: { peepCmH2O: [0, 50], peakCmH2O: [0, 70], rateBpm: [0, 60], fio2: [0.4, 0.4] } } } as unknown as DeviceInfo;
    const p = withoutFio2TitrationIfFixed(defaultProtocol('staircase'), makair);
    expect(p?.maneuver === 'staircase' && p.fio2Titration.enabled).toBe(false);
    const full = { ...makair, capabilities: { ranges: { ...makair.capabilities.ranges, fio2: [0.21, 1] } } } as unknown as DeviceInfo;
    expect(withoutFio2TitrationIfFixed(defaultProtocol('staircase'), full)).toBeNull();
    expect(withoutFio2TitrationIfFixed(defaultProtocol('sustained-inflation'), makair)).toBeNull();
  });
});
