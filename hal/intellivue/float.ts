/**
 * The Data Export FLOAT-Type: a 32-bit value, 8-bit signed exponent (base 10) and 24-bit signed
 * mantissa, value = mantissa * 10^exponent. Four mantissas with exponent 0 are reserved: NaN
 * (0x7FFFFF), NRes (0x800000, "not at this resolution"), +INF (0x7FFFFE) and -INF (0x800002).
 * Special values decode to `null` with their name: never a number a guard could take.
 */

export type FloatSpecial = 'NaN' | 'NRes' | '+INF' | '-INF';

export type DecodedFloat = { value: number; special: null } | { value: null; special: FloatSpecial };

const SPECIALS: ReadonlyMap<number, FloatSpecial> = new Map([
  [0x007fffff, 'NaN'],
  [0x00800000, 'NRes'],
  [0x007ffffe, '+INF'],
  [0x00800002, '-INF'],
]);

/**
 * @example
 * decodeFloat(0xff00037a); // { value: 89, special: null }   (890 * 10^-1)
 * decodeFloat(0x007fffff); // { value: null, special: 'NaN' }
 */
export function decodeFloat(raw: number): DecodedFloat {
  const u = raw >>> 0;
  const special = SPECIALS.get(u);
  if (special) return { value: null, special };
  const exponent = (u >>> 24) << 24 >> 24; // sign-extend the top byte
  let mantissa = u & 0xffffff;
  if (mantissa & 0x800000) mantissa -= 0x1000000;
  // Scale by division for negative exponents: 893 * 10^-1 gives 89.3 exactly, not 89.30000000000001.
  const value = exponent >= 0 ? mantissa * 10 ** exponent : mantissa / 10 ** -exponent;
  return { value, special: null };
}

/**
 * Encodes a finite number with at most `maxDecimals` decimals (default 2) as FLOAT-Type, or a
 * special value. Throws `RangeError` for a number the type cannot carry.
 *
 * @example
 * encodeFloat(89.3); // 0xff00037d
 */
export function encodeFloat(v: number | FloatSpecial, maxDecimals = 2): number {
  if (typeof v === 'string') {
    for (const [raw, name] of SPECIALS) if (name === v) return raw;
    throw new RangeError(`encodeFloat: unknown special value ${String(v)}`);
  }
  if (!Number.isFinite(v)) throw new RangeError(`encodeFloat: ${v} is not finite (use 'NaN', '+INF' or '-INF')`);
  let exponent = 0;
  let mantissa = v;
  // Fewest decimals that carry the value, up to maxDecimals.
  while (exponent > -maxDecimals && Math.abs(mantissa - Math.round(mantissa)) > 1e-9 * Math.max(1, Math.abs(mantissa))) {
    mantissa *= 10;
    exponent--;
  }
  mantissa = Math.round(mantissa);
  while (Math.abs(mantissa) > 0x7ffffd && exponent < 127) {
    mantissa = Math.round(mantissa / 10);
    exponent++;
  }
  if (mantissa > 0x7ffffd || mantissa < -0x7ffffd) throw new RangeError(`encodeFloat: ${v} out of range`);
  return (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;
}
