/**
 * MedibusVentilator over a real serialport stack: `SerialTransport` on serialport's
 * `MockBinding` (as `SerialPortMock` uses it). The adapter code is the same as on a real port; only the binding differs.
 * A scripted device sits on the other side of the mock port (host writes are fed to it; its
 * answers arrive through `emitData`).
 */
import { NEVER, Subject } from 'rxjs';
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import type { MonitorSample } from '../../../machines/types.js';
import { MedibusCommand, MedibusVentilator, codeTableFor } from '../../../hal/medibus/index.js';
import { SerialTransport, type ByteTransport } from '../../../hal/serial/transport.js';
import { ScriptedDevice, hex, settle } from './support/scriptedDevice.js';

const PATH = '/dev/ttyMEDIBUS';
/** serialport's mock binding (the one `SerialPortMock` uses). */
const MockBinding = SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<typeof MockBinding.open>>;

/** MockBinding, with the opened port captured and its writes forwarded to the device side. */
function deviceSideBinding() {
  const fromHost = new Subject<Uint8Array>();
  let port: MockPortBinding | null = null;
  const binding: typeof MockBinding = {
    ...MockBinding,
    async open(options) {
      const opened = await MockBinding.open(options);
      const write = opened.write.bind(opened);
      opened.write = async (buffer: Buffer) => {
        await write(buffer);
        fromHost.next(new Uint8Array(buffer));
      };
      port = opened;
      return opened;
    },
  };
  const deviceTransport: ByteTransport = {
    data$: fromHost.asObservable(),
    lost$: NEVER,
    get isOpen() {
      return port?.isOpen ?? false;
    },
    async write(bytes) {
      if (port?.isOpen) port.emitData(Buffer.from(bytes));
    },
    async close() {},
  };
  return { binding, deviceTransport, port: () => port };
}

afterEach(() => MockBinding.reset());

describe('MedibusVentilator over serialport MockBinding', () => {
  it('handshakes, polls and stops over SerialTransport with the Evita line settings', async () => {
    MockBinding.createPort(PATH, { echo: false, record: true });
    const { binding, deviceTransport, port } = deviceSideBinding();
    const transport = await SerialTransport.open({ path: PATH, ...codeTableFor('evita').serial }, binding);
    expect(port()?.openOptions).toMatchObject({ baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 });

    const clock = new VirtualClock();
    const device = new ScriptedDevice(deviceTransport, clock, {
      name: 'Evita4',
      measuredCp1: [
        { code: 0x78, value: 8 },
        { code: 0x7d, value: 27 },
      ],
    });
    const vent = new MedibusVentilator({ transport, clock, family: 'evita', settingsPollMs: 0 });
    const samples: MonitorSample[] = [];
    vent.samples$.subscribe((s) => samples.push(s));

    const connecting = vent.connect();
    await settle(10);
    await connecting;
    expect((await vent.identify()).model).toBe('Evita4');

    clock.advanceBy(1000);
    await settle(10);
    expect(samples).toEqual([{ t: 1000, source: 'medibus', peepCmH2O: 8.16, peakCmH2O: 27.53 }]);

    const recording = port()!.recording;
    await vent.close();
    await settle(5);
    expect(hex(new Uint8Array(recording.subarray(0, 5)))).toBe('1B 51 36 43 0D');
    expect(hex(new Uint8Array(port()!.recording.subarray(-5)))).toBe('1B 55 37 30 0D');
    expect(device.received(MedibusCommand.STOP)).toHaveLength(1);
    expect(transport.isOpen).toBe(false);
    expect(clock.pending()).toBe(0);
  });
});
