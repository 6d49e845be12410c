/**
 * RS232 through the MIB/RS232 interface: each Data Export message travels in a frame
 *
 *   BOF 0xC0 | protocol id 0x11, message type 0x01, length (u16, user data bytes) | user data | FCS (u16) | EOF 0xC1
 *
 * with transparency: 0xC0, 0xC1 and 0x7D between BOF and EOF are sent as 0x7D, byte XOR 0x20.
 * The FCS is the 16-bit frame check sequence of RFC 1662 (PPP in HDLC-like framing: CRC-CCITT
 * reflected, initial 0xFFFF, ones' complement), over header and user data, least significant
 * byte first. A frame with a bad FCS, a wrong header or length, or an escape before EOF is
 * counted and dropped, never passed on.
 */
const BOF = 0xc0;
const EOF_ = 0xc1;
const ESC = 0x7d;
const PROTOCOL_ID = 0x11;
const MSG_TYPE = 0x01;

const FCS_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let v = b;
    for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
    t[b] = v;
  }
  return t;
})();

/** RFC 1662 FCS-16 of `bytes` (ones' complement applied). */
export function fcs16(bytes: Uint8Array): number {
  let fcs = 0xffff;
  for (const b of bytes) fcs = (fcs >>> 8) ^ FCS_TABLE[(fcs ^ b) & 0xff]!;
  return ~fcs & 0xffff;
}

/** Frames one message for the MIB port. */
export function encodeMibFrame(user: Uint8Array): Uint8Array {
  if (user.length > 0xffff) throw new RangeError(`MIB frame: ${user.length} bytes of user data (at most 65535)`);
  const body = new Uint8Array(4 + user.length + 2);
  body[0] = PROTOCOL_ID;
  body[1] = MSG_TYPE;
  body[2] = user.length >> 8;
  body[3] = user.length & 0xff;
  body.set(user, 4);
  const fcs = fcs16(body.subarray(0, 4 + user.length));
  body[4 + user.length] = fcs & 0xff;
  body[5 + user.length] = fcs >> 8;
  const out: number[] = [BOF];
  for (const b of body) {
    if (b === BOF || b === EOF_ || b === ESC) out.push(ESC, b ^ 0x20);
    else out.push(b);
  }
  out.push(EOF_);
  return Uint8Array.from(out);
}

export interface MibDecoderStats {
  frames: number;
  badFcs: number;
  badHeader: number;
  /** Bytes outside a frame, frames cut by a new BOF, or over the size limit. */
  discarded: number;
}

/**
 * Splits a byte stream into the user data of valid frames. Chunks may split frames anywhere.
 *
 * @example
 * const d = new MibDecoder();
 * for (const msg of d.push(chunk)) handle(msg);
 */
export class MibDecoder {
  readonly stats: MibDecoderStats = { frames: 0, badFcs: 0, badHeader: 0, discarded: 0 };
  private buf: Uint8Array;
  private len = 0;
  private inFrame = false;
  private escaped = false;

  constructor(private readonly maxFrameBytes = 16_384) {
    this.buf = new Uint8Array(Math.min(1024, maxFrameBytes));
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === BOF) {
        if (this.inFrame && this.len) this.stats.discarded++;
        this.inFrame = true;
        this.escaped = false;
        this.len = 0;
        continue;
      }
      if (!this.inFrame) {
        this.stats.discarded++;
        continue;
      }
      if (b === EOF_) {
        this.inFrame = false;
        if (this.escaped) this.stats.badHeader++;
        else {
          const msg = this.check(this.buf.subarray(0, this.len));
          if (msg) out.push(msg);
        }
        this.escaped = false;
        this.len = 0;
        continue;
      }
      let v = b;
      if (this.escaped) {
        v = b ^ 0x20;
        this.escaped = false;
      } else if (b === ESC) {
        this.escaped = true;
        continue;
      }
      if (this.len === this.buf.length) {
        if (this.len >= this.maxFrameBytes) {
          this.stats.discarded++;
          this.inFrame = false;
          this.len = 0;
          continue;
        }
        const bigger = new Uint8Array(Math.min(this.buf.length * 2, this.maxFrameBytes));
        bigger.set(this.buf);
        this.buf = bigger;
      }
      this.buf[this.len++] = v;
    }
    return out;
  }

  private check(frame: Uint8Array): Uint8Array | null {
    if (frame.length < 6 || frame[0] !== PROTOCOL_ID || frame[1] !== MSG_TYPE || ((frame[2]! << 8) | frame[3]!) !== frame.length - 6) {
      this.stats.badHeader++;
      return null;
    }
    const fcs = frame[frame.length - 2]! | (frame[frame.length - 1]! << 8);
    if (fcs16(frame.subarray(0, frame.length - 2)) !== fcs) {
      this.stats.badFcs++;
      return null;
    }
    this.stats.frames++;
    return frame.slice(4, frame.length - 2);
  }
}
