import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import type { MonitorSample } from '../../../machines/types.js';
import { DisconnectedError, NotPermittedError, VentilatorError } from '../../../hal/errors.js';
import type { DeviceFault } from '../../../hal/port.js';
import { MedibusCommand, MedibusVentilator, type MedibusFamily } from '../../../hal/medibus/index.js';
import { transportPair } from '../../../hal/serial/transport.js';
import { ScriptedDevice, advance, settle, type ScriptedDeviceOptions } from './support/scriptedDevice.js';

const C = MedibusCommand;

const EVITA: ScriptedDeviceOptions = {
  name: 'Evita4',
  revision: '04.03:06.00',
  measuredCp1: [
    { code: 0x7d, value: 30 },
    { code: 0x74, value: 25 },
    { code: 0x78, value: 10 },
    { code: 0x88, value: 420 },
    { code: 0x07, value: 40 },
    { code: 0xf0, value: 60 },
  ],
  settings: [
    { code: 0x0b, value: 10 },
    { code: 0x13, value: 35 },
    { code: 0x0a, value: 20 },
    { code: 0x01, value: 60 },
    { code: 0x04, value: 0.45 },
  ],
  texts: [{ code: 0x01, text: 'IPPV' }],
};

function setup(family: MedibusFamily = 'evita', data: ScriptedDeviceOptions = EVITA, extra: { checkModel?: boolean; settingsPollMs?: number; reconnectMs?: number } = {}) {
  const clock = new VirtualClock();
  const [host, dev] = transportPair();
  const device = new ScriptedDevice(dev, clock, data);
  const vent = new MedibusVentilator({ transport: host, clock, family, ...extra });
  const samples: MonitorSample[] = [];
  const faults: DeviceFault[] = [];
  vent.samples$.subscribe((s) => samples.push(s));
  vent.faults$.subscribe((f) => faults.push(f));
  return { clock, host, device, vent, samples, faults };
}

async function connected(family?: MedibusFamily, data?: ScriptedDeviceOptions, extra?: { checkModel?: boolean; settingsPollMs?: number; reconnectMs?: number }) {
  const s = setup(family, data, extra);
  const c = s.vent.connect();
  await settle();
  await c;
  return s;
}

describe('MedibusVentilator connect and identify', () => {
  it('handshakes, reads the device ID and reports a read-only device', async () => {
    const { vent, device } = await connected();
    expect(device.commands.map((c) => c.command).slice(0, 2)).toEqual([C.ICC, C.DEVICE_ID]);
    const info = await vent.identify();
    expect(info).toMatchObject({ vendor: 'Draeger', model: 'Evita4', id: '0161', firmware: '04.03', protocol: 'MEDIBUS 06.00' });
    expect(info.capabilities.remoteSetting).toBe(false);
    expect(info.capabilities.ranges.peepCmH2O).toEqual([0, 35.69]);
    expect([...info.capabilities.modes].sort()).toEqual(['CPAP', 'PCV', 'VC']);
  });

  it('rejects with DisconnectedError when the device never answers ICC', async () => {
    const { vent, device, clock } = setup();
    device.silent = true;
    const outcome = vent.connect().catch((e: unknown) => e);
    await advance(clock, 10_000, 500);
    expect(await outcome).toBeInstanceOf(DisconnectedError);
    await expect(vent.identify()).rejects.toBeInstanceOf(DisconnectedError);
  });

  it('rejects with DisconnectedError at once when the transport is already closed', async () => {
    const { vent, host, clock } = setup();
    await host.close();
    await expect(vent.connect()).rejects.toBeInstanceOf(DisconnectedError);
    expect(clock.pending()).toBe(0);
  });

  it('refuses a device of another family, unless told not to check', async () => {
    const wrong = setup('evita', { ...EVITA, name: 'Primus' });
    const c = wrong.vent.connect().catch((e: unknown) => e);
    await settle();
    const err = await c;
    expect(err).toBeInstanceOf(VentilatorError);
    expect((err as VentilatorError).code).toBe('identity-mismatch');

    const { vent } = await connected('evita', { ...EVITA, name: 'Primus' }, { checkModel: false });
    expect((await vent.identify()).model).toBe('Primus');
  });

  it('sends STOP after a failed identification and can connect again', async () => {
    const { vent, device } = setup('evita', { ...EVITA, name: 'Primus' });
    const first = vent.connect().catch((e: unknown) => e);
    await settle();
    expect(await first).toBeInstanceOf(VentilatorError);
    expect(device.commands.at(-1)?.command).toBe(C.STOP);
    device.data = EVITA;
    const second = vent.connect();
    await settle();
    await second;
    expect((await vent.identify()).model).toBe('Evita4');
  });

  it('rejects bad options with a TypeError naming them', () => {
    const [host] = transportPair();
    const clock = new VirtualClock();
    expect(() => new MedibusVentilator({ transport: host, clock, family: 'evita', pollMs: 10 })).toThrow(/pollMs/);
    expect(() => new MedibusVentilator({ transport: host, clock, family: 'servo' as never })).toThrow(/family/);
    expect(() => new MedibusVentilator({ transport: host, clock, family: 'evita', timing: { keepAliveMs: 5000 } })).toThrow(/keepAliveMs/);
  });
});

