/**
 * Streaming telemetry parser: bytes in arbitrary chunks -> verified frames.
 *
 * - Resynchronises on the header 03 0C after garbage.
 * - Measures each candidate body from its layout (`measure.ts`), then checks the footer
 *   30 C0 and the CRC-32. A candidate that fails any check is counted and dropped, and
 *   scanning resumes one byte after its header, so a good frame that a corrupted or truncated
 *   one ran into is still found.
 * - Never emits a frame whose CRC fails or whose length its layout does not allow.
 * - Allocation-light: chunks are appended to a 16 KiB store and frames are views into it.
 *   A region of the store is never written twice, so a frame stays valid after later pushes,
 *   and a caller may reuse its chunk buffers. One allocation per 16 KiB of input.
 */
import { crc32Range, readU32BE } from './crc.js';
import type { TelemetryFrame } from './framing.js';
import { INVALID, NEED_MORE, measureBody } from './measure.js';
import type { TelemetryMessageType } from './messages.js';
import { SCHEMA_BY_CODE } from './schema.js';

export interface TelemetryParserStats {
  /** Frames emitted (footer and CRC verified). */
  frames: number;
  /** Candidates whose layout and footer were right but whose CRC did not match. */
  crcErrors: number;
  /** Candidates rejected before the CRC: unknown letter, wrong version, separator or footer, or cut short at `flush()`. */
  malformed: number;
  /** Bytes dropped: not part of any emitted frame. */
  garbageBytes: number;
}

const TYPE_BY_CODE: ReadonlyArray<TelemetryMessageType | undefined> = SCHEMA_BY_CODE.map((s) => s?.type);
const EMPTY = new Uint8Array(0);
const STORE_BYTES = 16 * 1024;

/**
 * @example
 * const parser = new TelemetryParser();
 * transport.data$.subscribe((chunk) => {
 *   for (const frame of parser.push(chunk)) console.log(frame.type, decodeTelemetryMessage(frame.body));
 * });
 * parser.stats; // { frames, crcErrors, malformed, garbageBytes }
 */
export class TelemetryParser {
  readonly stats: TelemetryParserStats = { frames: 0, crcErrors: 0, malformed: 0, garbageBytes: 0 };
  private store: Uint8Array = EMPTY;
  /** First byte not yet consumed. */
  private start = 0;
  /** End of the bytes received. */
  private end = 0;

  /** Feeds a chunk (copied, so the caller may reuse it); returns the frames it completed. */
  push(chunk: Uint8Array): TelemetryFrame[] {
    if (this.end + chunk.length > this.store.length) {
      const held = this.store.subarray(this.start, this.end);
      this.store = new Uint8Array(Math.max(STORE_BYTES, held.length + chunk.length));
      this.store.set(held);
      this.start = 0;
      this.end = held.length;
    }
    this.store.set(chunk, this.end);
    this.end += chunk.length;
    const out: TelemetryFrame[] = [];
    this.start = this.scan(this.store, this.start, this.end, out, false);
    return out;
  }

  /**
   * End of input: gives up on a frame still waiting for bytes (counted as malformed), rescans
   * what followed its header, and returns any frame found there. The parser is empty after.
   */
  flush(): TelemetryFrame[] {
    const out: TelemetryFrame[] = [];
    this.scan(this.store, this.start, this.end, out, true);
    this.store = EMPTY;
    this.start = 0;
    this.end = 0;
    return out;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Scans `buf[from, end)`, appending frames to `out`; returns the offset of the first unconsumed byte. */
  private scan(buf: Uint8Array, from: number, end: number, out: TelemetryFrame[], final: boolean): number {
    const stats = this.stats;
    let pos = from;
    while (pos < end) {
      // A plain loop: `indexOf` would run past `end` into the unused part of the store.
      let h = pos;
      while (h < end && buf[h] !== 0x03) h++;
      if (h === end) {
        stats.garbageBytes += end - pos;
        return end;
      }
      stats.garbageBytes += h - pos;
      pos = h;
      if (h + 1 >= end) {
        if (!final) return h;
        stats.garbageBytes += 1;
        return end;
      }
      if (buf[h + 1] !== 0x0c) {
        stats.garbageBytes += 1;
        pos = h + 1;
        continue;
      }
      const bodyStart = h + 2;
      const bodyLength = measureBody(buf, bodyStart, end);
      const bodyEnd = bodyStart + bodyLength;
      if (bodyLength === NEED_MORE || (bodyLength !== INVALID && bodyEnd + 6 > end)) {
        if (!final) return h;
        stats.malformed += 1;
        stats.garbageBytes += 1;
        pos = h + 1;
        continue;
      }
      if (bodyLength === INVALID || buf[bodyEnd + 4] !== 0x30 || buf[bodyEnd + 5] !== 0xc0) {
        stats.malformed += 1;
        stats.garbageBytes += 1;
        pos = h + 1;
        continue;
      }
      if (crc32Range(buf, bodyStart, bodyEnd) !== readU32BE(buf, bodyEnd)) {
        stats.crcErrors += 1;
        stats.garbageBytes += 1;
        pos = h + 1;
        continue;
      }
      stats.frames += 1;
      out.push({ type: TYPE_BY_CODE[buf[bodyStart]!]!, body: buf.subarray(bodyStart, bodyEnd) });
      pos = bodyEnd + 6;
    }
    return pos;
  }
}
