/**
 * Framing: one MEDIBUS frame is start byte (ESC for a command, SOH for a response), command
 * byte, optional payload, two checksum characters and CR. This file encodes frames for both
 * sides (host and device emulator) and decodes one complete frame; the streaming parser
 * (parser.ts) finds frames in a byte stream.
 */
import { CAN, CR, DC1, DC3, ESC, REALTIME_BIT, SOH } from './constants.js';
import { checksumChars, checksumValue, medibusChecksum } from './checksum.js';

export type MedibusFrameKind = 'command' | 'response';

/**
 * A frame whose checksum was verified. `payload` excludes start, command, checksum and CR. From
 * the streaming parser it is a view into a buffer shared with other payloads (never rewritten):
 * read it, or `slice()` it to own an ArrayBuffer of its own.
 *
 * @example
 * const f: MedibusFrame = { kind: 'response', command: 0x24, payload: ascii('78  10') };
 */
export interface MedibusFrame {
  kind: MedibusFrameKind;
  command: number;
  payload: Uint8Array;
}

/** Expected failures of decoding are data, not exceptions. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

const EMPTY = new Uint8Array(0);

/**
 * True for bytes that may not appear inside a frame's command byte or payload.
 *
 * @example
 * isReservedByte(0x0d); // true (CR ends a frame)
 * isReservedByte(0x03); // false (ETX ends a text record inside a payload)
 */
export function isReservedByte(b: number): boolean {
  return b === ESC || b === SOH || b === CR || b === DC1 || b === DC3 || b === CAN || (b & REALTIME_BIT) !== 0;
}

function assertFrameByte(b: number, what: string): void {
  if (!Number.isInteger(b) || b < 0 || b > 0xff || isReservedByte(b)) {
    throw new TypeError(
      `${what} 0x${b.toString(16)} cannot be sent inside a MEDIBUS frame (ESC, SOH, CR, DC1, DC3, CAN and bytes >= 0x80 are reserved)`,
    );
  }
}

/**
 * Encodes one frame. Throws `TypeError` if the command byte or the payload holds a reserved byte.
 *
 * @example
 * encodeFrame('command', 0x51); // Uint8Array [0x1b, 0x51, 0x36, 0x43, 0x0d]
 */
export function encodeFrame(kind: MedibusFrameKind, command: number, payload: Uint8Array = EMPTY): Uint8Array {
  assertFrameByte(command, 'command byte');
  for (const b of payload) assertFrameByte(b, 'payload byte');
  const out = new Uint8Array(payload.length + 5);
  out[0] = kind === 'command' ? ESC : SOH;
  out[1] = command;
  out.set(payload, 2);
  const [hi, lo] = checksumChars(medibusChecksum(out, 0, payload.length + 2));
  out[payload.length + 2] = hi;
  out[payload.length + 3] = lo;
  out[payload.length + 4] = CR;
  return out;
}

/**
 * A command frame (ESC ...), as the host sends it or a device initiates it.
 *
 * @example
 * encodeCommand(MedibusCommand.MEASURED_CP1); // "\x1b$3F\r"
 */
export function encodeCommand(command: number, payload?: Uint8Array): Uint8Array {
  return encodeFrame('command', command, payload);
}

/**
 * A response frame (SOH ...) echoing the command byte it answers.
 *
 * @example
 * encodeResponse(MedibusCommand.NOP); // "\x01031\r"
 */
export function encodeResponse(command: number, payload?: Uint8Array): Uint8Array {
  return encodeFrame('response', command, payload);
}

/**
 * Decodes exactly one complete frame (start byte through CR) and verifies its checksum.
 *
 * @example
 * const r = decodeFrame(Uint8Array.of(0x1b, 0x51, 0x36, 0x43, 0x0d));
 * if (r.ok) r.value.command; // 0x51
 */
export function decodeFrame(bytes: Uint8Array): DecodeResult<MedibusFrame> {
  const n = bytes.length;
  if (n < 5) return { ok: false, error: `frame of ${n} bytes is shorter than the minimum of 5` };
  const start = bytes[0];
  if (start !== ESC && start !== SOH) return { ok: false, error: `frame starts with 0x${start!.toString(16)}, not ESC or SOH` };
  if (bytes[n - 1] !== CR) return { ok: false, error: 'frame does not end with CR' };
  for (let i = 1; i < n - 1; i++) {
    if (isReservedByte(bytes[i]!)) return { ok: false, error: `reserved byte 0x${bytes[i]!.toString(16)} at offset ${i}` };
  }
  const carried = checksumValue(bytes[n - 3]!, bytes[n - 2]!);
  if (carried < 0) return { ok: false, error: 'checksum characters are not two upper-case hex digits' };
  const computed = medibusChecksum(bytes, 0, n - 3);
  if (carried !== computed) {
    return { ok: false, error: `checksum mismatch: frame carries ${hex2(carried)}, bytes sum to ${hex2(computed)}` };
  }
  return {
    ok: true,
    value: { kind: start === ESC ? 'command' : 'response', command: bytes[1]!, payload: bytes.slice(2, n - 3) },
  };
}

function hex2(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * ASCII text to bytes. Throws `TypeError` on characters outside 7-bit ASCII.
 *
 * @example
 * ascii("0161'Evita4'"); // Uint8Array of 12 bytes
 */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new TypeError(`character ${JSON.stringify(text[i])} at ${i} is not 7-bit ASCII`);
    out[i] = c;
  }
  return out;
}

/**
 * Bytes to text, one character per byte.
 *
 * @example
 * asciiText(Uint8Array.of(0x37, 0x38)); // '78'
 */
export function asciiText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}