describe('MedibusVentilator settings (guided mode reads, never writes)', () => {
  it('reads the settings in force through 29H and the mode through 2AH', async () => {
    const { vent, device } = await connected();
    const settings = await vent.readSettings();
    expect(settings).toEqual({ mode: 'VC', peepCmH2O: 10.2, peakCmH2O: 35.69, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 450 });
    expect(device.received(C.DEVICE_SETTINGS)).toHaveLength(1);
    expect(device.received(C.TEXT_MESSAGES)).toHaveLength(1);
    expect(vent.latestSettings()).toEqual(settings);
  });

  it('rejects with a protocol error naming the mode when the device runs a mode the maneuvers do not use', async () => {
    const { vent } = await connected('evita', { ...EVITA, texts: [{ code: 0x06, text: 'SIMV' }] });
    await expect(vent.readSettings()).rejects.toThrow(/VentModeSIMV/);
  });

  it('maps a pressure-controlled V300 with its tidal volume in mL', async () => {
    const { vent } = await connected('v300', {
      name: 'Evita V300',
      settings: [
        { code: 0x0b, value: 12 },
        { code: 0x45, value: 28 },
        { code: 0x0a, value: 18 },
        { code: 0x01, value: 50 },
        { code: 0x40, value: 400 },
      ],
      texts: [{ code: 0x34, text: 'PC' }],
    });
    expect(await vent.readSettings()).toEqual({ mode: 'PCV', peepCmH2O: 12.24, peakCmH2O: 28.55, rateBpm: 18, fio2: 0.5, tidalVolumeMl: 400 });
  });

  it('apply() always rejects with NotPermittedError and sends nothing', async () => {
    const { vent, device } = await connected();
    const before = device.commands.length;
    const err = await vent.apply({ peepCmH2O: 20 }).catch((e: unknown) => e);
    await settle();
    expect(err).toBeInstanceOf(NotPermittedError);
    expect((err as NotPermittedError).code).toBe('not-permitted');
    expect(device.commands.length).toBe(before);
  });

  it('keeps latestSettings() and settings$ fresh by polling', async () => {
    const { vent, device, clock } = await connected();
    const seen: number[] = [];
    vent.settings$.subscribe((r) => seen.push(r.settings.peepCmH2O));
    await advance(clock, 5000, 250);
    expect(vent.latestSettings()?.peepCmH2O).toBe(10.2);
    device.data = { ...EVITA, settings: [{ code: 0x0b, value: 14 }, ...EVITA.settings!.slice(1)] };
    await advance(clock, 5000, 250);
    expect(vent.latestSettings()?.peepCmH2O).toBe(14.28);
    expect(seen).toEqual([10.2, 14.28]);
  });
});

