/**
 * Issue 21, point 7, at the unit level: which firmware settings a return to the baseline
 * restores, in which order, and that a restore the device does not take is never reported as
 * done.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { RefusedError, TimeoutError } from '../../../hal/errors.js';
import { captureBaseline, isBaselineTarget, restoreGuarded } from '../../../hal/makair/baseline.js';
import { ControlSetting, MakAirVentilator, planCommands, type SettingsReport } from '../../../hal/makair/index.js';
import { transportPair } from '../../../hal/serial/transport.js';
import { SETTINGS } from './fixtures.js';
import { ScriptedDevice, settle } from './scripted-device.js';

const PCV: SettingsReport = { ...SETTINGS, ventilationMode: 'PC_CMV', plateauCommandCmH2O: 25, peepCommandCmH2O: 10, peakPressureAlarmThresholdMmH2O: 500 };
const VC: SettingsReport = { ...SETTINGS, ventilationMode: 'VC_CMV', plateauCommandCmH2O: 25, peepCommandCmH2O: 10, peakPressureAlarmThresholdMmH2O: 450, targetTidalVolumeMl: 420 };
const PCV_TARGET = { mode: 'PCV' as const, peepCmH2O: 10, peakCmH2O: 25, rateBpm: SETTINGS.cpmCommand, fio2: 0.4 };
const VC_TARGET = { mode: 'VC' as const, peepCmH2O: 10, peakCmH2O: 45, rateBpm: SETTINGS.cpmCommand, fio2: 0.4, tidalVolumeMl: 420 };
const ids = (stages: Array<Array<{ setting: number }>>) => stages.map((s) => s.map((c) => c.setting));

describe('MakAir baseline: what a return to it restores', () => {
  it('captures every guarded setting: the peak alarm threshold and target volume in PCV, the plateau in VC, all alarm thresholds in both', () => {
    const pcv = captureBaseline(PCV, new Map());
    expect(pcv.guarded.get(ControlSetting.PeakPressureAlarmThreshold)).toBe(500);
    expect(pcv.guarded.has(ControlSetting.PlateauPressure)).toBe(false);
    const vc = captureBaseline(VC, new Map([[ControlSetting.PlateauPressure, 248]]));
    expect(vc.guarded.get(ControlSetting.PlateauPressure)).toBe(248); // the acknowledged mmH2O, which the report rounds to 25
    expect(vc.guarded.has(ControlSetting.PeakPressureAlarmThreshold)).toBe(false);
    for (const id of [14, 15, 16, 17, 18, 19, 21, 22, 24]) {
      expect(pcv.guarded.has(id as never)).toBe(true);
      expect(vc.guarded.has(id as never)).toBe(true);
    }
    for (const id of [0, 8, 9, 31]) expect(pcv.guarded.has(id as never)).toBe(false);
  });

  it('recognises the baseline target by its wire values only', () => {
    const b = captureBaseline(PCV, new Map());
    expect(isBaselineTarget(b, PCV_TARGET)).toBe(true);
    expect(isBaselineTarget(b, { ...PCV_TARGET, peepCmH2O: 10.2 })).toBe(false);
    expect(isBaselineTarget(b, { ...PCV_TARGET, fio2: 0.6 })).toBe(true); // FiO2 is not on the wire
    expect(isBaselineTarget(b, VC_TARGET)).toBe(false);
  });

  it('PCV: the threshold goes after the plateau that moves it, with every other setting that differs', () => {
    const b = captureBaseline(PCV, new Map());
    const now: SettingsReport = { ...PCV, plateauCommandCmH2O: 30, peepCommandCmH2O: 15, peakPressureAlarmThresholdMmH2O: 400, lowTidalVolumeAlarmThresholdMl: 100 };
    const plan = planCommands(now, PCV_TARGET, new Map());
    expect(plan.send.map((c) => c.setting)).toEqual([ControlSetting.PEEP, ControlSetting.PlateauPressure]);
    const r = restoreGuarded(b, now, new Map(), plan.send);
    expect(ids(r.stages)).toEqual([[ControlSetting.LowTidalVolumeAlarmThreshold, ControlSetting.PeakPressureAlarmThreshold]]);
    expect(r.stages[0]!.map((c) => c.value)).toEqual([PCV.lowTidalVolumeAlarmThresholdMl, 500]);
    // Even when the threshold reads 500 now, the plateau frame will move it: it is sent back anyway.
    const same = restoreGuarded(b, { ...now, peakPressureAlarmThresholdMmH2O: 500, lowTidalVolumeAlarmThresholdMl: PCV.lowTidalVolumeAlarmThresholdMl }, new Map(), plan.send);
    expect(ids(same.stages)).toEqual([[ControlSetting.PeakPressureAlarmThreshold]]);
    // Nothing moved, no plateau sent: nothing to restore.
    expect(restoreGuarded(b, PCV, new Map(), []).stages).toEqual([]);
  });

  it('VC: restoring the plateau moves the driven peak alarm, which goes back in one more stage', () => {
    const b = captureBaseline(VC, new Map());
    const now: SettingsReport = { ...VC, plateauCommandCmH2O: 30, peakPressureAlarmThresholdMmH2O: 400 };
    const plan = planCommands(now, VC_TARGET, new Map());
    expect(plan.send.map((c) => c.setting)).toEqual([ControlSetting.PeakPressureAlarmThreshold]);
    const r = restoreGuarded(b, now, new Map(), plan.send);
    expect(ids(r.stages)).toEqual([[ControlSetting.PlateauPressure], [ControlSetting.PeakPressureAlarmThreshold]]);
    expect(r.stages[1]![0]!.value).toBe(450);
  });
});

describe('MakAirVentilator: a restore the device does not fully take', () => {
  async function rig() {
    const clock = new VirtualClock(10_000);
    const [hostSide, deviceSide] = transportPair();
    const device = new ScriptedDevice({ write: (b) => void deviceSide.write(b).catch(() => undefined), onData: (l) => deviceSide.data$.subscribe(l) });
    device.settings = { ...PCV };
    const vent = new MakAirVentilator({ transport: hostSide, clock, fio2: 0.4, applyDeadlineMs: 5000 });
    const connecting = vent.connect();
    device.sendState();
    await settle();
    await connecting;
    const run = async <T>(p: Promise<T>) => {
      const s: { error?: unknown; value?: T; done: boolean } = { done: false };
      p.then((v) => Object.assign(s, { value: v, done: true }), (e: unknown) => Object.assign(s, { error: e, done: true }));
      for (let t = 0; t < 8000 && !s.done; t += 50) {
        device.sendData();
        await settle(2);
        clock.advanceBy(50);
      }
      await settle();
      return s;
    };
    return { clock, device, vent, run };
  }

  it('a guarded setting acknowledged with another value: RefusedError naming it, not a verified baseline', async () => {
    const r = await rig();
    const baseline = await r.vent.readSettings();
    expect((await r.run(r.vent.apply({ peepCmH2O: 15, peakCmH2O: 30 }))).error).toBeUndefined();
    r.device.settings.lowTidalVolumeAlarmThresholdMl = 100; // changed on the touchscreen
    r.device.keep = (setting, value) => (setting === ControlSetting.LowTidalVolumeAlarmThreshold ? 100 : value);
    const back = await r.run(r.vent.apply(baseline));
    expect(back.error).toBeInstanceOf(RefusedError);
    expect((back.error as Error).message).toMatch(/LowTidalVolumeAlarmThreshold 200/);
    await r.vent.close();
  });

  it('a guarded setting acknowledged but never shown by the telemetry: TimeoutError, after at most two resends', async () => {
    const r = await rig();
    const baseline = await r.vent.readSettings();
    expect((await r.run(r.vent.apply({ peepCmH2O: 15, peakCmH2O: 30 }))).error).toBeUndefined();
    r.device.settings.peakPressureAlarmThresholdMmH2O = 400; // the firmware moved it with the plateau
    r.device.reportsChanges = false;
    const before = r.device.received.length;
    const back = await r.run(r.vent.apply(baseline));
    expect(back.error).toBeInstanceOf(TimeoutError);
    expect((back.error as Error).message).toMatch(/did not show/);
    const thresholdFrames = r.device.received.slice(before).filter((m) => m.setting === ControlSetting.PeakPressureAlarmThreshold);
    expect(thresholdFrames.length).toBe(3); // once, then reasserted twice
    await r.vent.close();
  });
});
