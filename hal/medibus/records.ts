/**
 * Payload records, encoded and decoded for both sides (the host decodes what a device sends;
 * a device emulator encodes it). Layouts from the MEDIBUS Rev 6.00 definition, as implemented
 * in mdpnp/mdpnp `Medibus.java` and xeonfusion/VSCaptureDrgVent `Class1.cs`:
 * - measured data and alarm limits: 2 ASCII-hex code chars + 4 value chars (space padded);
 * - device settings: 2 code chars + 5 value chars;
 * - alarms: 1 priority char ('0' + priority) + 2 code chars + 12-char phrase;
 * - text messages: 2 code chars + 1 length char ('0' + n) + n text chars + ETX;
 * - device identification: 4-char id number + 'Name' in apostrophes + 11-char revision
 *   (e.g. "01.03:06.00": device revision and MEDIBUS version).
 */
import { ETX } from './constants.js';
import { ascii, asciiText, type DecodeResult } from './frame.js';

/** One measured value, alarm limit or setting as on the wire (value text untrimmed). */
export interface MedibusDataRecord {
  code: number;
  raw: string;
}

export interface MedibusAlarmRecord {
  priority: number;
  code: number;
  phrase: string;
}

export interface MedibusTextRecord {
  code: number;
  text: string;
}

export interface MedibusDeviceId {
  /** Four-character device identification number, e.g. "0161". */
  idNumber: string;
  name: string;
  /** The 11-character revision field, trimmed (e.g. "01.03:06.00"). */
  revision: string;
}

/** Width of the value field: measured data and alarm limits 4, device settings 5. */
export const MEASURED_VALUE_CHARS = 4;
export const SETTING_VALUE_CHARS = 5;
const ALARM_RECORD_CHARS = 15;
const ALARM_PHRASE_CHARS = 12;
const REVISION_CHARS = 11;

const hexCode = (code: number): string => {
  if (!Number.isInteger(code) || code < 0 || code > 0xff) throw new TypeError(`code must be 0-255 (got ${String(code)})`);
  return code.toString(16).toUpperCase().padStart(2, '0');
};

function readCode(text: string, at: number): number {
  const s = text.slice(at, at + 2);
  return /^[0-9A-Fa-f]{2}$/.test(s) ? parseInt(s, 16) : -1;
}

function assertPrintable(text: string, what: string): void {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new TypeError(`${what} ${JSON.stringify(text)} must be printable ASCII`);
}

/**
 * Formats a number into a fixed-width MEDIBUS value field (right-aligned, space padded),
 * keeping as many decimals as fit. Throws `TypeError` if the integer part does not fit.
 *
 * @example
 * formatMedibusNumber(12.5, 4); // '12.5'
 * formatMedibusNumber(420, 4);  // ' 420'
 */
export function formatMedibusNumber(value: number, width: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`value must be finite (got ${value})`);
  for (let d = Math.max(0, width - 2); d >= 0; d--) {
    let s = value.toFixed(d);
    if (d > 0) s = s.replace(/0+$/, '').replace(/\.$/, '');
    if (s === '-0') s = '0';
    if (s.length <= width) return s.padStart(width, ' ');
  }
  throw new TypeError(`${value} does not fit a ${width}-character MEDIBUS field`);
}

/**
 * Parses a value field: a decimal number with optional sign, surrounded by spaces. Anything
 * else (blank, dashes, "***") is not a number and gives null.
 *
 * @example
 * parseMedibusNumber(' 8.5'); // 8.5
 * parseMedibusNumber('----'); // null
 */
