/**
 * MakAirEmulator on its own (frames decoded with the host's parser) and against the adapter:
 * telemetry rates, control frames applied at the next breath in cmH2O, firmware clamping,
 * and every switchable fault. One VirtualClock, `transportPair()`, no wall-clock wait.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { RefusedError, TimeoutError } from '../../hal/errors.js';
import {
  ControlSetting,
  MakAirVentilator,
  TelemetryParser,
  decodeTelemetryMessage,
  encodeControlFrame,
  type TelemetryMessage,
} from '../../hal/makair/index.js';
import { transportPair, type ByteTransport } from '../../hal/serial/transport.js';
import { MakAirEmulator } from '../../emulators/index.js';
import { MAKAIR_BASELINE, makairOnOneClock, settle, track, world } from './support/rig.js';

/** The emulator alone, with a host-side decoder recording every message. */
function bench() {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
  const parser = new TelemetryParser();
  const messages: Array<{ t: number; msg: TelemetryMessage }> = [];
  host.data$.subscribe((chunk) => {
    for (const f of parser.push(chunk)) messages.push({ t: clock.now(), msg: decodeTelemetryMessage(f.body) });
  });
  const advance = async (ms: number, stepMs = 10): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      clock.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
  const of = <T extends TelemetryMessage['type']>(type: T) => messages.filter((m) => m.msg.type === type) as Array<{ t: number; msg: Extract<TelemetryMessage, { type: T }> }>;
  return { clock, host, emulator, parser, messages, advance, of };
}

/** The emulator against the adapter, one clock. */
async function connected() {
  const { clock, host, device, emulator, vent, faults, advance, connect } = makairOnOneClock({ fio2: 0.4, applyDeadlineMs: 8000 }, 20);
  expect((await connect()).state).toBe('resolved');
  return { clock, host, device: device as ByteTransport, emulator, vent, faults, advance };
}

describe('MakAirEmulator telemetry', () => {
  it('boots, then sends a state snapshot once per breath and decimated data snapshots', async () => {
    const b = bench();
    b.emulator.start();
    await b.advance(9050);
    expect(b.messages[0]!.msg).toMatchObject({ type: 'boot', mode: 'production', value128: 128 });
    const states = b.of('state');
    expect(states.map((s) => s.t)).toEqual([3000, 6000, 9000]); // 20/min
    expect(states.map((s) => s.msg.cycle)).toEqual([1, 2, 3]);
    expect(states[0]!.msg).toMatchObject({ ventilationMode: 'PC_CMV', peepCommandCmH2O: 10, plateauCommandCmH2O: 25, cpmCommand: 20 });
    // Measured values of the simulated breath, in mmH2O on the wire.
    expect(states[0]!.msg.previousPeepPressureMmH2O).toBeGreaterThan(90);
    expect(states[0]!.msg.previousPeepPressureMmH2O).toBeLessThan(110);
    expect(states[0]!.msg.previousPlateauPressureMmH2O).toBeGreaterThan(200);
    const data = b.of('data');
    expect(data.length).toBeGreaterThanOrEqual(89);
    expect(data.length).toBeLessThanOrEqual(91);
    expect(new Set(data.map((d) => d.msg.phase))).toEqual(new Set(['inhalation', 'exhalation']));
    expect(b.of('stopped')).toEqual([]);
    await b.emulator.close();
  });

  it('applies a control frame from the next breath, in cmH2O (125 mmH2O = 12.5 cmH2O), and acks it', async () => {
    const b = bench();
    b.emulator.start();
    await b.advance(1000);
    await b.host.write(encodeControlFrame({ setting: ControlSetting.PEEP, value: 125 }));
    await b.advance(4);
    expect(b.of('ack')).toEqual([]); // the firmware's reply delay (5 ms)
    await b.advance(6);
    expect(b.of('ack').map((a) => [a.msg.setting, a.msg.value])).toEqual([[ControlSetting.PEEP, 125]]);
    expect(b.emulator.world.patient.settings().peepCmH2O).toBe(10); // still this breath
    await b.advance(2100);
    expect(b.emulator.world.patient.settings().peepCmH2O).toBe(12.5);
    expect(b.of('state').at(-1)!.msg.peepCommandCmH2O).toBe(13); // whole cmH2O, firmware rounding
    await b.emulator.close();
  });

  it('clamps to the firmware limits and acknowledges the value it kept', async () => {
    const b = bench();
    b.emulator.start();
    await b.advance(100);
    await b.host.write(encodeControlFrame({ setting: ControlSetting.PEEP, value: 20 }));
    await b.host.write(encodeControlFrame({ setting: ControlSetting.PlateauPressure, value: 450 }));
    await b.advance(50);
    // The plateau change also moves the peak alarm threshold to plateau + 100 mmH2O, acknowledged too.
    expect(b.of('ack').map((a) => [a.msg.setting, a.msg.value])).toEqual([[ControlSetting.PEEP, 50], [ControlSetting.PlateauPressure, 400], [ControlSetting.PeakPressureAlarmThreshold, 500]]);
    await b.emulator.close();
  });

  it('acknowledges every setting the firmware defines, end-of-line confirm (31) included, and the host decodes each ack', async () => {
    const b = bench();
    b.emulator.start();
    await b.advance(100);
    await b.host.write(encodeControlFrame({ setting: ControlSetting.EolConfirm, value: 0 }));
    await b.host.write(encodeControlFrame({ setting: ControlSetting.PatientHeight, value: 180 }));
    await b.advance(50);
    expect(b.of('ack').map((a) => [a.msg.setting, a.msg.value])).toEqual([[ControlSetting.EolConfirm, 0], [ControlSetting.PatientHeight, 180]]);
    expect(b.parser.stats.crcErrors).toBe(0);
    await b.emulator.close();
  });

  it('stops breathing when respiration is disabled: stopped messages every 100 ms, no state snapshots', async () => {
    const b = bench();
    b.emulator.start();
    await b.advance(100);
    await b.host.write(encodeControlFrame({ setting: ControlSetting.RespirationEnabled, value: 0 }));
    await b.advance(3000);
    const before = b.of('state').length;
    await b.advance(6000);
    expect(b.of('state').length).toBe(before);
    expect(b.of('stopped').length).toBeGreaterThanOrEqual(59);
    expect(b.emulator.world.patient.settings()).toMatchObject({ mode: 'CPAP', peepCmH2O: 10 });
    await b.emulator.close();
  });
});

