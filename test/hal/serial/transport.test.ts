/**
 * SerialTransport's write path wired to a serialport stream: serialport's mock binding plays
 * the port, given an fd number and a fake direct writer that appends to the same recording the
 * binding's (queued) writes append to, so the recording is the byte order on the wire.
 */
import { SerialPortMock } from 'serialport';
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { DisconnectedError } from '../../../hal/errors.js';
import { SerialTransport, type FdWriter, type WriteTiming } from '../../../hal/serial/transport.js';

const PATH = '/dev/ttyDIRECT';
const mock = SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<typeof mock.open>>;

const eagain = (): Error => Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN' });

async function open(opts: { fd?: number; writeFd?: (port: MockPortBinding) => FdWriter; directWrite?: boolean } = {}) {
  let port: MockPortBinding | undefined;
  const binding: typeof mock = { ...mock, open: async (o) => (port = await mock.open(o)) };
  const timings: WriteTiming[] = [];
  const fdCalls: number[] = [];
  let writer: FdWriter | undefined;
  const transport = await SerialTransport.open({ path: PATH, baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 }, binding, {
    ...(opts.directWrite === undefined ? {} : { directWrite: opts.directWrite }),
    writeFd: (fd, bytes) => {
      fdCalls.push(fd);
      return writer!(fd, bytes);
    },
    onWrite: (t) => timings.push(t),
  });
  const opened = port!;
  if (opts.fd !== undefined) Object.assign(opened, { fd: opts.fd });
  // The default fake fd: takes every byte, into the recording the binding writes to.
  writer = opts.writeFd?.(opened) ?? ((_fd, bytes) => ((opened.recording = Buffer.concat([opened.recording, Buffer.from(bytes)])), bytes.length));
  return { transport, port: opened, timings, fdCalls };
}

describe('SerialTransport: small frames written on the port fd, in order with queued writes', () => {
  afterEach(() => mock.reset());

  it('with the mock binding (no fd) every write takes the binding path, as before', async () => {
    mock.createPort(PATH, { record: true });
    const r = await open();
    await r.transport.write(Uint8Array.from([1, 2, 3]));
    expect([...r.port.recording]).toEqual([1, 2, 3]);
    expect(r.fdCalls).toEqual([]);
    expect(r.timings.map((t) => t.path)).toEqual(['queued']);
    await r.transport.close();
  });

  it('with an fd: a control frame goes direct on that fd; a big frame is queued and a small one after it waits for it', async () => {
    mock.createPort(PATH, { record: true });
    const r = await open({ fd: 42 });
    await r.transport.write(Uint8Array.from([5, 10, 0, 100]));
    expect(r.fdCalls).toEqual([42]);
    const big = new Uint8Array(300).fill(7);
    const both = Promise.all([r.transport.write(big), r.transport.write(Uint8Array.from([8, 9]))]);
    await both;
    expect([...r.port.recording]).toEqual([5, 10, 0, 100, ...big, 8, 9]);
    expect(r.timings.map((t) => t.path)).toEqual(['direct', 'queued', 'queued']);
    expect(r.fdCalls).toEqual([42]); // the small frame behind the big one never touched the fd
    await r.transport.write(Uint8Array.from([11]));
    expect(r.timings.at(-1)!.path).toBe('direct');
    expect(r.timings.every((t) => t.toKernelMs >= 0 && t.toDoneMs >= t.toKernelMs)).toBe(true);
    await r.transport.close();
  });

  it('EAGAIN and a partial write fall back to the binding path with the rest, in order', async () => {
    mock.createPort(PATH, { record: true });
    const plan: ('eagain' | number)[] = ['eagain', 2];
    const r = await open({
      fd: 3,
      writeFd: (port) => (_fd, bytes) => {
        const step = plan.shift() ?? bytes.length;
        if (step === 'eagain') throw eagain();
        port.recording = Buffer.concat([port.recording, Buffer.from(bytes.subarray(0, step))]);
        return step;
      },
    });
    await Promise.all([r.transport.write(Uint8Array.from([1, 2, 3])), r.transport.write(Uint8Array.from([4]))]);
    await Promise.all([r.transport.write(Uint8Array.from([5, 6, 7, 8])), r.transport.write(Uint8Array.from([9]))]);
    await r.transport.write(Uint8Array.from([10]));
    expect([...r.port.recording]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.timings.map((t) => t.path)).toEqual(['queued', 'queued', 'partial', 'queued', 'direct']);
    await r.transport.close();
  });

  it('directWrite off (option or property): the fd is never written', async () => {
    mock.createPort(PATH, { record: true });
    const r = await open({ fd: 42, directWrite: false });
    expect(r.transport.directWrite).toBe(false);
    await r.transport.write(Uint8Array.from([1]));
    expect(r.fdCalls).toEqual([]);
    r.transport.directWrite = true;
    await r.transport.write(Uint8Array.from([2]));
    expect(r.fdCalls).toEqual([42]);
    expect([...r.port.recording]).toEqual([1, 2]);
    await r.transport.close();
  });

  it('a direct write error other than EAGAIN ends as today: the binding meets it, the write rejects with DisconnectedError and lost$ reports the port', async () => {
    mock.createPort(PATH, { record: true });
    const r = await open({
      fd: 3,
      writeFd: () => () => {
        throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      },
    });
    // The binding's own write fails the same way (the line is gone).
    r.port.write = () => Promise.reject(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    const lost = firstValueFrom(r.transport.lost$);
    const w = r.transport.write(Uint8Array.from([1, 2]));
    await expect(w).rejects.toBeInstanceOf(DisconnectedError);
    await expect(w).rejects.toThrow(/write to \/dev\/ttyDIRECT failed: EIO/);
    await expect(lost).resolves.toBeInstanceOf(Error);
    expect(r.transport.isOpen).toBe(false);
    await r.transport.close();
  });

  it('a throwing onWrite observer never fails a write', async () => {
    mock.createPort(PATH, { record: true });
    let port: MockPortBinding | undefined;
    const binding: typeof mock = { ...mock, open: async (o) => (port = await mock.open(o)) };
    const t = await SerialTransport.open({ path: PATH, baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 }, binding, {
      onWrite: () => {
        throw new Error('observer bug');
      },
    });
    await expect(t.write(Uint8Array.from([1, 2]))).resolves.toBeUndefined();
    expect([...port!.recording]).toEqual([1, 2]);
    await t.close();
  });

  it('a closed port: the write rejects and the fd is not touched', async () => {
    mock.createPort(PATH, { record: true });
    const r = await open({ fd: 42 });
    await r.transport.close();
    await expect(r.transport.write(Uint8Array.from([1]))).rejects.toBeInstanceOf(DisconnectedError);
    expect(r.fdCalls).toEqual([]);
  });
});
