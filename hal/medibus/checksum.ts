/**
 * The MEDIBUS checksum: the sum of every byte from the start byte through the last payload
 * byte, low 8 bits, sent as two upper-case ASCII hex characters (always two, zero-padded).
 * Example from the specification: ICC = 1B 51 | 36 43 | 0D, since 0x1B + 0x51 = 0x6C = "6C".
 */

const HEX_UPPER = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46] as const;

/** Value of an upper-case hex digit byte, or -1 (lower case is not a valid checksum digit). */
export const HEX_DIGIT_VALUE: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  HEX_UPPER.forEach((c, i) => (t[c] = i));
  return t;
})();

/**
 * Low 8 bits of the sum of `bytes[start..end)`.
 *
 * @example
 * medibusChecksum(Uint8Array.of(0x1b, 0x51)); // 0x6c
 */
export function medibusChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/**
 * The two ASCII characters that carry a checksum, upper case and zero-padded.
 *
 * @example
 * checksumChars(0x0a); // [0x30, 0x41]  ("0A")
 */
export function checksumChars(sum: number): [hi: number, lo: number] {
  const s = sum & 0xff;
  return [HEX_UPPER[s >> 4]!, HEX_UPPER[s & 0x0f]!];
}

/**
 * Value carried by two checksum characters, or -1 if either is not an upper-case hex digit.
 *
 * @example
 * checksumValue(0x36, 0x43); // 0x6c
 */
export function checksumValue(hi: number, lo: number): number {
  const h = HEX_DIGIT_VALUE[hi & 0xff]!;
  const l = HEX_DIGIT_VALUE[lo & 0xff]!;
  return h < 0 || l < 0 ? -1 : (h << 4) | l;
}
