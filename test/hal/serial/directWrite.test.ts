/**
 * The serial transport's write path (hal/serial/directWrite.ts): small frames written with a
 * non-blocking write(2) on the fd when nothing is queued, the rest through the binding's
 * queued path. Here with a fake fd (its writer injected) and a fake queue whose writes
 * complete when the test says, so that every interleaving of EAGAIN, partial writes, errors
 * and queue completions can be played; the "kernel" is one byte log that the fake fd appends
 * to at once and the queue appends to when a queued write completes. Order is the invariant:
 * the log must always be the frames in the order they were written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIRECT_WRITE_MAX_BYTES, OrderedWriter, type FdWriter } from '../../../hal/serial/directWrite.js';

const eagain = (): Error => Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), { code: 'EAGAIN', errno: -11, syscall: 'write' });
const eio = (): Error => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', errno: -5, syscall: 'write' });

/** What the fake fd does with the next write(2): take all, take n, or throw. */
type FdStep = { take: 'all' } | { take: number } | { throws: 'EAGAIN' | 'EIO' };

function rig(opts: { fd?: number | null; steps?: FdStep[] } = {}) {
  const log: number[] = [];
  const steps = opts.steps ?? [];
  const fdCalls: number[][] = [];
  const writeFd: FdWriter = (fd, bytes) => {
    expect(fd).toBe(opts.fd ?? 7);
    fdCalls.push([...bytes]);
    const step = steps.shift() ?? { take: 'all' };
    if ('throws' in step) throw step.throws === 'EAGAIN' ? eagain() : eio();
    const n = step.take === 'all' ? bytes.length : Math.min(step.take, bytes.length);
    log.push(...bytes.subarray(0, n));
    return n;
  };
  /** Queued writes in order; `complete()` writes the oldest to the log (or fails it). */
  const pending: { bytes: Buffer; done: (err?: Error | null) => void }[] = [];
  const writer = new OrderedWriter({
    fd: () => (opts.fd === undefined ? 7 : opts.fd),
    writeFd,
    queue: (bytes, done) => pending.push({ bytes, done }),
  });
  const complete = (err?: Error): void => {
    const p = pending.shift();
    if (!p) throw new Error('nothing queued');
    if (!err) log.push(...p.bytes);
    p.done(err ?? null);
  };
  return { writer, log, pending, fdCalls, complete };
}

