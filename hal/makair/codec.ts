/**
 * Telemetry message codec, both directions: `decodeTelemetryMessage` for the host,
 * `encodeTelemetryMessage` / `encodeTelemetryFrame` for device emulators. Driven by the
 * layouts in `schema.ts` (protocol v2, makair-telemetry `src/parsers/v2.rs`).
 */
import { VentilatorError } from '../errors.js';
import { wrapTelemetryBody } from './framing.js';
import type { TelemetryMessage } from './messages.js';
import {
  COLON,
  END,
  PROTOCOL_VERSION,
  SCHEMA_BY_CODE,
  SCHEMA_BY_TYPE,
  SEP,
  type Field,
  type FieldKind,
} from './schema.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');
const utf8 = new TextEncoder();
const U32 = 0x1_0000_0000;

class Reader {
  p = 0;
  constructor(readonly b: Uint8Array) {}
  need(n: number, what: string): void {
    if (this.p + n > this.b.length) throw bad(`body ends inside ${what}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.p++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = (this.b[this.p]! << 8) | this.b[this.p + 1]!;
    this.p += 2;
    return v;
  }
  u32(what: string): number {
    return this.u16(what) * 0x10000 + this.u16(what);
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    return this.b.subarray(this.p, (this.p += n));
  }
  expect(byte: number, what: string): void {
    if (this.u8(what) !== byte) throw bad(`expected ${what}`);
  }
}

const bad = (message: string): VentilatorError => new VentilatorError('protocol', `MakAir telemetry: ${message}`);

function readField(r: Reader, name: string, kind: FieldKind): unknown {
  if (typeof kind !== 'string') {
    const tag = r.u8(name);
    if ('enum' in kind) {
      const v = kind.enum.get(tag);
      if (v === undefined) throw bad(`${name}: unknown value ${tag}`);
      return v;
    }
    const variant = kind.union.get(tag);
    if (!variant) throw bad(`${name}: unknown variant ${tag}`);
    const out: Record<string, unknown> = { kind: variant.kind };
    for (const [fname, fkind] of variant.fields) {
      r.expect(SEP, `'\\t' before ${fname}`);
      out[fname] = readField(r, fname, fkind);
    }
    return out;
  }
  switch (kind) {
    case 'u8':
      return r.u8(name);
    case 'bool':
      return r.u8(name) !== 0;
    case 'u16':
      return r.u16(name);
    case 'i16':
      return (r.u16(name) << 16) >> 16;
    case 'u16opt': {
      const v = r.u16(name);
      return v === 0xffff ? null : v;
    }
    case 'i16opt': {
      const v = (r.u16(name) << 16) >> 16;
      return v === 0x7fff ? null : v;
    }
    case 'u32':
      return r.u32(name);
    case 'u64':
      return r.u32(name) * U32 + r.u32(name);
    case 'bytes8':
      return Array.from(r.bytes(r.u8(name), name));
    case 'text8':
      return lossyUtf8.decode(r.bytes(r.u8(name), name));
  }
}

/**
 * Decodes a message body (as found in a `TelemetryFrame`). Throws `VentilatorError('protocol')`
 * for anything that does not follow the v2 layout exactly, including unknown enum values.
 *
 * @example
 * for (const frame of parser.push(chunk)) handle(decodeTelemetryMessage(frame.body));
 */
export function decodeTelemetryMessage(body: Uint8Array): TelemetryMessage {
  const r = new Reader(body);
  const schema = SCHEMA_BY_CODE[r.u8('message letter')];
  if (!schema) throw bad(`unknown message letter 0x${body[0]?.toString(16)}`);
  r.expect(COLON, "':' after the letter");
  const version = r.u8('protocol version');
  if (version !== PROTOCOL_VERSION) throw bad(`protocol version ${version}, only 2 is supported`);
  let softwareVersion: string;
  try {
    softwareVersion = strictUtf8.decode(r.bytes(r.u8('version length'), 'software version'));
  } catch (e) {
    if (e instanceof VentilatorError) throw e;
    throw bad('software version is not UTF-8');
  }
  const deviceId = `${r.u32('device id')}-${r.u32('device id')}-${r.u32('device id')}`;
  const out: Record<string, unknown> = { type: schema.type, softwareVersion, deviceId };
  for (const [name, kind] of schema.fields) {
    r.expect(SEP, `'\\t' before ${name}`);
    out[name] = readField(r, name, kind);
  }
  r.expect(END, "'\\n' at the end of the message");
  if (r.p !== body.length) throw bad(`${body.length - r.p} bytes after the end of the message`);
  return out as unknown as TelemetryMessage;
}

function uint(name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new TypeError(`${name}: ${String(v)} is not an integer in 0-${max}`);
  return v;
}

function int16(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x8000 || v > 0x7fff) throw new TypeError(`${name}: ${String(v)} is not an i16`);
  return v & 0xffff;
}

function writeField(out: number[], name: string, kind: FieldKind, v: unknown): void {
  const u16 = (x: number): void => void out.push(x >>> 8, x & 0xff);
  const u32 = (x: number): void => void out.push(Math.floor(x / 0x100_0000), (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
  if (typeof kind !== 'string') {
    if ('enum' in kind) {
      const tag = [...kind.enum].find(([, value]) => value === v)?.[0];
      if (tag === undefined) throw new TypeError(`${name}: ${String(v)} is not one of ${[...kind.enum.values()].join(', ')}`);
      out.push(tag);
      return;
    }
    const obj = v as { kind?: unknown } & Record<string, unknown>;
    const entry = [...kind.union].find(([, variant]) => variant.kind === obj?.kind);
    if (!entry) throw new TypeError(`${name}: kind ${String(obj?.kind)} is not a known variant`);
    out.push(entry[0]);
    for (const [fname, fkind] of entry[1].fields) {
      out.push(SEP);
      writeField(out, `${name}.${fname}`, fkind, obj[fname]);
    }
    return;
  }
  switch (kind) {
    case 'u8':
      out.push(uint(name, v, 0xff));
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw new TypeError(`${name}: ${String(v)} is not a boolean`);
      out.push(v ? 1 : 0);
      return;
    case 'u16':
      return u16(uint(name, v, 0xffff));
    case 'i16':
      return u16(int16(name, v));
    case 'u16opt':
      // 0xFFFF means "absent" on the wire, so a present value must stay below it.
      return u16(v === null ? 0xffff : uint(name, v, 0xfffe));
    case 'i16opt':
      // 0x7FFF (i16::MAX) means "absent" on the wire.
      if (v === 0x7fff) throw new TypeError(`${name}: 32767 is reserved for "absent" (use null)`);
      return u16(v === null ? 0x7fff : int16(name, v));
    case 'u32':
      return u32(uint(name, v, U32 - 1));
    case 'u64': {
      const x = uint(name, v, Number.MAX_SAFE_INTEGER);
      u32(Math.floor(x / U32));
      return u32(x % U32);
    }
    case 'bytes8': {
      if (!Array.isArray(v) || v.length > 255) throw new TypeError(`${name}: expected at most 255 bytes`);
      out.push(v.length, ...v.map((b, i) => uint(`${name}[${i}]`, b, 0xff)));
      return;
    }
    case 'text8': {
      const bytes = utf8.encode(String(v));
      if (bytes.length > 255) throw new TypeError(`${name}: longer than 255 bytes`);
      out.push(bytes.length, ...bytes);
      return;
    }
  }
}

function deviceIdWords(id: string): number[] {
  const parts = id.split('-');
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) throw new TypeError(`deviceId: '${id}' is not three decimal u32 words joined by '-'`);
  return parts.map((p, i) => uint(`deviceId word ${i}`, Number(p), U32 - 1));
}

/**
 * Encodes a message body (device side). Throws `TypeError` naming the first field whose value
 * the wire cannot carry.
 *
 * @example
 * const body = encodeTelemetryMessage({ type: 'ack', softwareVersion: '1.0', deviceId: '1-2-3', systickUs: 0, setting: 3, value: 100 });
 */
export function encodeTelemetryMessage(msg: TelemetryMessage): Uint8Array {
  const schema = SCHEMA_BY_TYPE.get(msg.type);
  if (!schema) throw new TypeError(`type: '${String((msg as { type: unknown }).type)}' is not a MakAir telemetry message`);
  const version = utf8.encode(msg.softwareVersion);
  if (version.length > 255) throw new TypeError('softwareVersion: longer than 255 bytes');
  const out: number[] = [schema.letter.charCodeAt(0), COLON, PROTOCOL_VERSION, version.length, ...version];
  for (const w of deviceIdWords(msg.deviceId)) out.push(w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff);
  const record = msg as unknown as Record<string, unknown>;
  for (const [name, kind] of schema.fields as readonly Field[]) {
    out.push(SEP);
    writeField(out, name, kind, record[name]);
  }
  out.push(END);
  return Uint8Array.from(out);
}

/**
 * Encodes a complete telemetry frame (header, body, CRC, footer), ready to write to the port.
 *
 * @example
 * device.write(encodeTelemetryFrame(stateSnapshot));
 */
export function encodeTelemetryFrame(msg: TelemetryMessage): Uint8Array {
  return wrapTelemetryBody(encodeTelemetryMessage(msg));
}