describe('MakAirEmulator against MakAirVentilator', () => {
  it('a touchscreen change is acknowledged and shows in the next report', async () => {
    const r = await connected();
    r.emulator.turnKnob({ peepCmH2O: 14, peakCmH2O: 30 });
    await r.advance(3100);
    expect(await r.vent.readSettings()).toEqual({ mode: 'PCV', peepCmH2O: 14, peakCmH2O: 30, rateBpm: 20, fio2: 0.4 });
    expect(r.emulator.world.patient.settings()).toMatchObject({ peepCmH2O: 14, peakCmH2O: 30 });
    await r.vent.close();
    await r.emulator.close();
  });

  it('refuse: the ack carries the value kept, so apply rejects with RefusedError and nothing changes', async () => {
    const r = await connected();
    r.emulator.faults.refuse(1);
    const p = track(r.vent.apply({ peepCmH2O: 15 }));
    await r.advance(200);
    expect(p.state).toBe('rejected');
    expect(p.error).toBeInstanceOf(RefusedError);
    await r.advance(3000);
    expect(r.emulator.world.patient.settings().peepCmH2O).toBe(10);
    await r.vent.close();
    await r.emulator.close();
  });

  it('no ack: one lost frame is resent and taken; a device that never acks times out', async () => {
    const r = await connected();
    r.emulator.faults.noAnswer(1);
    const once = track(r.vent.apply({ peepCmH2O: 12 }));
    await r.advance(4000);
    expect(once.state).toBe('resolved');
    expect(r.emulator.status().counters['controlFrames']).toBe(2);
    r.emulator.faults.noAnswer(1000);
    const never = track(r.vent.apply({ peepCmH2O: 14 }));
    await r.advance(8100);
    expect(never.error).toBeInstanceOf(TimeoutError);
    expect(r.emulator.world.patient.settings().peepCmH2O).toBe(12);
    await r.vent.close();
    await r.emulator.close();
  });

  it('corrupted, duplicated and truncated frames are dropped or tolerated by the host; the link stays up', async () => {
    const r = await connected();
    r.emulator.faults.corrupt(5);
    await r.advance(600);
    r.emulator.faults.truncate(3);
    await r.advance(600);
    r.emulator.faults.duplicate(4);
    await r.advance(600);
    const stats = r.vent.linkStats;
    expect(stats.crcErrors).toBe(5);
    expect(stats.malformed + stats.crcErrors).toBeGreaterThanOrEqual(8);
    expect(r.emulator.status().wire).toMatchObject({ corrupted: 5, truncated: 3, duplicated: 4 });
    expect(r.faults).toEqual([]);
    const p = track(r.vent.apply({ peepCmH2O: 11 }));
    await r.advance(3500);
    expect(p.state).toBe('resolved');
    await r.vent.close();
    await r.emulator.close();
  });

  it('drop: telemetry stops (link-lost, applies fail) and comes back when the cable is back', async () => {
    const r = await connected();
    r.emulator.faults.drop(5000);
    await r.advance(1500);
    expect(r.faults.map((f) => f.code)).toEqual(['link-lost']);
    await expect(r.vent.apply({ peepCmH2O: 12 })).rejects.toMatchObject({ code: 'disconnected' });
    await r.advance(4000);
    const p = track(r.vent.apply({ peepCmH2O: 12 }));
    await r.advance(3500);
    expect(p.state).toBe('resolved');
    await r.vent.close();
    await r.emulator.close();
  });

  it('stall: nothing goes out for a while; a control frame sent meanwhile is handled afterwards', async () => {
    const r = await connected();
    r.emulator.faults.stall(700);
    const p = track(r.vent.apply({ peepCmH2O: 13 }));
    await r.advance(600);
    expect(r.emulator.status().counters['controlFrames']).toBe(0);
    await r.advance(3500);
    expect(p.state).toBe('resolved');
    expect(r.faults).toEqual([]);
    await r.vent.close();
    await r.emulator.close();
  });

  it('reboot: a boot message and the firmware defaults; the host reports device-reset', async () => {
    const r = await connected();
    const p = track(r.vent.apply({ peepCmH2O: 15 }));
    await r.advance(3500);
    expect(p.state).toBe('resolved');
    r.emulator.reboot();
    await r.advance(3100);
    expect(r.faults.map((f) => f.code)).toEqual(['device-reset']);
    expect(await r.vent.readSettings()).toMatchObject({ peepCmH2O: 10, peakCmH2O: 25 });
    expect(r.emulator.world.patient.settings().peepCmH2O).toBe(10);
    await r.vent.close();
    await r.emulator.close();
  });

  it('a high-priority alarm reaches the host as device-alarm', async () => {
    const r = await connected();
    r.emulator.raiseAlarm(12);
    await r.advance(100);
    expect(r.faults.map((f) => f.code)).toEqual(['device-alarm']);
    r.emulator.clearAlarm(12);
    await r.advance(3100);
    expect(r.emulator.status().alarms).toEqual([]);
    await r.vent.close();
    await r.emulator.close();
  });
});
