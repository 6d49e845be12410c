/**
 * In-order writes to an emulator's port without awaiting each: every write waits for the one
 * before it, a failed write is counted and does not stop the next, and `pending` says how many
 * are still queued (a line nobody reads must not grow the queue without bound: callers skip
 * writes past their own limit).
 */
import type { Clock } from '../common/clock.js';
import type { ByteTransport } from '../hal/serial/transport.js';

/**
 * How long (clock time) an emulator's close() waits for its last writes: on a line nobody
 * reads they never finish (the kernel's buffers are full), and closing the port cancels them.
 */
export const FLUSH_LIMIT_MS = 2000;

/**
 * @example
 * const queue = new WriteQueue(transport, () => stats.writeErrors++);
 * if (queue.pending < 64) queue.write(frame);
 * await queue.flushed();
 */
export class WriteQueue {
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;

  constructor(
    private readonly transport: Pick<ByteTransport, 'write'>,
    private readonly onError: () => void,
  ) {}

  /** Writes queued and not yet finished. */
  get pending(): number {
    return this.inFlight;
  }

  write(bytes: Uint8Array): void {
    this.inFlight++;
    this.chain = this.chain
      .then(() => this.transport.write(bytes))
      .catch(() => this.onError())
      .finally(() => {
        this.inFlight--;
      });
  }

  /**
   * Resolves when every write so far has finished; with a bound, at the latest `limitMs` later
   * on `clock` (a line nobody reads never finishes them).
   */
  flushed(bound?: { clock: Clock; limitMs: number }): Promise<void> {
    if (!bound) return this.chain;
    return new Promise<void>((resolve) => {
      const timer = bound.clock.setTimeout(resolve, bound.limitMs);
      void this.chain.then(() => {
        bound.clock.clearTimeout(timer);
        resolve();
      });
    });
  }
}
