/**
 * Streaming MEDIBUS parser: bytes in, verified frames and link events out.
 *
 * - Bytes with the top bit set are real-time data and are taken out of the framed stream
 *   wherever they appear (one `realtime` event per pushed chunk).
 * - DC1, DC3 and CAN are flow control and are taken out wherever they appear (`flow` events).
 * - A command (ESC ...) may arrive in the middle of a response (SOH ...): it is parsed as a
 *   nested frame and the response continues after its CR.
 * - Every frame's checksum is verified. A frame with a bad checksum, without its CR, or longer
 *   than `maxFrameBytes` is counted and dropped (`dropped` event), never emitted.
 * - Garbage outside frames is skipped; the next ESC or SOH resynchronises.
 *
 * Allocation-light: the outer frame accumulates straight into a shared slab (like Node's
 * Buffer pool) with a running sum, and its payload is handed out as a view of the slab, so a
 * frame costs a view and two small objects, no copy and no new ArrayBuffer. A nested command
 * uses its own small buffer and is copied out.
 */
import { CAN, CR, DC1, DC3, ESC, SOH } from './constants.js';
import { HEX_DIGIT_VALUE } from './checksum.js';
import type { MedibusFrame, MedibusFrameKind } from './frame.js';

export type MedibusDropReason = 'checksum' | 'overflow' | 'truncated' | 'malformed';
export type MedibusFlowControl = 'xon' | 'xoff' | 'cancel';

export type MedibusParserEvent =
  | { type: 'frame'; frame: MedibusFrame }
  | { type: 'realtime'; bytes: Uint8Array }
  | { type: 'flow'; control: MedibusFlowControl }
  | { type: 'dropped'; kind: MedibusFrameKind; reason: MedibusDropReason };

export interface MedibusParserStats {
  commands: number;
  responses: number;
  /** Frames whose checksum did not match (dropped). */
  badChecksum: number;
  /** Frames longer than the limit (dropped). */
  overflow: number;
  /** Frames cut off by a new start byte before their CR (dropped). */
  truncated: number;
  /** Frames too short or whose checksum characters are not hex (dropped). */
  malformed: number;
  /** Bytes outside any frame. */
  garbageBytes: number;
  realtimeBytes: number;
  flowControl: number;
}

export interface MedibusParserOptions {
  /** Longest frame kept, start byte through checksum (default 4096). */
  maxFrameBytes?: number;
}

const ORDINARY = 0;
const C_ESC = 1;
const C_SOH = 2;
const C_CR = 3;
const C_FLOW = 4;
const C_RT = 5;
const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x80; b < 0x100; b++) t[b] = C_RT;
  t[ESC] = C_ESC;
  t[SOH] = C_SOH;
  t[CR] = C_CR;
  t[DC1] = C_FLOW;
  t[DC3] = C_FLOW;
  t[CAN] = C_FLOW;
  return t;
})();

const NO_EVENTS: readonly MedibusParserEvent[] = Object.freeze([]);
const MIN_SLAB_BYTES = 64 * 1024;

/** A frame being received: bytes at `buf[base .. base + len)`, with their running sum. */
class Slot {
  buf: Uint8Array;
  base = 0;
  len = 0;
  sum = 0;
  open = false;
  overflowed = false;
  kind: MedibusFrameKind = 'command';
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
  begin(start: number, buf: Uint8Array, base: number): void {
    this.open = true;
    this.overflowed = false;
    this.kind = start === ESC ? 'command' : 'response';
    this.buf = buf;
    this.base = base;
    buf[base] = start;
    this.len = 1;
    this.sum = start;
  }
}

/**
 * @example
 * const parser = new MedibusStreamParser();
 * for (const ev of parser.push(chunk)) if (ev.type === 'frame') handle(ev.frame);
 */
export class MedibusStreamParser {
  private readonly outer: Slot;
  private readonly inner: Slot;
  private readonly max: number;
  private rt: Uint8Array = new Uint8Array(256);
  private readonly slabBytes: number;
  private slab: Uint8Array;
  /** Slab bytes handed out as payloads; the outer frame is received from here on. */
  private slabUsed = 0;
  private readonly s: MedibusParserStats = {
    commands: 0,
    responses: 0,
    badChecksum: 0,
    overflow: 0,
    truncated: 0,
    malformed: 0,
    garbageBytes: 0,
    realtimeBytes: 0,
    flowControl: 0,
  };

  constructor(options: MedibusParserOptions = {}) {
    const max = options.maxFrameBytes ?? 4096;
    if (!Number.isInteger(max) || max < 4 || max > 1 << 20) {
      throw new TypeError(`maxFrameBytes must be an integer between 4 and 1048576 (got ${String(max)})`);
    }
    this.max = max;
    this.slabBytes = Math.max(MIN_SLAB_BYTES, 8 * max);
    this.slab = new Uint8Array(this.slabBytes);
    this.outer = new Slot(this.slab);
    this.inner = new Slot(new Uint8Array(max));
  }

  /** Counters since construction (a live view: copy it to keep a snapshot). */
  get stats(): Readonly<MedibusParserStats> {
    return this.s;
  }