describe('MedibusVentilator measurements', () => {
  it('polls measured data and emits MonitorSamples in controller units', async () => {
    const { vent, device, clock, samples } = await connected();
    await advance(clock, 3000, 100);
    expect(device.received(C.MEASURED_CP1)).toEqual([1000, 2000, 3000]);
    expect(samples).toHaveLength(3);
    expect(samples[0]).toEqual({ t: 1000, source: 'medibus', peakCmH2O: 30.59, plateauCmH2O: 25.49, peepCmH2O: 10.2, tidalVolumeMl: 420, complianceMlPerCmH2O: 39.23 });
    expect(vent.latestMeasurements()?.fio2).toBe(0.6);
  });

  it('polls codepage 2 where the family table needs it (V300)', async () => {
    const { device, clock, samples } = await connected('v300', { name: 'V500', measuredCp1: [{ code: 0x7d, value: 30 }], measuredCp2: [{ code: 0x23, value: 22 }] });
    await advance(clock, 1000, 100);
    expect(device.received(C.MEASURED_CP2)).toEqual([1000]);
    expect(samples[0]).toMatchObject({ peakCmH2O: 30.59, plateauCmH2O: 22.43 });
  });

  it('reads Primus compliance in mL/mbar', async () => {
    const { clock, samples } = await connected('primus', { name: 'Primus', measuredCp1: [{ code: 0x06, value: 45 }] });
    await advance(clock, 1000, 100);
    expect(samples[0]?.complianceMlPerCmH2O).toBe(44.13);
  });

  it('emits no sample when the device reports nothing usable, and drops implausible values', async () => {
    const { vent, clock, samples } = await connected('evita', { ...EVITA, measuredCp1: [{ code: 0x78, value: 999 }, { code: 0x7d, value: '----' }] });
    await advance(clock, 1000, 100);
    expect(samples).toHaveLength(0);
    expect(vent.latestMeasurements()?.implausible[0]).toMatch(/peepCmH2O/);
  });
});

describe('MedibusVentilator alarms', () => {
  it('an alarm that becomes active while connected is a device-alarm fault, once until it clears', async () => {
    const standing = { priority: 3, code: 0x51, phrase: 'O2 sensor' };
    const { vent, device, clock, faults } = await connected('evita', { ...EVITA, alarms: [standing] });
    const polls: number[][] = [];
    vent.alarms$.subscribe((a) => polls.push(a.alarms.map((x) => x.code)));
    await advance(clock, 2000, 100);
    expect(device.received(C.ALARMS_CP1)).toEqual([1000, 2000]);
    expect(faults).toEqual([]); // standing when the link came up: reported, not a fault
    device.data.alarms = [standing, { priority: 25, code: 0x10, phrase: 'Paw high' }];
    await advance(clock, 2000, 100);
    expect(faults).toEqual([{ t: 3000, code: 'device-alarm', message: 'Evita4 alarm 10H "Paw high" (priority 25)' }]);
    device.data.alarms = [standing];
    await advance(clock, 1000, 100);
    device.data.alarms = [standing, { priority: 25, code: 0x10, phrase: 'Paw high' }];
    await advance(clock, 1000, 100);
    expect(faults.map((f) => f.t)).toEqual([3000, 6000]); // cleared at the 5000 poll, raised again at 6000
    expect(polls.at(-1)).toEqual([0x51, 0x10]);
  });

  it('alarms below alarmFaultPriority are reported on alarms$ only', async () => {
    const clock = new VirtualClock();
    const [host, dev] = transportPair();
    const device = new ScriptedDevice(dev, clock, EVITA);
    const vent = new MedibusVentilator({ transport: host, clock, family: 'evita', alarmFaultPriority: 20 });
    const faults: DeviceFault[] = [];
    vent.faults$.subscribe((f) => faults.push(f));
    const c = vent.connect();
    await settle();
    await c;
    await advance(clock, 1000, 100);
    device.data.alarms = [{ priority: 5, code: 0x30, phrase: 'Vt low' }];
    await advance(clock, 1000, 100);
    expect(faults).toEqual([]);
    device.data.alarms = [{ priority: 5, code: 0x30, phrase: 'Vt low' }, { priority: 20, code: 0x10, phrase: 'Paw high' }];
    await advance(clock, 1000, 100);
    expect(faults.map((f) => f.message)).toEqual(['Evita4 alarm 10H "Paw high" (priority 20)']);
    await vent.close();
  });
});

