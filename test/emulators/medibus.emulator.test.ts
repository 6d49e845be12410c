/**
 * MedibusEmulator on its own (raw frames) and against MedibusVentilator: the ICC handshake
 * from the device side, answers through each family's code table, reply delays, the knob,
 * the device's own link timeout, and every switchable fault. Virtual time only.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { VentilatorError } from '../../hal/errors.js';
import {
  MedibusCommand,
  MedibusStreamParser,
  MedibusVentilator,
  SETTING_VALUE_CHARS,
  decodeDataRecords,
  encodeCommand,
  encodeResponse,
  type MedibusFamily,
  type MedibusFrame,
} from '../../hal/medibus/index.js';
import type { DeviceFault } from '../../hal/port.js';
import { transportPair } from '../../hal/serial/transport.js';
import { MedibusEmulator } from '../../emulators/index.js';
import { MAKAIR_BASELINE, settle, track, world } from './support/rig.js';

const BASELINE = { ...MAKAIR_BASELINE, fio2: 0.5 };

/** The emulator alone; the test plays the host with raw frames. */
function bench(family: MedibusFamily = 'evita') {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MedibusEmulator({ transport: device, clock, world: world(clock, BASELINE), family });
  const parser = new MedibusStreamParser();
  const frames: Array<{ t: number; frame: MedibusFrame }> = [];
  host.data$.subscribe((chunk) => {
    for (const ev of parser.push(chunk)) if (ev.type === 'frame') frames.push({ t: clock.now(), frame: { ...ev.frame, payload: ev.frame.payload.slice() } });
  });
  const advance = async (ms: number, stepMs = 10): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      clock.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
  const commands = (cmd: number) => frames.filter((f) => f.frame.kind === 'command' && f.frame.command === cmd);
  const responses = (cmd: number) => frames.filter((f) => f.frame.kind === 'response' && f.frame.command === cmd);
  return { clock, host, emulator, frames, advance, commands, responses };
}

async function connected(family: MedibusFamily = 'evita', hostFamily: MedibusFamily = family) {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MedibusEmulator({ transport: device, clock, world: world(clock, BASELINE), family });
  const vent = new MedibusVentilator({ transport: host, clock, family: hostFamily, settingsPollMs: 0 });
  const faults: DeviceFault[] = [];
  vent.faults$.subscribe((f) => faults.push(f));
  const advance = async (ms: number, stepMs = 10): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      clock.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
  emulator.start();
  const c = track(vent.connect());
  await advance(200);
  return { clock, emulator, vent, faults, advance, connecting: c };
}

/** Runs `p` while the clock advances. */
async function during<T>(advance: (ms: number) => Promise<void>, p: Promise<T>, ms = 500): Promise<T> {
  const t = track(p);
  await advance(ms);
  if (t.state === 'pending') throw new Error(`still pending after ${ms} ms`);
  if (t.state === 'rejected') throw t.error;
  return t.value as T;
}