const frame = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('OrderedWriter: a small frame goes direct only when nothing is queued', () => {
  it('writes a control frame on the fd at once when the queue is empty: no queued write, resolved', async () => {
    const r = rig();
    const w = r.writer.write(frame(5, 10, 0, 100));
    expect(w.path).toBe('direct');
    expect(w.direct).toBe(4);
    expect(r.log).toEqual([5, 10, 0, 100]); // in the kernel before write() returns
    expect(r.pending).toHaveLength(0);
    await expect(w.written).resolves.toBeUndefined();
  });

  it('EAGAIN (the fd buffer is full): the whole frame is queued, and the frames after it queue behind it even when the fd has room again', async () => {
    const r = rig({ steps: [{ throws: 'EAGAIN' }] });
    const a = r.writer.write(frame(1, 2, 3));
    expect(a.path).toBe('queued');
    expect((a.directError as { code: string }).code).toBe('EAGAIN');
    const b = r.writer.write(frame(4, 5));
    expect(b.path).toBe('queued'); // the fd would take it now: it must not overtake 1 2 3
    expect(r.fdCalls).toHaveLength(1);
    expect(r.log).toEqual([]);
    r.complete();
    r.complete();
    await Promise.all([a.written, b.written]);
    expect(r.log).toEqual([1, 2, 3, 4, 5]);
    // Queue empty again: direct again.
    expect(r.writer.write(frame(6)).path).toBe('direct');
    expect(r.log).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a partial write queues the rest first; later frames follow it, never interleave', async () => {
    const r = rig({ steps: [{ take: 2 }] });
    const source = frame(1, 2, 3, 4, 5);
    const a = r.writer.write(source);
    expect(a.path).toBe('partial');
    expect(a.direct).toBe(2);
    source.fill(0); // the caller reuses its buffer: the queued rest is a copy
    const b = r.writer.write(frame(6, 7));
    expect(b.path).toBe('queued');
    expect(r.pending.map((p) => [...p.bytes])).toEqual([[3, 4, 5], [6, 7]]);
    r.complete();
    r.complete();
    await Promise.all([a.written, b.written]);
    expect(r.log).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('while any queued write is outstanding nothing goes direct: a frame after a big (queued) one waits for it', async () => {
    const r = rig();
    const big = new Uint8Array(DIRECT_WRITE_MAX_BYTES + 1).fill(9);
    expect(r.writer.write(big).path).toBe('queued');
    expect(r.writer.write(frame(1)).path).toBe('queued');
    expect(r.fdCalls).toHaveLength(0);
    expect(r.writer.queued).toBe(2);
    r.complete();
    expect(r.writer.write(frame(2)).path).toBe('queued'); // one still outstanding
    r.complete();
    r.complete();
    expect(r.writer.queued).toBe(0);
    expect(r.writer.write(frame(3)).path).toBe('direct');
    expect(r.log).toEqual([...big, 1, 2, 3]);
  });

  it('a frame of exactly DIRECT_WRITE_MAX_BYTES goes direct; one byte more is queued', () => {
    const r = rig();
    expect(r.writer.write(new Uint8Array(DIRECT_WRITE_MAX_BYTES)).path).toBe('direct');
    expect(r.writer.write(new Uint8Array(DIRECT_WRITE_MAX_BYTES + 1)).path).toBe('queued');
  });

  it('no fd (mock binding, Windows, a closing port) or the direct path off: everything is queued, the fd is never touched', () => {
    const none = rig({ fd: null });
    expect(none.writer.write(frame(1)).path).toBe('queued');
    expect(none.fdCalls).toHaveLength(0);
    const off = rig();
    off.writer.enabled = false;
    expect(off.writer.write(frame(1)).path).toBe('queued');
    expect(off.fdCalls).toHaveLength(0);
  });

  it('an empty write is queued (the binding resolves it) rather than a zero-byte write(2)', () => {
    const r = rig();
    expect(r.writer.write(new Uint8Array(0)).path).toBe('queued');
    expect(r.fdCalls).toHaveLength(0);
  });

  it('a write(2) error other than EAGAIN wrote nothing: the whole frame goes to the queued path, whose error rejects the write as today', async () => {
    const r = rig({ steps: [{ throws: 'EIO' }] });
    const w = r.writer.write(frame(1, 2));
    expect(w.path).toBe('queued');
    expect((w.directError as { code: string }).code).toBe('EIO');
    expect(r.pending.map((p) => [...p.bytes])).toEqual([[1, 2]]);
    r.complete(eio()); // the binding meets it again: the link fault it reports today
    await expect(w.written).rejects.toThrow(/EIO/);
    expect(r.writer.queued).toBe(0);
  });

  it('a writer reporting an impossible count is refused, not trusted', () => {
    const writer = new OrderedWriter({ fd: () => 3, writeFd: () => 99, queue: () => undefined });
    expect(() => writer.write(frame(1, 2))).toThrow(/reported 99 bytes written of 2/);
  });
});

describe('OrderedWriter: bytes reach the fd in write order, whatever the fd and the queue do (property)', () => {
  const fdStep = fc.oneof(
    { weight: 4, arbitrary: fc.constant<FdStep>({ take: 'all' }) },
    { weight: 2, arbitrary: fc.constant<FdStep>({ throws: 'EAGAIN' }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }).map((n): FdStep => ({ take: n })) },
    { weight: 1, arbitrary: fc.constant<FdStep>({ throws: 'EIO' }) },
  );
  // An action: write a frame (its size; big ones are queued), or let the oldest queued write complete.
  const action = fc.oneof(
    { weight: 3, arbitrary: fc.record({ write: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 200, max: 400 })), fd: fdStep }) },
    { weight: 2, arbitrary: fc.constant({ complete: true as const }) },
  );

  it('the byte log is always the frames in order, and every write resolves', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 60 }), async (actions) => {
        const steps: FdStep[] = [];
        const r = rig({ steps });
        const sent: number[] = [];
        const written: Promise<void>[] = [];
        let next = 0;
        for (const a of actions) {
          if ('complete' in a) {
            if (r.pending.length) r.complete();
          } else {
            steps.push(a.fd);
            const bytes = Uint8Array.from({ length: a.write }, () => next++ & 0xff);
            sent.push(...bytes);
            written.push(r.writer.write(bytes).written);
            steps.length = 0; // a step not used by this write (it was queued) is dropped
          }
          // At every point the log is a prefix of what was sent: nothing overtook, nothing interleaved.
          expect(r.log).toEqual(sent.slice(0, r.log.length));
        }
        while (r.pending.length) r.complete();
        await Promise.all(written);
        expect(r.log).toEqual(sent);
        expect(r.writer.queued).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