describe('MedibusVentilator link loss and close', () => {
  it('emits link-lost on silence and stops polling (reconnection off)', async () => {
    const { device, clock, faults } = await connected('evita', EVITA, { settingsPollMs: 0, reconnectMs: 0 });
    await advance(clock, 1000, 100);
    device.silent = true;
    await advance(clock, 3000, 100);
    expect(faults).toEqual([{ t: 4000, code: 'link-lost', message: 'no byte from the MEDIBUS device for 3000 ms' }]);
    const sent = device.commands.length;
    await advance(clock, 5000, 500);
    expect(device.commands.length).toBe(sent);
    expect(clock.pending()).toBe(0);
  });

  it('re-establishes a lost link by itself (the adapter owns link recovery), once, and stops on close', async () => {
    const { vent, device, clock, faults } = await connected('evita', EVITA, { settingsPollMs: 0, reconnectMs: 2000 });
    device.silent = true;
    await advance(clock, 3000, 100);
    expect(faults.map((f) => f.code)).toEqual(['link-lost']);
    const iccBefore = device.received(C.ICC).length;
    // Still silent: it keeps trying every 2 s, one attempt at a time.
    await advance(clock, 4100, 100);
    expect(device.received(C.ICC).length).toBeGreaterThan(iccBefore);
    device.silent = false;
    await advance(clock, 4000, 100);
    const polls = device.received(C.MEASURED_CP1).length;
    await advance(clock, 3000, 100);
    expect(device.received(C.MEASURED_CP1).length).toBeGreaterThan(polls); // polling again
    const icc = device.received(C.ICC).length;
    await advance(clock, 6000, 100);
    expect(device.received(C.ICC).length).toBe(icc); // no more handshakes once it is back
    expect(faults.map((f) => f.code)).toEqual(['link-lost']);
    await vent.close();
    expect(clock.pending()).toBe(0);
  });

  it('refuses a reconnection interval that would flood the line', () => {
    const [host] = transportPair();
    expect(() => new MedibusVentilator({ transport: host, clock: new VirtualClock(), family: 'evita', reconnectMs: 10 })).toThrow(/reconnectMs must be 0 \(never\) or at least 100 ms \(got 10\)/);
  });

  it('emits link-lost when the transport goes away', async () => {
    const { host, faults } = await connected();
    await host.close(); // our side closing completes data$
    await settle();
    expect(faults.map((f) => f.code)).toEqual(['link-lost']);
  });

  it('can connect again after the link was lost', async () => {
    const { vent, device, clock } = await connected();
    device.silent = true;
    await advance(clock, 3000, 100);
    device.silent = false;
    const again = vent.connect();
    await settle();
    await again;
    await advance(clock, 1000, 100);
    expect(device.received(C.MEASURED_CP1).at(-1)).toBe(4000);
  });

  it('close() sends STOP, clears every timer, completes the streams and closes the transport', async () => {
    const { vent, device, clock, host } = await connected();
    await advance(clock, 2000, 100);
    let completed = 0;
    vent.samples$.subscribe({ complete: () => completed++ });
    vent.faults$.subscribe({ complete: () => completed++ });
    await vent.close();
    await settle();
    expect(device.commands.at(-1)?.command).toBe(C.STOP);
    expect(clock.pending()).toBe(0);
    expect(completed).toBe(2);
    expect(host.isOpen).toBe(false);
    await expect(vent.connect()).rejects.toBeInstanceOf(DisconnectedError);
  });
});