describe('MedibusEmulator link', () => {
  it('repeats ICC every second until the host answers, then stops', async () => {
    const b = bench();
    b.emulator.start();
    await settle();
    await b.advance(3500);
    expect(b.commands(MedibusCommand.ICC).map((f) => f.t)).toEqual([0, 1000, 2000, 3000]);
    expect(b.emulator.linkState).toBe('initialising');
    await b.host.write(encodeResponse(MedibusCommand.ICC));
    await b.advance(3000);
    expect(b.emulator.linkState).toBe('up');
    expect(b.commands(MedibusCommand.ICC)).toHaveLength(4);
  });

  it('answers the host ICC and every command with its echo after the reply delay; commands before ICC go unanswered', async () => {
    const b = bench();
    b.emulator.start();
    await b.host.write(encodeCommand(MedibusCommand.NOP));
    await b.advance(100);
    expect(b.responses(MedibusCommand.NOP)).toEqual([]);
    await b.host.write(encodeCommand(MedibusCommand.ICC));
    await b.advance(10);
    expect(b.responses(MedibusCommand.ICC)).toEqual([]);
    await b.advance(20);
    expect(b.responses(MedibusCommand.ICC)).toHaveLength(1);
    await b.host.write(encodeCommand(MedibusCommand.NOP));
    await b.host.write(encodeCommand(MedibusCommand.DATE_TIME));
    await b.advance(50);
    expect(b.responses(MedibusCommand.NOP)).toHaveLength(1);
    expect(b.responses(MedibusCommand.DATE_TIME)[0]!.frame.payload).toHaveLength(18); // hh:mm:ss dd-MMM-yy
  });

  it('answers a command with a bad checksum with NAK (01 15 ...)', async () => {
    const b = bench();
    b.emulator.start();
    await b.host.write(encodeCommand(MedibusCommand.ICC));
    await b.advance(50);
    const bad = encodeCommand(MedibusCommand.DEVICE_SETTINGS);
    bad[bad.length - 2] = bad[bad.length - 2] === 0x30 ? 0x31 : 0x30;
    await b.host.write(bad);
    await b.advance(50);
    expect(b.responses(MedibusCommand.NAK)).toHaveLength(1);
    expect(b.responses(MedibusCommand.DEVICE_SETTINGS)).toEqual([]);
  });

  it('ends the link after 3 s without a byte from the host and goes back to ICC', async () => {
    const b = bench();
    b.emulator.start();
    await b.host.write(encodeCommand(MedibusCommand.ICC));
    await b.advance(2000);
    expect(b.emulator.linkState).toBe('up');
    const before = b.commands(MedibusCommand.ICC).length;
    await b.advance(2000);
    expect(b.emulator.linkState).toBe('initialising');
    expect(b.commands(MedibusCommand.ICC).length).toBeGreaterThan(before);
  });

  it('settings in the family units: Evita PEEP 10 mbar, Pinsp 25 mbar, FiO2 50 %, VT 0.42 L', async () => {
    const b = bench('evita');
    b.emulator.start();
    await b.host.write(encodeCommand(MedibusCommand.ICC));
    await b.host.write(encodeCommand(MedibusCommand.DEVICE_SETTINGS));
    await b.advance(100);
    const r = decodeDataRecords(b.responses(MedibusCommand.DEVICE_SETTINGS)[0]!.frame.payload, SETTING_VALUE_CHARS);
    expect(r.ok && Object.fromEntries(r.value.map((x) => [x.code.toString(16).toUpperCase().padStart(2, '0'), x.raw.trim()]))).toEqual({ '0B': '10', '45': '25', '13': '34', '0A': '20', '01': '50', '04': '0.42' });
  });
});

