/**
 * Telemetry framing (ventilator -> host):
 *
 *   03 0C | message body | CRC-32 BE over the body | 30 C0
 *
 * Sources: makair-firmware `srcs/telemetry.cpp` (header/footer constants, CRC updated with
 * every body byte), makair-telemetry `src/parsers/mod.rs` (`parse_telemetry_message`).
 * There is no length field; the body's own layout says where it ends (`measure.ts`).
 */
import { crc32, writeU32BE } from './crc.js';
import type { TelemetryMessageType } from './messages.js';

export const TELEMETRY_HEADER = Uint8Array.of(0x03, 0x0c);
export const TELEMETRY_FOOTER = Uint8Array.of(0x30, 0xc0);
/** Header + CRC + footer. */
export const TELEMETRY_OVERHEAD_BYTES = 8;

/**
 * A telemetry frame whose footer and CRC were verified. `body` is the message (letter through
 * the final '\n'), a view into the bytes the parser was given.
 */
export interface TelemetryFrame {
  readonly type: TelemetryMessageType;
  readonly body: Uint8Array;
}

/**
 * Wraps a message body into a frame: header, body, CRC-32 BE of the body, footer.
 *
 * @example
 * const frame = wrapTelemetryBody(encodeTelemetryMessage(ack)); // 03 0c 41 3a 02 ... <crc> 30 c0
 */
export function wrapTelemetryBody(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + TELEMETRY_OVERHEAD_BYTES);
  out[0] = 0x03;
  out[1] = 0x0c;
  out.set(body, 2);
  writeU32BE(out, 2 + body.length, crc32(body));
  out[out.length - 2] = 0x30;
  out[out.length - 1] = 0xc0;
  return out;
}