  /** Forgets any partial frame (used when a session restarts). */
  reset(): void {
    this.outer.open = false;
    this.inner.open = false;
  }

  /** Feeds bytes; returns what they completed, in stream order (real-time bytes last). */
  push(chunk: Uint8Array): readonly MedibusParserEvent[] {
    let out: MedibusParserEvent[] | null = null;
    let rtN = 0;
    const outer = this.outer;
    const inner = this.inner;
    const max = this.max;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const slot = inner.open ? inner : outer.open ? outer : null;
      if (slot !== null && !slot.overflowed) {
        // Fast path: copy the run of ordinary bytes into the open frame.
        const buf = slot.buf;
        const base = slot.base;
        let at = base + slot.len;
        const end = Math.min(n, i + (max - slot.len));
        let sum = slot.sum;
        while (i < end) {
          const b = chunk[i]!;
          if (b - 0x20 >>> 0 >= 0x60 && CLASS[b] !== ORDINARY) break;
          buf[at++] = b;
          sum += b;
          i++;
        }
        slot.len = at - base;
        slot.sum = sum;
        if (i === n) break;
      }
      const b = chunk[i++]!;
      const cls = CLASS[b]!;
      if (cls === ORDINARY) {
        if (slot === null) {
          this.s.garbageBytes++;
        } else if (!slot.overflowed) {
          slot.overflowed = true; // the fast path stopped at the limit
          this.s.overflow++;
          (out ??= []).push({ type: 'dropped', kind: slot.kind, reason: 'overflow' });
        }
        continue;
      }
      switch (cls) {
        case C_RT:
          if (rtN === this.rt.length) this.rt = growCopy(this.rt, rtN);
          this.rt[rtN++] = b;
          break;
        case C_FLOW:
          this.s.flowControl++;
          (out ??= []).push({ type: 'flow', control: b === DC1 ? 'xon' : b === DC3 ? 'xoff' : 'cancel' });
          break;
        case C_ESC:
          if (inner.open) out = this.abandon(inner, out);
          if (outer.open && outer.kind === 'response') {
            inner.begin(b, inner.buf, 0);
          } else {
            if (outer.open) out = this.abandon(outer, out);
            this.beginOuter(b);
          }
          break;
        case C_SOH:
          if (inner.open) out = this.abandon(inner, out);
          if (outer.open) out = this.abandon(outer, out);
          this.beginOuter(b);
          break;
        default:
          // C_CR
          if (slot === null) this.s.garbageBytes++;
          else out = this.finish(slot, out);
      }
    }
    if (rtN > 0) {
      this.s.realtimeBytes += rtN;
      (out ??= []).push({ type: 'realtime', bytes: this.rt.slice(0, rtN) });
    }
    return out ?? NO_EVENTS;
  }

  /** Starts the outer frame in the slab, on a fresh slab if the rest could not hold a whole frame. */
  private beginOuter(start: number): void {
    if (this.slabUsed + this.max > this.slabBytes) {
      this.slab = new Uint8Array(this.slabBytes);
      this.slabUsed = 0;
    }
    this.outer.begin(start, this.slab, this.slabUsed);
  }

  private abandon(slot: Slot, out: MedibusParserEvent[] | null): MedibusParserEvent[] | null {
    slot.open = false;
    if (slot.overflowed) return out; // already counted
    this.s.truncated++;
    (out ??= []).push({ type: 'dropped', kind: slot.kind, reason: 'truncated' });
    return out;
  }

  private finish(slot: Slot, out: MedibusParserEvent[] | null): MedibusParserEvent[] | null {
    slot.open = false;
    if (slot.overflowed) return out;
    const n = slot.len;
    const buf = slot.buf;
    const base = slot.base;
    let reason: MedibusDropReason | null = null;
    if (n < 4) {
      reason = 'malformed';
    } else {
      const c1 = buf[base + n - 2]!;
      const c2 = buf[base + n - 1]!;
      const hi = HEX_DIGIT_VALUE[c1]!;
      const lo = HEX_DIGIT_VALUE[c2]!;
      if (hi < 0 || lo < 0) reason = 'malformed';
      else if (((hi << 4) | lo) !== ((slot.sum - c1 - c2) & 0xff)) reason = 'checksum';
    }
    if (reason !== null) {
      if (reason === 'checksum') this.s.badChecksum++;
      else this.s.malformed++;
      (out ??= []).push({ type: 'dropped', kind: slot.kind, reason });
      return out;
    }
    if (slot.kind === 'command') this.s.commands++;
    else this.s.responses++;
    let payload: Uint8Array;
    if (slot === this.outer) {
      // Hand the payload out as a view; the slab space behind it is never written again.
      payload = buf.subarray(base + 2, base + n - 2);
      this.slabUsed = base + n - 2;
    } else {
      payload = buf.slice(2, n - 2);
    }
    (out ??= []).push({ type: 'frame', frame: { kind: slot.kind, command: buf[base + 1]!, payload } });
    return out;
  }
}

function growCopy(buf: Uint8Array, used: number): Uint8Array {
  const next = new Uint8Array(buf.length * 2);
  next.set(buf.subarray(0, used));
  return next;
}
