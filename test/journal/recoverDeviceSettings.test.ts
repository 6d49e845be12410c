/**
 * Crash recovery on a MakAir (emulated, in process, one VirtualClock): the session journals the
 * firmware settings its adapter captured before it changed anything (alarm thresholds,
 * timings: `deviceSettings` of the device line); the process dies at plateau 40; the return to
 * plateau 25 makes the firmware move its peak pressure alarm threshold (to 350, where the
 * clinician had 500); recovery by a new adapter restores the five driven settings AND those,
 * as the first adapter's own restore would have (H63).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { MakAirEmulator } from '../../emulators/index.js';
import { ControlSetting, MakAirVentilator } from '../../hal/makair/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import { defaultProtocol } from '../../machines/index.js';
import { Journal } from '../../src/journal/journal.js';
import { readJournal } from '../../src/journal/read.js';
import { findUnfinished, recoverBaseline } from '../../src/journal/recover.js';
import { Session } from '../../src/runner/session.js';
import { MAKAIR_BASELINE, clockDriver, world } from '../emulators/support/rig.js';
import { NORMAL_VITALS } from '../support/driver.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';

async function crashedOnMakAir() {
  const path = join(mkdtempSync(join(tmpdir(), 'rmseq-recover-makair-')), 'j.jsonl');
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
  const { advance, run } = clockDriver(clock);
  emulator.start();
  const ventilator = new MakAirVentilator({ transport: host, clock, fio2: 0.4, applyDeadlineMs: 15_000 });
  expect((await run(ventilator.connect())).state).toBe('resolved');
  const before = emulator.wireSettings();
  const vitals = new ScriptedVitals(clock, () => ({ ...NORMAL_VITALS }));
  const protocol = defaultProtocol('high-pressure-pcv');
  const opened = await run(Session.open({ maneuver: 'high-pressure-pcv', protocol, ventilator, vitals, clock }));
  expect(opened.state).toBe('resolved');
  const session = opened.value!;
  const journal = Journal.open(path);
  journal.header({ versions: {}, maneuver: 'high-pressure-pcv', protocol, clock: 'virtual', device: 'makair:/dev/test' });
  journal.attach(session.telemetry$);
  session.begin();
  // Into the hold: PEEP 25 / plateau 40 on the MakAir. The firmware sets its peak alarm threshold to
  // plateau + 100 at every plateau change: back at plateau 25 it would hold 350, not the 500 it had.
  for (let i = 0; i < 120 && emulator.wireSettings()[ControlSetting.PEEP] !== 250; i++) await advance(1000);
  await advance(3000);
  expect(emulator.wireSettings()[ControlSetting.PlateauPressure]).toBe(400);
  journal.close(); // the process dies here: no outcome line, no restore
  return { path, clock, host, emulator, before, run, old: ventilator };
}

describe('crash recovery on a MakAir restores the firmware settings captured at the start', () => {
  it('the device line journals them, and recovery by a new adapter brings every one back, verified by the telemetry', async () => {
    const { path, clock, host, emulator, before, run, old } = await crashedOnMakAir();
    const u = findUnfinished(readJournal(path))!;
    expect(u.deviceSettings?.protocol).toBe('makair');
    expect(u.deviceSettings?.settings[String(ControlSetting.PeakPressureAlarmThreshold)]).toBe(before[ControlSetting.PeakPressureAlarmThreshold]);
    const next = new MakAirVentilator({ transport: host, clock, fio2: 0.4, applyDeadlineMs: 15_000 });
    expect((await run(next.connect())).state).toBe('resolved');
    const r = await run(recoverBaseline(u, next, { journal: Journal.open(path) }), 60_000);
    expect(r.state).toBe('resolved');
    expect(r.value).toMatchObject({ restored: true, errors: [] });
    expect(emulator.wireSettings()).toEqual(before);
    expect(readFileSync(path, 'utf8')).toMatch(/"event":"recover-device-settings"/);
    await next.close();
    await old.close();
    await emulator.close();
  }, 60_000);

  it('a capture the journal cannot vouch for (a setting out of its bounds) is not applied: the five settings are restored and the operator is told to check the alarm thresholds', async () => {
    const { path, clock, host, emulator, before, run, old } = await crashedOnMakAir();
    const u = findUnfinished(readJournal(path))!;
    const bad = { ...u, deviceSettings: { protocol: 'makair', settings: { ...u.deviceSettings!.settings, [String(ControlSetting.PeakPressureAlarmThreshold)]: 9999 } } };
    const next = new MakAirVentilator({ transport: host, clock, fio2: 0.4, applyDeadlineMs: 15_000 });
    expect((await run(next.connect())).state).toBe('resolved');
    const r = await run(recoverBaseline(bad, next), 60_000);
    expect(r.value).toMatchObject({ restored: true });
    expect(r.value!.errors.join(' ')).toMatch(/cannot be restored .*9999.*check the alarm thresholds by hand/);
    expect(emulator.wireSettings()[ControlSetting.PEEP]).toBe(before[ControlSetting.PEEP]);
    expect(emulator.wireSettings()[ControlSetting.PlateauPressure]).toBe(before[ControlSetting.PlateauPressure]);
    await next.close();
    await old.close();
    await emulator.close();
  }, 60_000);

  it('a device line whose deviceSettings do not have the shape is named, not trusted', async () => {
    const { path, old, emulator } = await crashedOnMakAir();
    const text = readFileSync(path, 'utf8').replace(/"deviceSettings":\{"protocol":"makair","settings":\{/, '"deviceSettings":{"protocol":"makair","settings":{"x":1,');
    // Re-sealing is not the point here: read the session as parsed, without the chain.
    writeFileSync(path, text);
    const j = readJournal(path);
    expect(j.deviceSettings).toBeNull();
    expect(j.deviceSettingsProblem).toMatch(/settings\.x|setting id/);
    await old.close();
    await emulator.close();
  }, 60_000);
});