export function parseMedibusNumber(raw: string): number | null {
  const s = raw.trim();
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/**
 * Encodes code/value records (device side). `width` is 4 for measured data and limits, 5 for settings.
 *
 * @example
 * encodeDataRecords([{ code: 0x78, value: 8 }], 4); // "78   8"
 */
export function encodeDataRecords(records: ReadonlyArray<{ code: number; value: number | string }>, width: number): Uint8Array {
  let text = '';
  for (const r of records) {
    const v = typeof r.value === 'number' ? formatMedibusNumber(r.value, width) : r.value.padStart(width, ' ');
    if (v.length !== width) throw new TypeError(`value ${JSON.stringify(r.value)} is longer than ${width} characters`);
    assertPrintable(v, 'value');
    text += hexCode(r.code) + v;
  }
  return ascii(text);
}

/**
 * Decodes code/value records (measured data, alarm limits: width 4; settings: width 5).
 *
 * @example
 * decodeDataRecords(ascii('78   8'), 4); // { ok: true, value: [{ code: 0x78, raw: '   8' }] }
 */
export function decodeDataRecords(payload: Uint8Array, width: number): DecodeResult<MedibusDataRecord[]> {
  const size = 2 + width;
  if (payload.length % size !== 0) {
    return { ok: false, error: `payload of ${payload.length} bytes is not a whole number of ${size}-byte records` };
  }
  const text = asciiText(payload);
  const out: MedibusDataRecord[] = [];
  for (let at = 0; at < text.length; at += size) {
    const code = readCode(text, at);
    if (code < 0) return { ok: false, error: `record at ${at} has code ${JSON.stringify(text.slice(at, at + 2))}, not two hex digits` };
    out.push({ code, raw: text.slice(at + 2, at + size) });
  }
  return { ok: true, value: out };
}

/**
 * Encodes alarm records (device side).
 *
 * @example
 * encodeAlarmRecords([{ priority: 25, code: 0x10, phrase: 'Paw high' }]);
 */
export function encodeAlarmRecords(records: readonly MedibusAlarmRecord[]): Uint8Array {
  let text = '';
  for (const r of records) {
    if (!Number.isInteger(r.priority) || r.priority < 0 || r.priority > 0x7e - 0x30) {
      throw new TypeError(`alarm priority must be 0-${0x7e - 0x30} (got ${r.priority})`);
    }
    if (r.phrase.length > ALARM_PHRASE_CHARS) throw new TypeError(`alarm phrase ${JSON.stringify(r.phrase)} exceeds 12 characters`);
    assertPrintable(r.phrase, 'alarm phrase');
    text += String.fromCharCode(0x30 + r.priority) + hexCode(r.code) + r.phrase.padEnd(ALARM_PHRASE_CHARS, ' ');
  }
  return ascii(text);
}

/**
 * Decodes alarm records (codepage 1, 2 or 3).
 *
 * @example
 * decodeAlarmRecords(ascii('I10Paw high    ')); // priority 25, code 0x10
 */
export function decodeAlarmRecords(payload: Uint8Array): DecodeResult<MedibusAlarmRecord[]> {
  if (payload.length % ALARM_RECORD_CHARS !== 0) {
    return { ok: false, error: `payload of ${payload.length} bytes is not a whole number of 15-byte alarm records` };
  }
  const text = asciiText(payload);
  const out: MedibusAlarmRecord[] = [];
  for (let at = 0; at < text.length; at += ALARM_RECORD_CHARS) {
    const priority = text.charCodeAt(at) - 0x30;
    const code = readCode(text, at + 1);
    if (priority < 0 || code < 0) return { ok: false, error: `alarm record at ${at} is malformed` };
    out.push({ priority, code, phrase: text.slice(at + 3, at + ALARM_RECORD_CHARS).trimEnd() });
  }
  return { ok: true, value: out };
}

/**
 * Encodes text-message records (device side).
 *
 * @example
 * encodeTextRecords([{ code: 0x01, text: 'IPPV' }]); // "014IPPV\x03"
 */
export function encodeTextRecords(records: readonly MedibusTextRecord[]): Uint8Array {
  const parts: number[] = [];
  for (const r of records) {
    assertPrintable(r.text, 'text message');
    if (r.text.length > 0x7e - 0x30) throw new TypeError(`text message longer than ${0x7e - 0x30} characters`);
    for (const b of ascii(hexCode(r.code) + String.fromCharCode(0x30 + r.text.length) + r.text)) parts.push(b);
    parts.push(ETX);
  }
  return Uint8Array.from(parts);
}

/**
 * Decodes text-message records.
 *
 * @example
 * decodeTextRecords(encodeTextRecords([{ code: 0x0a, text: 'CPAP' }])); // ok, [{ code: 10, text: 'CPAP' }]
 */
export function decodeTextRecords(payload: Uint8Array): DecodeResult<MedibusTextRecord[]> {
  const out: MedibusTextRecord[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 4 > payload.length) return { ok: false, error: `text record at ${at} is cut short` };
    const code = readCode(asciiText(payload, at, at + 2), 0);
    const len = payload[at + 2]! - 0x30;
    if (code < 0 || len < 0) return { ok: false, error: `text record at ${at} is malformed` };
    const end = at + 3 + len;
    if (end >= payload.length || payload[end] !== ETX) return { ok: false, error: `text record at ${at} does not end with ETX` };
    out.push({ code, text: asciiText(payload, at + 3, end) });
    at = end + 1;
  }
  return { ok: true, value: out };
}

