/**
 * Length of a telemetry message body, measured from its own bytes. The v2 protocol has no
 * length field: a body ends where its layout (`schema.ts`) says it ends, so the stream parser
 * walks the layout, checking every fixed byte it passes (':', version 2, each '\t', the final
 * '\n', union tags) as soon as that byte has arrived. A candidate that breaks the layout is
 * rejected at the first wrong byte instead of waiting for bytes it will never get.
 */
import { COLON, DEVICE_ID_BYTES, END, PREFIX_BYTES, PROTOCOL_VERSION, SCHEMA_BY_CODE, SEP, widthOf, type Field } from './schema.js';

/** More bytes are needed before the length is known. */
export const NEED_MORE = -1;
/** The bytes cannot start a v2 message body. */
export const INVALID = -2;

const VARIABLE = -1;
const UNION = -2;

interface CompiledLayout {
  readonly widths: Int8Array;
  /** For union fields: the widths of each variant, by tag. */
  readonly variants: ReadonlyArray<ReadonlyArray<Int8Array | undefined> | undefined>;
}

function compile(fields: readonly Field[]): CompiledLayout {
  const widths = new Int8Array(fields.length);
  const variants: Array<Array<Int8Array | undefined> | undefined> = [];
  fields.forEach(([, kind], i) => {
    widths[i] = widthOf(kind);
    if (typeof kind !== 'string' && 'union' in kind) {
      const byTag: Array<Int8Array | undefined> = new Array(256).fill(undefined);
      for (const [tag, v] of kind.union) byTag[tag] = Int8Array.from(v.fields.map(([, k]) => widthOf(k)));
      variants[i] = byTag;
    }
  });
  return { widths, variants };
}

const LAYOUTS: ReadonlyArray<CompiledLayout | undefined> = SCHEMA_BY_CODE.map((s) => (s ? compile(s.fields) : undefined));

/** Largest body a layout allows: every length byte at 255, the longest union variant. */
function maxBytes(fields: readonly Field[]): number {
  let n = 0;
  for (const [, kind] of fields) {
    const w = widthOf(kind);
    n += 1; // '\t'
    if (w > 0) n += w;
    else if (w === VARIABLE) n += 256;
    else if (typeof kind !== 'string' && 'union' in kind) {
      n += 1 + Math.max(...[...kind.union.values()].map((v) => maxBytes(v.fields)));
    }
  }
  return n;
}

/** Longest possible body of any v2 message; anything longer is impossible and never emitted. */
export const MAX_BODY_BYTES = Math.max(
  ...SCHEMA_BY_CODE.filter((s) => s !== undefined).map((s) => PREFIX_BYTES + 255 + DEVICE_ID_BYTES + maxBytes(s.fields) + 1),
);

/**
 * Measures the body that starts at `start` in `buf` (bytes up to `end` are available).
 * Returns the body length (letter through the final '\n'), `NEED_MORE` or `INVALID`.
 *
 * @example
 * measureBody(frameBytes, 2, frameBytes.length - 6); // length of the body after header 03 0C
 */
export function measureBody(buf: Uint8Array, start: number, end: number): number {
  if (start >= end) return NEED_MORE;
  const layout = LAYOUTS[buf[start]!];
  if (!layout) return INVALID;
  if (start + 1 >= end) return NEED_MORE;
  if (buf[start + 1] !== COLON) return INVALID;
  if (start + 2 >= end) return NEED_MORE;
  if (buf[start + 2] !== PROTOCOL_VERSION) return INVALID;
  if (start + 3 >= end) return NEED_MORE;
  let p = start + PREFIX_BYTES + buf[start + 3]! + DEVICE_ID_BYTES;
  const { widths, variants } = layout;
  for (let i = 0; i < widths.length; i++) {
    if (p >= end) return NEED_MORE;
    if (buf[p] !== SEP) return INVALID;
    p += 1;
    const w = widths[i]!;
    if (w > 0) {
      p += w;
    } else if (w === VARIABLE) {
      if (p >= end) return NEED_MORE;
      p += 1 + buf[p]!;
    } else if (w === UNION) {
      if (p >= end) return NEED_MORE;
      const variant = variants[i]![buf[p]!];
      if (!variant) return INVALID;
      p += 1;
      for (let j = 0; j < variant.length; j++) {
        if (p >= end) return NEED_MORE;
        if (buf[p] !== SEP) return INVALID;
        p += 1;
        const vw = variant[j]!;
        if (vw > 0) p += vw;
        else {
          if (p >= end) return NEED_MORE;
          p += 1 + buf[p]!;
        }
      }
    }
  }
  if (p >= end) return NEED_MORE;
  if (buf[p] !== END) return INVALID;
  const length = p + 1 - start;
  return length <= MAX_BODY_BYTES ? length : INVALID;
}
