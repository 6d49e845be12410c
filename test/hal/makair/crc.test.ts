import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Range, readU32BE, writeU32BE } from '../../../hal/makair/index.js';

describe('MakAir CRC-32 (standard zlib CRC, big-endian on the wire)', () => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32Range(new TextEncoder().encode('123456789'), 0, 9)).toBe(0xcbf43926);
  });

  it('gives the CRC of an empty input as 0', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Range(new Uint8Array(4), 2, 2)).toBe(0);
  });

  it('computes over (setting, value) of a control frame as zlib does (vector from Python zlib.crc32)', () => {
    // setting 3 (PEEP), value 100 = 00 64
    expect(crc32(Uint8Array.of(0x03, 0x00, 0x64))).toBe(0xb7d8c20a);
  });

  it('table CRC over a range equals zlib.crc32 of the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length ? a % (bytes.length + 1) : 0;
        const end = start + (bytes.length - start ? b % (bytes.length - start + 1) : 0);
        expect(crc32Range(bytes, start, end)).toBe(zlibCrc32(bytes.subarray(start, end)) >>> 0);
      }),
    );
  });

  it('reads and writes u32 big-endian', () => {
    const out = new Uint8Array(6);
    writeU32BE(out, 1, 0xb7d8c20a);
    expect(Array.from(out)).toEqual([0, 0xb7, 0xd8, 0xc2, 0x0a, 0]);
    expect(readU32BE(out, 1)).toBe(0xb7d8c20a);
  });
});
