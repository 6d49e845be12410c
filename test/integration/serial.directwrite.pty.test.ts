/**
 * The serial transport's two write paths over a real pseudo-terminal (socat): small frames
 * written with a non-blocking write(2) on the port's fd when nothing is queued, the rest
 * through @serialport/bindings-cpp's thread-pool writes. The device end is read with plain
 * non-blocking reads, paused to fill the kernel's buffers (socat stops reading the host's end
 * when it cannot write the device's) so that the direct write meets EAGAIN or a partial write
 * and hands over to the queued path. Every byte must arrive once, in the order written.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisconnectedError } from '../../hal/errors.js';
import { SerialTransport, type WritePath } from '../../hal/serial/transport.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir, within, type PtyPair } from './support/pty.js';

const LINE = { baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 } as const;
const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());

/** A deterministic byte stream cut in frames of 1..256 bytes (mulberry32): any reordering shows. */
function frames(count: number, seed: number, maxLen = 256): Uint8Array[] {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => Uint8Array.from({ length: 1 + Math.floor(rand() * maxLen) }, () => Math.floor(rand() * 256)));
}

/** The device's end, read with non-blocking read(2) on a timer while `reading`. */
class DeviceEnd {
  readonly fd: number;
  readonly got: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly buf = Buffer.alloc(65536);

  constructor(path: string) {
    this.fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  }

  /** Reads every millisecond, at most `perTick` bytes each time (a slow device). */
  start(perTick = Infinity): void {
    this.timer ??= setInterval(() => this.readAvailable(perTick), 1);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  readAvailable(limit = Infinity): void {
    for (let left = limit; left > 0; ) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, left), null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw e;
      }
      if (n <= 0) return;
      left -= n;
      for (let i = 0; i < n; i++) this.got.push(this.buf[i]!);
    }
  }

  /** Reads until `count` bytes have arrived (bounded by `within`). */
  async until(count: number): Promise<void> {
    this.start();
    while (this.got.length < count) await new Promise((r) => setTimeout(r, 2));
  }

  close(): void {
    this.stop();
    closeSync(this.fd);
  }
}

describe.skipIf(!SOCAT)(`serial transport over a PTY: direct and queued writes keep every byte in order${SOCAT_NOTE}`, () => {
  let pair: PtyPair;
  beforeAll(async () => {
    pair = await ptyPair(scratch!.dir, 'direct');
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('frames back to back: direct while the device reads, EAGAIN/partial then queued while it does not, direct again after; all bytes in order', async () => {
    const paths: WritePath[] = [];
    const host = await SerialTransport.open({ path: pair.host, ...LINE }, undefined, { onWrite: (t) => paths.push(t.path) });
    const device = new DeviceEnd(pair.device);
    const sent: number[] = [];
    try {
      expect(host.directWrite).toBe(true);
      // 1. The device reads: each frame awaited, the queue is always empty -> direct.
      device.start();
      for (const f of frames(100, 1)) {
        sent.push(...f);
        await host.write(f);
      }
      await within(device.until(sent.length), 10_000, 'phase 1 bytes');
      expect(paths.every((p) => p === 'direct')).toBe(true);

      // 2. The device stops reading and ~390 kB go back to back: the kernel's and socat's
      //    buffers fill, the direct write meets EAGAIN (or takes part of a frame) and every
      //    frame after it queues behind the rest.
      device.stop();
      const burst = frames(3000, 2);
      const from = paths.length;
      const writes = burst.map((f) => {
        sent.push(...f);
        return host.write(f);
      });
      await new Promise((r) => setTimeout(r, 100));
      device.start();
      await within(Promise.all(writes), 20_000, 'phase 2 writes');
      await within(device.until(sent.length), 20_000, 'phase 2 bytes');
      const burstPaths = paths.slice(from);
      expect(burstPaths).toHaveLength(burst.length);
      const firstFallback = burstPaths.findIndex((p) => p !== 'direct');
      expect(firstFallback).toBeGreaterThan(0); // some went direct before the buffers filled ...
      expect(firstFallback).toBeLessThan(burst.length); // ... and the fd refused bytes (EAGAIN or partial)
      // Once a write fell back, everything after it in the burst queued behind it.
      expect(burstPaths.slice(firstFallback + 1).every((p) => p === 'queued')).toBe(true);

      // 3. Mixed: a slow device (512 bytes a millisecond) and rounds of 100 frames written faster
      //    than it reads, the event loop turning every few frames, each round waiting for its
      //    writes: the buffers fill and empty again, direct and queued writes alternate.
      device.stop();
      device.start(512);
      const mixed = frames(1500, 3);
      const from3 = paths.length;
      for (let round = 0; round < mixed.length / 100; round++) {
        const pending: Promise<void>[] = [];
        for (const f of mixed.slice(round * 100, round * 100 + 100)) {
          sent.push(...f);
          pending.push(host.write(f));
          if (pending.length % 7 === 0) await new Promise((r) => setImmediate(r));
        }
        await within(Promise.all(pending), 20_000, `phase 3 round ${round} writes`);
      }
      await within(device.until(sent.length), 20_000, 'phase 3 bytes');
      const mixedPaths = paths.slice(from3);
      const fellBack = mixedPaths.filter((p, i) => p !== 'direct' && mixedPaths[i - 1] === 'direct').length;
      expect(fellBack).toBeGreaterThanOrEqual(2); // went from direct to the queue and back more than once
      device.stop();
      device.start();

      // 4. Queue empty again: direct.
      const last = Uint8Array.from([5, 10, 0, 100]);
      sent.push(...last);
      await host.write(last);
      expect(paths.at(-1)).toBe('direct');
      await within(device.until(sent.length), 10_000, 'phase 4 bytes');
      device.readAvailable();
      expect(device.got.length).toBe(sent.length);
      expect(Buffer.from(device.got).equals(Buffer.from(sent))).toBe(true);
    } finally {
      device.close();
      await host.close();
    }
  });

  it('the same frames with the direct path off arrive the same (the queued path alone)', async () => {
    const paths: WritePath[] = [];
    const host = await SerialTransport.open({ path: pair.host, ...LINE }, undefined, { directWrite: false, onWrite: (t) => paths.push(t.path) });
    const device = new DeviceEnd(pair.device);
    try {
      device.start();
      const sent = frames(300, 4).flatMap((f) => [...f]);
      await within(Promise.all(frames(300, 4).map((f) => host.write(f))), 10_000, 'writes');
      await within(device.until(sent.length), 10_000, 'bytes');
      expect(Buffer.from(device.got).equals(Buffer.from(sent))).toBe(true);
      expect(new Set(paths)).toEqual(new Set(['queued']));
    } finally {
      device.close();
      await host.close();
    }
  });

  it('the link gone (socat ends): a small frame still fails as a lost link, DisconnectedError and lost$', async () => {
    const own = await ptyPair(scratch!.dir, 'gone');
    const host = await SerialTransport.open({ path: own.host, ...LINE });
    const lost = firstValueFrom(host.lost$);
    await own.close();
    const err = await within(
      host.write(Uint8Array.from([5, 10, 0, 100])).then(
        () => null,
        (e: unknown) => e,
      ),
      10_000,
      'write after the link went',
    );
    // Either the write meets the hang-up itself, or the port was already reported lost and closed.
    expect(err).toBeInstanceOf(DisconnectedError);
    await expect(within(lost, 10_000, 'lost$')).resolves.toBeInstanceOf(Error);
    expect(host.isOpen).toBe(false);
    await host.close();
  });
});
