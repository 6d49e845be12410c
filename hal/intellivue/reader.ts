/**
 * Bounds-checked big-endian reading and writing for the Data Export codec. Every read past
 * the end of a message throws `IntelliVueDecodeError`, so a truncated or malformed message is
 * refused whole and never yields a partial sample.
 */

/** A message (or part of one) the codec cannot decode. */
export class IntelliVueDecodeError extends Error {
  readonly decode = true as const;
  constructor(message: string) {
    super(message);
    this.name = 'IntelliVueDecodeError';
  }
}

/** Reads big-endian integers from a byte range, refusing to read beyond it. */
export class Reader {
  private at: number;
  private readonly end: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = start;
    this.end = end;
  }

  get offset(): number {
    return this.at;
  }

  get remaining(): number {
    return this.end - this.at;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.at + n > this.end) throw new IntelliVueDecodeError(`truncated: ${what} needs ${n} byte(s) at offset ${this.at}, ${this.end - this.at} left`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.view.getUint8(this.at++);
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }

  bytesOf(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** A reader over the next `n` bytes (consumed here). */
  sub(n: number, what: string): Reader {
    this.need(n, what);
    const r = new Reader(this.bytes, this.at, this.at + n);
    this.at += n;
    return r;
  }

  skip(n: number, what = 'skip'): void {
    this.need(n, what);
    this.at += n;
  }
}

/** Builds a message from big-endian fields. */
export class Writer {
  private readonly parts: number[] = [];

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    this.parts.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  u32(v: number): this {
    this.parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }

  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]! & 0xff);
    return this;
  }

  get length(): number {
    return this.parts.length;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