describe('MedibusEmulator against MedibusVentilator', () => {
  it.each(['evita', 'primus', 'v300'] as const)('%s: identifies, reports settings and measured values through its code table', async (family) => {
    const r = await connected(family);
    expect(r.connecting.state).toBe('resolved');
    const info = await r.vent.identify();
    expect(info).toMatchObject({ vendor: 'Draeger', protocol: 'MEDIBUS 06.00' });
    const s = await during(r.advance, r.vent.readSettings());
    expect(s).toMatchObject({ mode: 'PCV', peepCmH2O: 10.2, peakCmH2O: 25.49, rateBpm: 20, fio2: 0.5 });
    await r.advance(3500);
    const m = r.vent.latestMeasurements()!;
    expect(m.implausible).toEqual([]);
    expect(m.sample.peepCmH2O).toBeGreaterThan(9);
    expect(m.sample.peepCmH2O).toBeLessThan(11);
    expect(m.sample.plateauCmH2O).toBeGreaterThan(20);
    expect(m.sample.tidalVolumeMl).toBeGreaterThan(300);
    expect(m.sample.complianceMlPerCmH2O).toBeGreaterThan(20);
    expect(m.fio2).toBe(0.5);
    await r.vent.close();
    await r.emulator.close();
  });

  it('the knob: the device rounds to its resolution, the patient gets it, the host reads it', async () => {
    const r = await connected('evita');
    const held = r.emulator.turnKnob({ peepCmH2O: 20, peakCmH2O: 35 });
    expect(held.peepCmH2O).toBeCloseTo(20.39, 2); // 20 cmH2O = 19.6 mbar, set as 20 mbar
    expect(r.emulator.world.patient.settings().peepCmH2O).toBeCloseTo(20.39, 2);
    const s = await during(r.advance, r.vent.readSettings());
    expect(s).toMatchObject({ peepCmH2O: 20.39, peakCmH2O: 34.67 });
    expect(() => r.emulator.turnKnob({ peepCmH2O: 45 })).toThrow(RangeError);
    await r.vent.close();
    await r.emulator.close();
  });

  it('v300 reports VT in mL (40H) and codepage 2; primus has no CPAP', async () => {
    const v = await connected('v300');
    v.emulator.turnKnob({ mode: 'VC', peakCmH2O: 35, tidalVolumeMl: 450 });
    expect(await during(v.advance, v.vent.readSettings())).toMatchObject({ mode: 'VC', tidalVolumeMl: 450 });
    await v.advance(3500);
    expect(v.vent.latestMeasurements()!.values.some((x) => x.codepage === 2 && x.code === 0x21)).toBe(true);
    await v.vent.close();
    const p = await connected('primus');
    expect(() => p.emulator.turnKnob({ mode: 'CPAP' })).toThrow(/no CPAP mode/);
    await p.vent.close();
  });

  it('identity: a Primus answering a host set up for Evita is refused at connect', async () => {
    const r = await connected('primus', 'evita');
    expect(r.connecting.state).toBe('rejected');
    expect(r.connecting.error).toMatchObject({ code: 'identity-mismatch' });
  });

  it('NAK: the host repeats the command; NAKs past its retries fail the request, the link stays up', async () => {
    const r = await connected();
    r.emulator.faults.refuse(2);
    expect(await during(r.advance, r.vent.readSettings())).toMatchObject({ mode: 'PCV' });
    r.emulator.faults.refuse(3);
    const err = await during(r.advance, r.vent.readSettings().catch((e: unknown) => e));
    expect(err).toBeInstanceOf(VentilatorError);
    expect((err as VentilatorError).code).toBe('protocol');
    expect(r.faults).toEqual([]);
    expect(r.vent.stats().naksReceived).toBe(5);
    await r.vent.close();
  });

  it('corrupt: the host drops the response; with no valid answer in 10 s the link is lost', async () => {
    const r = await connected();
    r.emulator.faults.corrupt(1_000_000);
    await r.advance(12_000, 50);
    expect(r.vent.stats().parser.badChecksum).toBeGreaterThan(0);
    expect(r.faults.map((f) => f.code)).toEqual(['link-lost']);
    await r.vent.close();
  });

  it('drop and stall: the host hears nothing for 3 s and reports link-lost; after the fault it can connect again', async () => {
    for (const fault of ['drop', 'stall'] as const) {
      const r = await connected();
      if (fault === 'drop') r.emulator.faults.drop(5000);
      else r.emulator.faults.stall(5000);
      await r.advance(4000, 50);
      expect(r.faults.map((f) => f.code)).toEqual(['link-lost']);
      await r.advance(2000, 50);
      const again = track(r.vent.connect());
      await r.advance(2000, 50);
      expect(again.state).toBe('resolved');
      expect(r.emulator.linkState).toBe('up');
      await r.vent.close();
    }
  });

  it('reboot: the device sends ICC again; the host answers it and the link carries on', async () => {
    const r = await connected();
    r.emulator.reboot();
    await r.advance(100);
    expect(r.emulator.linkState).toBe('up');
    expect(await during(r.advance, r.vent.readSettings())).toMatchObject({ mode: 'PCV' });
    expect(r.faults).toEqual([]);
    expect(r.vent.stats().deviceIccs).toBe(1);
    await r.vent.close();
  });
});
