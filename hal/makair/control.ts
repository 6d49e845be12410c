/**
 * Control frames (host -> ventilator), both directions: the host encodes them, a device
 * emulator decodes them.
 *
 * Layout (11 bytes), from makair-telemetry `src/control.rs` (`to_control_frame`) and
 * makair-firmware `srcs/serial_control.cpp` (`serialControlLoop`):
 *
 *   05 0A | setting u8 | value u16 BE | CRC-32 BE over (setting, value) | 50 A0
 */
import { VentilatorError } from '../errors.js';
import { crc32, readU32BE, writeU32BE } from './crc.js';
import { MAX_CONTROL_SETTING_ID, controlSettingInfo } from './settings.js';

export const CONTROL_HEADER = Uint8Array.of(0x05, 0x0a);
export const CONTROL_FOOTER = Uint8Array.of(0x50, 0xa0);
export const CONTROL_FRAME_BYTES = 11;

/** One setting change: `setting` is a `ControlSetting` id, `value` a u16 in the setting's wire unit. */
export interface ControlMessage {
  setting: number;
  value: number;
}

/**
 * Encodes a control frame. Throws `TypeError` (naming the field) for an unknown setting id or
 * a value that is not a u16; bounds are the caller's business (see `controlValueWithinBounds`).
 *
 * @example
 * encodeControlFrame({ setting: ControlSetting.PEEP, value: 100 });
 * // 05 0a 03 00 64 b7 d8 c2 0a 50 a0
 */
export function encodeControlFrame(msg: ControlMessage): Uint8Array {
  if (!controlSettingInfo(msg.setting)) throw new TypeError(`setting: ${msg.setting} is not a MakAir control setting id (0-${MAX_CONTROL_SETTING_ID})`);
  if (!Number.isInteger(msg.value) || msg.value < 0 || msg.value > 0xffff) {
    throw new TypeError(`value: ${msg.value} is not a u16 (0-65535)`);
  }
  const out = new Uint8Array(CONTROL_FRAME_BYTES);
  out[0] = 0x05;
  out[1] = 0x0a;
  out[2] = msg.setting;
  out[3] = msg.value >>> 8;
  out[4] = msg.value & 0xff;
  writeU32BE(out, 5, crc32(out.subarray(2, 5)));
  out[9] = 0x50;
  out[10] = 0xa0;
  return out;
}

/**
 * Decodes one complete control frame. Throws `VentilatorError('protocol')` for a wrong length,
 * header, footer, CRC or an unknown setting id: such a frame is never acted on.
 *
 * @example
 * decodeControlFrame(encodeControlFrame({ setting: 3, value: 100 })); // { setting: 3, value: 100 }
 */
export function decodeControlFrame(frame: Uint8Array): ControlMessage {
  if (frame.length !== CONTROL_FRAME_BYTES) throw new VentilatorError('protocol', `control frame is ${frame.length} bytes, expected 11`);
  if (frame[0] !== 0x05 || frame[1] !== 0x0a) throw new VentilatorError('protocol', 'control frame header is not 05 0A');
  if (frame[9] !== 0x50 || frame[10] !== 0xa0) throw new VentilatorError('protocol', 'control frame footer is not 50 A0');
  const expected = readU32BE(frame, 5);
  const computed = crc32(frame.subarray(2, 5));
  if (expected !== computed) {
    throw new VentilatorError('protocol', `control frame CRC mismatch: carried ${hex(expected)}, computed ${hex(computed)}`);
  }
  const setting = frame[2]!;
  if (!controlSettingInfo(setting)) throw new VentilatorError('protocol', `control frame names unknown setting ${setting}`);
  return { setting, value: (frame[3]! << 8) | frame[4]! };
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

export interface ControlParserStats {
  frames: number;
  crcErrors: number;
  /** Frames with a good CRC naming a setting id the firmware does not list. */
  unknownSettings: number;
  garbageBytes: number;
}

/**
 * Streaming decoder of control frames, for the device side (emulators). Resynchronises on the
 * header after garbage; a frame with a bad footer or CRC is counted and dropped, and scanning
 * resumes one byte after its header so a good frame hidden behind it is still found.
 *
 * @example
 * const parser = new ControlFrameParser();
 * port.on('data', (chunk) => parser.push(chunk).forEach(handleSetting));
 */
export class ControlFrameParser {
  readonly stats: ControlParserStats = { frames: 0, crcErrors: 0, unknownSettings: 0, garbageBytes: 0 };
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): ControlMessage[] {
    const buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const out: ControlMessage[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const h = buf.indexOf(0x05, pos);
      if (h < 0) {
        this.stats.garbageBytes += buf.length - pos;
        pos = buf.length;
        break;
      }
      this.stats.garbageBytes += h - pos;
      pos = h;
      if (h + 1 < buf.length && buf[h + 1] !== 0x0a) {
        this.stats.garbageBytes += 1;
        pos = h + 1;
        continue;
      }
      if (h + CONTROL_FRAME_BYTES > buf.length) break;
      const ok = buf[h + 9] === 0x50 && buf[h + 10] === 0xa0 && readU32BE(buf, h + 5) === crc32(buf.subarray(h + 2, h + 5));
      if (!ok) {
        this.stats.crcErrors += 1;
        this.stats.garbageBytes += 1;
        pos = h + 1;
        continue;
      }
      const setting = buf[h + 2]!;
      if (controlSettingInfo(setting)) {
        this.stats.frames += 1;
        out.push({ setting, value: (buf[h + 3]! << 8) | buf[h + 4]! });
      } else {
        this.stats.unknownSettings += 1;
      }
      pos = h + CONTROL_FRAME_BYTES;
    }
    this.pending = pos < buf.length ? buf.slice(pos) : new Uint8Array(0);
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
