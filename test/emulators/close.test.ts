/**
 * An emulator's close() is bounded: a line nobody reads (the host gone, the kernel's buffers
 * full) never finishes its last writes, and close() must not wait for them for ever (it did:
 * `rmseq emulate` then ignored Ctrl-C). It waits up to `FLUSH_LIMIT_MS` on its clock, then
 * returns; closing the port cancels what is left. Writes that do finish are still waited for.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { VirtualClock } from '../../common/clock.js';
import type { ByteTransport } from '../../hal/transport.js';
import { MakAirEmulator, MedibusEmulator, VitalsFeedEmulator } from '../../emulators/index.js';
import { FLUSH_LIMIT_MS, WriteQueue } from '../../emulators/writeQueue.js';
import { MAKAIR_BASELINE, settle, world } from './support/rig.js';

/** A port whose writes never finish (nobody reads the other end), or finish when `release()` is called. */
function stuckPort() {
  const waiting: (() => void)[] = [];
  const port: ByteTransport = {
    data$: new Subject<Uint8Array>(),
    lost$: new Subject<Error>(),
    isOpen: true,
    write: () => new Promise<void>((resolve) => waiting.push(resolve)),
    close: () => Promise.resolve(),
  };
  return { port, waiting, release: () => waiting.splice(0).forEach((r) => r()) };
}

async function closesWithin(clock: VirtualClock, close: () => Promise<void>): Promise<number> {
  let done = false;
  const started = clock.now();
  const closing = close().then(() => (done = true));
  for (let i = 0; i < 100 && !done; i++) {
    clock.advanceBy(100);
    await settle();
  }
  await closing;
  return clock.now() - started;
}

describe('emulator close() is bounded when its writes cannot finish', () => {
  it('WriteQueue: flushed with a bound resolves at the bound when a write hangs, at once when writes finish', async () => {
    const clock = new VirtualClock(0);
    const stuck = stuckPort();
    const q = new WriteQueue(stuck.port, () => undefined);
    q.write(Uint8Array.of(1));
    await settle();
    expect(await closesWithin(clock, () => q.flushed({ clock, limitMs: FLUSH_LIMIT_MS }))).toBe(FLUSH_LIMIT_MS);
    expect(clock.pending()).toBe(0); // no timer left behind
    const ok = stuckPort();
    const q2 = new WriteQueue(ok.port, () => undefined);
    q2.write(Uint8Array.of(1));
    await settle();
    const flushing = q2.flushed({ clock, limitMs: FLUSH_LIMIT_MS });
    ok.release();
    await flushing; // no clock advance needed
  });

  it('MakAir, MEDIBUS and the vitals feed emulators close within FLUSH_LIMIT_MS of clock time on a line nobody reads', async () => {
    for (const make of [
      (clock: VirtualClock, port: ByteTransport) => new MakAirEmulator({ transport: port, clock, world: world(clock, MAKAIR_BASELINE) }),
      (clock: VirtualClock, port: ByteTransport) => new MedibusEmulator({ transport: port, clock, world: world(clock, MAKAIR_BASELINE), family: 'evita' }),
      (clock: VirtualClock, port: ByteTransport) => new VitalsFeedEmulator({ transport: port, clock, world: world(clock, MAKAIR_BASELINE) }),
    ]) {
      const clock = new VirtualClock(0);
      const stuck = stuckPort();
      const emulator = make(clock, stuck.port);
      emulator.start();
      for (let i = 0; i < 50; i++) {
        clock.advanceBy(100);
        await settle();
      }
      expect(stuck.waiting.length).toBeGreaterThan(0); // a write is hanging
      expect(await closesWithin(clock, () => emulator.close())).toBeLessThanOrEqual(FLUSH_LIMIT_MS + 100);
    }
  });
});