/**
 * Encodes a device identification (either side answers command 52H with one).
 *
 * @example
 * encodeDeviceId({ idNumber: '0161', name: 'Evita4', revision: '04.03:06.00' }); // "0161'Evita4'04.03:06.00"
 */
export function encodeDeviceId(id: MedibusDeviceId): Uint8Array {
  if (!/^[\x20-\x7e]{4}$/.test(id.idNumber)) throw new TypeError(`idNumber must be 4 printable characters (got ${JSON.stringify(id.idNumber)})`);
  if (id.name.includes("'")) throw new TypeError('device name may not contain an apostrophe');
  if (id.revision.length > REVISION_CHARS) throw new TypeError(`revision exceeds ${REVISION_CHARS} characters`);
  assertPrintable(id.name, 'device name');
  assertPrintable(id.revision, 'revision');
  return ascii(`${id.idNumber}'${id.name}'${id.revision.padEnd(REVISION_CHARS, ' ')}`);
}

/**
 * Decodes a device identification.
 *
 * @example
 * decodeDeviceId(ascii("0161'Evita4'04.03:06.00")); // ok: { idNumber: '0161', name: 'Evita4', revision: '04.03:06.00' }
 */
export function decodeDeviceId(payload: Uint8Array): DecodeResult<MedibusDeviceId> {
  const text = asciiText(payload);
  const m = /^(.{4})'([^']*)'(.*)$/s.exec(text);
  if (!m) return { ok: false, error: `device identification ${JSON.stringify(text)} is not of the form 0161'Name'revision` };
  return { ok: true, value: { idNumber: m[1]!, name: m[2]!, revision: m[3]!.trim() } };
}

/** Month abbreviations in MEDIBUS date/time answers (German, as Draeger devices send them). */
export const MEDIBUS_MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAI', 'JUN', 'JUL', 'AUG', 'SEP', 'OKT', 'NOV', 'DEZ'] as const;
/** English spellings some devices send instead (mdpnp saw an Evita XL switch to "OCT"). */
const ENGLISH_MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * Encodes the answer to "current date and time" (28H): `hh:mm:ss dd-MMM-yy`, the time of day
 * in 24 h, German month abbreviation, two-digit year. `t` is epoch milliseconds, shown in UTC.
 *
 * @example
 * asciiText(encodeDateTime(Date.UTC(2026, 11, 6, 14, 5, 33))); // '14:05:33 06-DEZ-26'
 */
export function encodeDateTime(t: number): Uint8Array {
  if (!Number.isFinite(t)) throw new TypeError(`time must be finite epoch milliseconds (got ${t})`);
  const d = new Date(t);
  return ascii(`${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${two(d.getUTCDate())}-${MEDIBUS_MONTHS[d.getUTCMonth()]}-${two(d.getUTCFullYear() % 100)}`);
}

/**
 * Decodes a date/time answer (28H) to epoch milliseconds (UTC, years 2000-2099). Tolerates
 * what devices are known to send: no seconds, no space between time and date, English month
 * abbreviations.
 *
 * @example
 * decodeDateTime(ascii('14:05:33 06-DEZ-26')); // ok: Date.UTC(2026, 11, 6, 14, 5, 33)
 */
export function decodeDateTime(payload: Uint8Array): DecodeResult<number> {
  const text = asciiText(payload);
  const m = /^\s*(\d{1,2}):(\d{2}):?(\d{2})?\s*(\d{1,2})-([A-Z]{3})-(\d{2})\s*$/.exec(text);
  if (!m) return { ok: false, error: `date/time ${JSON.stringify(text)} is not of the form hh:mm:ss dd-MMM-yy` };
  const month = Math.max((MEDIBUS_MONTHS as readonly string[]).indexOf(m[5]!), ENGLISH_MONTHS.indexOf(m[5]!));
  const [h, min, s, day] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0), Number(m[4])];
  if (month < 0 || h > 23 || min > 59 || s > 59 || day < 1 || day > 31) return { ok: false, error: `date/time ${JSON.stringify(text)} is out of range` };
  return { ok: true, value: Date.UTC(2000 + Number(m[6]), month, day, h, min, s) };
}
