/**
 * The serial transport's write path: a small frame written with a non-blocking `write(2)` on
 * the port's file descriptor, straight from the event loop, when nothing is queued; everything
 * else through the serialport binding's queued path (`fs.write` on libuv's thread pool, which
 * waits for the fd to be writable on EAGAIN and writes partial writes' rest).
 *
 * Why: the thread-pool hop between `write()` and the bytes reaching the kernel was the largest
 * and most variable part of the abort decision's software share over a PTY on a loaded machine
 * (bench/results.md, issue 20: p50 0.41 ms, p90 2.59 ms, max 12.41 ms). A restore frame is a few
 * bytes; the kernel's tty buffer almost always has room for it.
 *
 * Order is the invariant: bytes reach the fd in the order `write()` was called, never
 * overtaking or interleaving with bytes still queued. So a frame goes direct only when no
 * queued write is outstanding (not yet written to the fd by the binding); a direct write that
 * the kernel takes only in part (or not at all: EAGAIN) hands the rest to the queue, and every
 * frame after it queues behind it until the queue is empty again. A `write(2)` that fails
 * with any other error wrote nothing: the whole frame goes to the queued path, which meets the
 * error again and reports it as it always has (a lost link), or writes it if it was passing.
 */
import { writeSync } from 'node:fs';

/**
 * Writes bytes on a non-blocking file descriptor from the calling thread: returns how many the
 * kernel took (possibly fewer than given), throws (code `EAGAIN`) when it takes none now.
 * `fs.writeSync` on an fd opened `O_NONBLOCK` (as @serialport/bindings-cpp opens ports) is one.
 */
export type FdWriter = (fd: number, bytes: Uint8Array) => number;

/** `fs.writeSync`: one `write(2)` call (it does not retry EAGAIN). */
export const fsFdWriter: FdWriter = (fd, bytes) => writeSync(fd, bytes);

/** Largest frame written directly: control frames (MakAir 11 bytes, MEDIBUS commands) fit. */
export const DIRECT_WRITE_MAX_BYTES = 256;

/**
 * How a write went: `direct` the kernel took every byte at once; `partial` it took some, the
 * rest queued; `queued` all of it through the binding's path (queue not empty, frame too big,
 * no fd, direct path off, EAGAIN, or an error that the queued path will report).
 */
export type WritePath = 'direct' | 'partial' | 'queued';

export interface OrderedWriterDeps {
  /** The port's fd while the port is open and has one; null otherwise (mock binding, Windows, closing). */
  fd(): number | null;
  /** The direct write (injected in tests). */
  writeFd: FdWriter;
  /**
   * The binding's queued path: writes `bytes` after everything queued before and calls `done`
   * once they are all written to the fd (or with the error that stopped it).
   */
  queue(bytes: Buffer, done: (err?: Error | null) => void): void;
  /** Frames up to this size may go direct (default `DIRECT_WRITE_MAX_BYTES`). */
  maxDirectBytes?: number;
}

export interface OrderedWrite {
  path: WritePath;
  /** Bytes the direct `write(2)` took. */
  direct: number;
  /** What the direct `write(2)` threw (EAGAIN, or an error the queued path then meets too). */
  directError?: unknown;
  /** Resolves once every byte is written to the fd; rejects with the queued path's error. */
  written: Promise<void>;
}

export class OrderedWriter {
  /** False sends every write through the queued path (the behaviour before the direct path). */
  enabled = true;
  private outstanding = 0;
  private readonly maxDirect: number;

  constructor(private readonly deps: OrderedWriterDeps) {
    this.maxDirect = deps.maxDirectBytes ?? DIRECT_WRITE_MAX_BYTES;
  }

  /** Queued writes not yet written to the fd: while there is one, nothing goes direct. */
  get queued(): number {
    return this.outstanding;
  }

  write(bytes: Uint8Array): OrderedWrite {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const fd = this.enabled && this.outstanding === 0 && buf.length > 0 && buf.length <= this.maxDirect ? this.deps.fd() : null;
    if (fd === null) return { path: 'queued', direct: 0, written: this.enqueue(Buffer.from(buf)) };
    let n = 0;
    let directError: unknown;
    try {
      n = this.deps.writeFd(fd, buf);
    } catch (e) {
      // EAGAIN: the kernel's buffer is full. A failed write(2) of any other kind wrote nothing
      // either: the queued path writes the frame or reports the error as for any other write.
      directError = e;
    }
    if (!Number.isInteger(n) || n < 0 || n > buf.length) throw new RangeError(`write(2) on fd ${fd} reported ${String(n)} bytes written of ${buf.length}`);
    if (n === buf.length) return { path: 'direct', direct: n, written: Promise.resolve() };
    // The rest (a copy: the caller may reuse its buffer) goes first in the queue, which is empty.
    const written = this.enqueue(Buffer.from(buf.subarray(n)));
    return { path: n === 0 ? 'queued' : 'partial', direct: n, ...(directError === undefined ? {} : { directError }), written };
  }

  private enqueue(bytes: Buffer): Promise<void> {
    this.outstanding += 1;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      this.deps.queue(bytes, (err) => {
        if (settled) return;
        settled = true;
        this.outstanding -= 1;
        if (err) reject(err);
        else resolve();
      });
    });
  }
}
