/**
 * Issue 21, point 7: the MakAir firmware moves settings the controller never sent (the peak
 * pressure alarm threshold follows every plateau change), so a baseline made of the
 * controller's five settings comes back incomplete. The adapter captures every firmware
 * setting before it changes anything, restores each one that moved when it returns to the
 * baseline, and resolves only once the telemetry shows all of them. Emulator and adapter on one
 * VirtualClock over `transportPair()`.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { ControlSetting, MakAirVentilator, TelemetryParser, decodeTelemetryMessage, encodeControlFrame, type TelemetryMessage } from '../../hal/makair/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import type { VentSettings } from '../../machines/types.js';
import { MakAirEmulator } from '../../emulators/index.js';
import { MAKAIR_BASELINE, clockDriver, track, world } from './support/rig.js';

const VC_BASELINE: VentSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 45, rateBpm: 20, fio2: 0.4, tidalVolumeMl: 420 };

async function connected(baseline: VentSettings = MAKAIR_BASELINE) {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, baseline) });
  const vent = new MakAirVentilator({ transport: host, clock, fio2: 0.4, applyDeadlineMs: 15_000 });
  const parser = new TelemetryParser();
  const seen: TelemetryMessage[] = [];
  host.data$.subscribe((chunk) => {
    for (const f of parser.push(chunk)) seen.push(decodeTelemetryMessage(f.body));
  });
  const { advance, run } = clockDriver(clock);
  emulator.start();
  const c = track(vent.connect());
  await advance(3100);
  expect(c.state).toBe('resolved');
  const lastReport = () => [...seen].reverse().find((m) => m.type === 'state' || m.type === 'stopped') as Extract<TelemetryMessage, { type: 'state' }>;
  return { clock, host, emulator, vent, advance, run, seen, lastReport };
}

describe('MakAir emulator: the firmware moves the peak pressure alarm threshold with the plateau', () => {
  it('a plateau change sets the threshold to plateau + 100 mmH2O and acknowledges both', async () => {
    const r = await connected();
    expect(r.emulator.wireSettings()[ControlSetting.PeakPressureAlarmThreshold]).toBe(500); // firmware default
    await r.host.write(encodeControlFrame({ setting: ControlSetting.PlateauPressure, value: 300 }));
    await r.advance(200);
    const acks = r.seen.filter((m) => m.type === 'ack').map((m) => (m.type === 'ack' ? [m.setting, m.value] : []));
    expect(acks).toContainEqual([ControlSetting.PlateauPressure, 300]);
    expect(acks).toContainEqual([ControlSetting.PeakPressureAlarmThreshold, 400]);
    await r.advance(3000);
    expect(r.lastReport().peakPressureAlarmThresholdMmH2O).toBe(400);
    await r.vent.close();
    await r.emulator.close();
  });

  it('reports every other setting it holds (alarm thresholds, timings) in its state snapshots', async () => {
    const r = await connected();
    await r.host.write(encodeControlFrame({ setting: ControlSetting.LowTidalVolumeAlarmThreshold, value: 300 }));
    await r.host.write(encodeControlFrame({ setting: ControlSetting.HighRespiratoryRateAlarmThreshold, value: 30 }));
    await r.host.write(encodeControlFrame({ setting: ControlSetting.LeakAlarmThreshold, value: 900 }));
    await r.advance(3100);
    expect(r.lastReport()).toMatchObject({ lowTidalVolumeAlarmThresholdMl: 300, highRespiratoryRateAlarmThresholdBpm: 30, leakAlarmThresholdCLPerMin: 900 });
    await r.vent.close();
    await r.emulator.close();
  });
});

describe('MakAirVentilator: the baseline includes every firmware setting the maneuver moved', () => {
  it('PCV: a step to plateau 40 and back restores the peak alarm threshold (500, not 350) and the telemetry shows it', async () => {
    const r = await connected();
    const baseline = await r.vent.readSettings();
    const before = r.emulator.wireSettings();
    expect((await r.run(r.vent.apply({ peepCmH2O: 20, peakCmH2O: 40 }))).state).toBe('resolved');
    expect(r.emulator.wireSettings()[ControlSetting.PeakPressureAlarmThreshold]).toBe(500); // 400 + 100
    expect((await r.run(r.vent.apply({ peepCmH2O: 15, peakCmH2O: 30 }))).state).toBe('resolved');
    expect(r.emulator.wireSettings()[ControlSetting.PeakPressureAlarmThreshold]).toBe(400);
    const back = await r.run(r.vent.apply(baseline));
    expect(back.state).toBe('resolved');
    expect(back.value).toEqual(baseline);
    // Without the side restore the firmware would now hold 350 (250 + 100).
    expect(r.emulator.wireSettings()).toEqual(before);
    expect(r.lastReport().peakPressureAlarmThresholdMmH2O).toBe(500);
    await r.vent.close();
    await r.emulator.close();
  });

  it('any other setting changed during the maneuver (an alarm threshold on the touchscreen) goes back with the baseline', async () => {
    const r = await connected();
    const baseline = await r.vent.readSettings();
    const before = r.emulator.wireSettings();
    expect((await r.run(r.vent.apply({ peepCmH2O: 20, peakCmH2O: 40 }))).state).toBe('resolved');
    await r.host.write(encodeControlFrame({ setting: ControlSetting.LowTidalVolumeAlarmThreshold, value: 100 }));
    await r.host.write(encodeControlFrame({ setting: ControlSetting.ExpiratoryTerm, value: 15 }));
    await r.advance(500);
    expect((await r.run(r.vent.apply(baseline))).state).toBe('resolved');
    expect(r.emulator.wireSettings()).toEqual(before);
    expect(r.lastReport()).toMatchObject({ lowTidalVolumeAlarmThresholdMl: before[ControlSetting.LowTidalVolumeAlarmThreshold], expiratoryTerm: before[ControlSetting.ExpiratoryTerm] });
    await r.vent.close();
    await r.emulator.close();
  });

  it('a change that is not the baseline leaves the firmware-moved threshold alone (the firmware owns it during the maneuver)', async () => {
    const r = await connected();
    expect((await r.run(r.vent.apply({ peepCmH2O: 20, peakCmH2O: 40 }))).state).toBe('resolved');
    expect((await r.run(r.vent.apply({ peepCmH2O: 12 }))).state).toBe('resolved');
    expect(r.emulator.wireSettings()[ControlSetting.PeakPressureAlarmThreshold]).toBe(500);
    await r.vent.close();
    await r.emulator.close();
  });

  it('VC: the plateau (a side setting in VC) is restored, and the peak alarm the firmware then moves is set back', async () => {
    const r = await connected(VC_BASELINE);
    const baseline = await r.vent.readSettings();
    const before = r.emulator.wireSettings();
    // The plateau is changed during the maneuver behind the controller's back; the firmware moves the threshold with it.
    expect((await r.run(r.vent.apply({ peepCmH2O: 14 }))).state).toBe('resolved');
    await r.host.write(encodeControlFrame({ setting: ControlSetting.PlateauPressure, value: 300 }));
    await r.advance(200);
    const back = await r.run(r.vent.apply(baseline));
    expect(back.error).toBeUndefined();
    expect(back.state).toBe('resolved');
    expect(r.emulator.wireSettings()).toEqual(before);
    expect(await r.vent.readSettings()).toEqual(baseline);
    await r.vent.close();
    await r.emulator.close();
  });
});

describe('MakAir: a process that takes over after a crash restores every firmware setting from the journaled capture', () => {
  // `rmseq recover` (or a run's start-up recovery) opens a new adapter on a MakAir left at
  // maneuver pressures: its own capture would be the maneuver's settings. The first adapter's
  // capture, journaled at the start (deviceSettingsBaseline), is adopted for the restore.
  async function crashedAtPlateau40() {
    const r = await connected();
    const baseline = await r.vent.readSettings();
    const before = r.emulator.wireSettings();
    const captured = r.vent.deviceSettingsBaseline();
    expect(captured).toMatchObject({ protocol: 'makair' });
    expect(captured!.settings[String(ControlSetting.PeakPressureAlarmThreshold)]).toBe(before[ControlSetting.PeakPressureAlarmThreshold]);
    expect((await r.run(r.vent.apply({ peepCmH2O: 20, peakCmH2O: 40 }))).state).toBe('resolved');
    expect(r.emulator.wireSettings()[ControlSetting.PeakPressureAlarmThreshold]).toBe(500);
    // The process dies: a new adapter on the same line (the old one's timers are left to run out).
    const next = new MakAirVentilator({ transport: r.host, clock: r.clock, fio2: 0.4, applyDeadlineMs: 15_000 });
    expect((await r.run(next.connect())).state).toBe('resolved');
    return { r, baseline, before, captured: captured!, next };
  }

  it('with the capture adopted, the return to the baseline brings back the peak alarm threshold the firmware moved', async () => {
    const { r, baseline, before, captured, next } = await crashedAtPlateau40();
    next.adoptDeviceSettingsBaseline(baseline, captured);
    const back = await r.run(next.apply(baseline));
    expect(back.state).toBe('resolved');
    expect(r.emulator.wireSettings()).toEqual(before);
    await next.close();
    await r.vent.close();
    await r.emulator.close();
  });

  it('without it (as before), the five settings come back but the alarm threshold stays where the firmware moved it', async () => {
    const { r, baseline, before, next } = await crashedAtPlateau40();
    expect((await r.run(next.apply(baseline))).state).toBe('resolved');
    expect(r.emulator.wireSettings()[ControlSetting.PeakPressureAlarmThreshold]).not.toBe(before[ControlSetting.PeakPressureAlarmThreshold]);
    await next.close();
    await r.vent.close();
    await r.emulator.close();
  });

  it('refuses a capture of another protocol, an unknown setting or a value out of range, naming it, and changes nothing', async () => {
    const { r, baseline, captured, next } = await crashedAtPlateau40();
    expect(() => next.adoptDeviceSettingsBaseline(baseline, { protocol: 'medibus', settings: {} })).toThrow(/protocol "medibus".*makair/);
    expect(() => next.adoptDeviceSettingsBaseline(baseline, { protocol: 'makair', settings: { ...captured.settings, '99': 1 } })).toThrow(/setting 99/);
    expect(() => next.adoptDeviceSettingsBaseline(baseline, { protocol: 'makair', settings: { ...captured.settings, [String(ControlSetting.PeakPressureAlarmThreshold)]: 70_000 } })).toThrow(/PeakPressureAlarmThreshold|setting 30.*70000/);
    expect(next.deviceSettingsBaseline()).toBeNull();
    await next.close();
    await r.vent.close();
    await r.emulator.close();
  });
});
