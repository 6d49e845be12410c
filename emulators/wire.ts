/**
 * The emulator's side of the wire: frames go out in order, through the fault switches
 * (dropped link, stall, corrupted, duplicated or truncated frames). A line nobody reads (a
 * pseudo-terminal with nothing on the other end) must not grow an unbounded queue: past a
 * backlog of pending writes, frames marked droppable are skipped and counted.
 */
import type { ByteTransport } from '../hal/serial/transport.js';
import type { FaultSwitches } from './faults.js';
import { WriteQueue } from './writeQueue.js';

export interface WireStats {
  framesSent: number;
  bytesSent: number;
  corrupted: number;
  duplicated: number;
  truncated: number;
  /** Frames not sent because the link was down or the device stalled. */
  suppressed: number;
  /** Frames skipped because the line was not draining. */
  skippedBacklog: number;
  writeErrors: number;
}

export interface FrameWriterOptions {
  transport: ByteTransport;
  faults: FaultSwitches;
  /** Damages a frame's CRC or checksum the way line noise would (protocol-specific). */
  corruptFrame: (frame: Uint8Array) => Uint8Array;
  /** Pending writes beyond which droppable frames are skipped (default 64). */
  maxBacklog?: number;
}

/**
 * @example
 * const wire = new FrameWriter({ transport, faults, corruptFrame: (f) => flipCrcBit(f) });
 * wire.send(encodeTelemetryFrame(ack));
 * wire.send(encodeTelemetryFrame(data), { droppable: true });
 */
export class FrameWriter {
  readonly stats: WireStats = { framesSent: 0, bytesSent: 0, corrupted: 0, duplicated: 0, truncated: 0, suppressed: 0, skippedBacklog: 0, writeErrors: 0 };
  private readonly queue: WriteQueue;
  private readonly maxBacklog: number;

  constructor(private readonly o: FrameWriterOptions) {
    this.maxBacklog = o.maxBacklog ?? 64;
    this.queue = new WriteQueue(o.transport, () => this.stats.writeErrors++);
  }

  /** Sends one frame through the faults. Returns false when it was not sent. */
  send(frame: Uint8Array, options: { droppable?: boolean } = {}): boolean {
    const { faults } = this.o;
    if (faults.dropped || faults.stalled || !this.o.transport.isOpen) {
      this.stats.suppressed++;
      return false;
    }
    if (options.droppable && this.queue.pending >= this.maxBacklog) {
      this.stats.skippedBacklog++;
      return false;
    }
    const fault = faults.takeOutgoing();
    let bytes = frame;
    if (fault === 'corrupt') {
      bytes = this.o.corruptFrame(frame);
      this.stats.corrupted++;
    } else if (fault === 'truncate') {
      bytes = frame.slice(0, Math.max(1, Math.floor(frame.length / 2)));
      this.stats.truncated++;
    }
    this.write(bytes);
    if (fault === 'duplicate') {
      this.write(frame);
      this.stats.duplicated++;
    }
    return true;
  }

  /** Resolves when every write so far has drained (with a bound: at the latest `limitMs` later). */
  flushed(bound?: Parameters<WriteQueue['flushed']>[0]): Promise<void> {
    return this.queue.flushed(bound);
  }

  private write(bytes: Uint8Array): void {
    this.stats.framesSent++;
    this.stats.bytesSent += bytes.length;
    this.queue.write(bytes);
  }
}
