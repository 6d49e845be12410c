/**
 * CRC-32 as both MakAir directions use it: the standard zlib CRC-32 (reflected, polynomial
 * 0xEDB88320, initial and final XOR 0xFFFFFFFF), sent big-endian after the bytes it covers.
 *
 * Sources: makair-telemetry `src/control.rs` and `src/parsers/mod.rs` (crc32fast::Hasher),
 * makair-firmware `srcs/serial_control.cpp` and `srcs/telemetry.cpp` (Arduino CRC32 library).
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * The CRC-32 of `bytes` (unsigned 32-bit integer).
 *
 * @example
 * crc32(new TextEncoder().encode('123456789')); // 0xCBF43926, the standard check value
 */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0;
}

// Slicing-by-8 tables of the same CRC (reflected polynomial 0xEDB88320).
const TABLE = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let s = 1; s < 8; s++) {
      const prev = t[(s - 1) * 256 + n]!;
      t[s * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
})();

/**
 * The same CRC-32 over `bytes[start, end)`, computed in JavaScript without creating a view.
 * The stream parser verifies every frame with it: on 50-byte telemetry bodies the per-call
 * overhead of `zlib.crc32` (about 130 ns, plus a subarray) costs more than the whole table
 * computation (about 60 ns). Tests check it against `zlib.crc32` on random inputs.
 *
 * @example
 * crc32Range(frame, 2, frame.length - 6) === crc32(frame.subarray(2, frame.length - 6)); // true
 */
export function crc32Range(bytes: Uint8Array, start: number, end: number): number {
  const t = TABLE;
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * Reads a big-endian u32 at `offset` (the byte order of every MakAir CRC field).
 *
 * @example
 * readU32BE(Uint8Array.of(0xb7, 0xd8, 0xc2, 0x0a), 0); // 0xB7D8C20A
 */
export function readU32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

/**
 * Writes `value` as a big-endian u32 at `offset`.
 *
 * @example
 * const out = new Uint8Array(4);
 * writeU32BE(out, 0, 0xb7d8c20a); // out = b7 d8 c2 0a
 */
export function writeU32BE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
