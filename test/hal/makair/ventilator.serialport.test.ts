/**
 * The adapter over a real `SerialTransport` (serialport stream) on the mock binding that
 * ships with serialport (`SerialPortMock.binding`): the same code path as a physical port,
 * with a scripted MakAir behind the mock.
 */
import { SerialPortMock } from 'serialport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { OutOfRangeError, TimeoutError } from '../../../hal/errors.js';
import { SerialTransport } from '../../../hal/serial/transport.js';
import { ControlSetting, MakAirVentilator } from '../../../hal/makair/index.js';
import { bytesOf, hex } from './fixtures.js';
import { ScriptedDevice, settle } from './scripted-device.js';

const PATH = '/dev/ttyMAKAIR';
const mock = SerialPortMock.binding;
type MockBindingInterface = typeof mock;
type MockPortBinding = Awaited<ReturnType<MockBindingInterface['open']>>;

async function openRig(): Promise<{ clock: VirtualClock; vent: MakAirVentilator; device: ScriptedDevice; port: MockPortBinding }> {
  let port: MockPortBinding | undefined;
  // The mock binding, recording the port binding it opens so the test can play the device.
  const binding: MockBindingInterface = {
    ...mock,
    open: async (options) => (port = await mock.open(options)),
  };
  const transport = await SerialTransport.open({ path: PATH, baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 }, binding);
  const opened = port!;
  const device = new ScriptedDevice({
    write: (bytes) => opened.emitData(Buffer.from(bytes)),
    onData: (listener) => {
      const write = opened.write.bind(opened);
      opened.write = async (buffer: Buffer) => {
        await write(buffer);
        listener(new Uint8Array(buffer));
      };
    },
  });
  const clock = new VirtualClock();
  const vent = new MakAirVentilator({ transport, clock, fio2: 0.3, applyDeadlineMs: 3000 });
  const connecting = vent.connect();
  device.sendState();
  await settle(5);
  await connecting;
  await settle(5);
  // The heartbeat the adapter sends at connect (issue 21): the tests below look at what an apply writes.
  expect(hex(opened.recording)).toBe(hex(bytesOf('05 0a 00 00 00 ff 41 d9 12 50 a0')));
  opened.recording = Buffer.alloc(0);
  return { clock, vent, device, port: opened };
}

async function advance(clock: VirtualClock, device: ScriptedDevice, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    device.sendData();
    await settle(5);
    clock.advanceBy(100);
  }
  await settle(5);
}

describe('MakAirVentilator on SerialPortMock', () => {
  beforeEach(() => mock.createPort(PATH, { echo: false, record: true }));
  afterEach(() => mock.reset());

  it('writes the exact control frame, and resolves on the ack and the report', async () => {
    const { vent, port } = await openRig();
    const confirmed = await Promise.race([vent.apply({ peepCmH2O: 10.5 }), settle(20).then(() => 'still pending')]);
    expect(confirmed).toEqual({ mode: 'PCV', peepCmH2O: 10.5, peakCmH2O: 25, rateBpm: 20, fio2: 0.3 });
    // 05 0A | PEEP (03) | 105 mmH2O (00 69) | CRC-32 BE of 03 00 69 (Python zlib.crc32) | 50 A0
    expect(hex(port.recording)).toBe(hex(bytesOf('05 0a 03 00 69 c9 69 be b7 50 a0')));
    await vent.close();
  });

  it('writes nothing for an out-of-range change', async () => {
    const { vent, port } = await openRig();
    await expect(vent.apply({ peepCmH2O: 31 })).rejects.toBeInstanceOf(OutOfRangeError);
    await settle(5);
    expect(port.recording.length).toBe(0);
    await vent.close();
  });

  it('resends an unacknowledged frame and times out with TimeoutError', async () => {
    const { clock, vent, device, port } = await openRig();
    device.silentToControl = true;
    let error: unknown;
    const done = vent.apply({ rateBpm: 25 }).catch((e: unknown) => (error = e));
    await advance(clock, device, 3100);
    await done;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(device.received).toEqual([
      { setting: ControlSetting.CyclesPerMinute, value: 25 },
      { setting: ControlSetting.CyclesPerMinute, value: 25 },
      { setting: ControlSetting.CyclesPerMinute, value: 25 },
    ]); // at 0, 500 and 1500 ms; the next (3500 ms) is past the 3000 ms deadline
    expect(port.recording.length).toBe(33);
    await vent.close();
  });
});
