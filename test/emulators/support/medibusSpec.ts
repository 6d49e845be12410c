/**
 * A MEDIBUS host written in the test from the protocol rules alone (Rev 6.00 as summarised in
 * /work/shared/protocols.md section 1), sharing no code with hal/medibus: frames are built and
 * split here, checksums summed and compared here, records cut by their published widths here.
 * The emulator (device side) is built on hal/medibus's encoders; these helpers are the
 * independent counterpart that checks it.
 */

export const SPEC = { ESC: 0x1b, SOH: 0x01, CR: 0x0d, ETX: 0x03, NAK: 0x15 } as const;

/** Low 8 bits of the byte sum, as two upper-case hex characters. */
export function specChecksum(bytes: readonly number[]): string {
  const sum = bytes.reduce((a, b) => a + b, 0) & 0xff;
  return sum.toString(16).toUpperCase().padStart(2, '0');
}

/** ESC cmd [payload] ck ck CR; `lowerCase` sends the checksum in lower-case letters (a corrupt frame). */
export function specCommand(cmd: number, payload = '', opts: { lowerCase?: boolean } = {}): Uint8Array {
  const body = [SPEC.ESC, cmd, ...[...payload].map((c) => c.charCodeAt(0))];
  const ck = specChecksum(body);
  const chars = opts.lowerCase ? ck.toLowerCase() : ck;
  return Uint8Array.from([...body, chars.charCodeAt(0), chars.charCodeAt(1), SPEC.CR]);
}

/** SOH cmd [payload] ck ck CR (the host's answer to a device command). */
export function specResponse(cmd: number, payload = ''): Uint8Array {
  const body = [SPEC.SOH, cmd, ...[...payload].map((c) => c.charCodeAt(0))];
  const ck = specChecksum(body);
  return Uint8Array.from([...body, ck.charCodeAt(0), ck.charCodeAt(1), SPEC.CR]);
}

export interface SpecFrame {
  kind: 'command' | 'response';
  cmd: number;
  /** Payload as text (MEDIBUS frames are 7-bit). */
  payload: string;
  /** The two checksum characters exactly as received. */
  checksum: string;
  /** Whether the checksum is two upper-case hex characters equal to the byte sum. */
  checksumOk: boolean;
}

/** Splits a byte stream into frames: start byte (ESC/SOH) up to CR. No nesting is expected from the emulator. */
export class SpecSplitter {
  private buf: number[] = [];
  readonly frames: SpecFrame[] = [];
  /** Bytes outside any frame (should stay empty). */
  readonly stray: number[] = [];

  constructor(private readonly onFrame?: (f: SpecFrame) => void) {}

  push(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (b === SPEC.ESC || b === SPEC.SOH) {
        this.buf = [b];
      } else if (b === SPEC.CR && this.buf.length > 0) {
        const f = this.finish(this.buf);
        this.frames.push(f);
        this.buf = [];
        this.onFrame?.(f);
      } else if (this.buf.length > 0) this.buf.push(b);
      else this.stray.push(b);
    }
  }

  private finish(bytes: number[]): SpecFrame {
    const checksum = String.fromCharCode(...bytes.slice(-2));
    const body = bytes.slice(0, -2);
    return {
      kind: bytes[0] === SPEC.ESC ? 'command' : 'response',
      cmd: bytes[1]!,
      payload: String.fromCharCode(...bytes.slice(2, -2)),
      checksum,
      checksumOk: /^[0-9A-F]{2}$/.test(checksum) && checksum === specChecksum(body),
    };
  }
}

/** Data records (measured values, limits: 2 hex code chars + 4 value chars; settings: + 5). Throws if the payload is not whole records. */
export function specDataRecords(payload: string, valueChars: 4 | 5): Array<{ code: string; value: string }> {
  const width = 2 + valueChars;
  if (payload.length % width !== 0) throw new Error(`payload of ${payload.length} chars is not whole ${width}-char records: ${JSON.stringify(payload)}`);
  const out: Array<{ code: string; value: string }> = [];
  for (let i = 0; i < payload.length; i += width) {
    const code = payload.slice(i, i + 2);
    if (!/^[0-9A-F]{2}$/.test(code)) throw new Error(`record code ${JSON.stringify(code)} is not two upper-case hex digits`);
    out.push({ code, value: payload.slice(i + 2, i + width) });
  }
  return out;
}

/** Alarm records: priority char + 2 hex code chars + 12-char phrase. */
export function specAlarmRecords(payload: string): Array<{ priority: number; code: string; phrase: string }> {
  if (payload.length % 15 !== 0) throw new Error(`alarm payload of ${payload.length} chars is not whole 15-char records`);
  const out: Array<{ priority: number; code: string; phrase: string }> = [];
  for (let i = 0; i < payload.length; i += 15) {
    const code = payload.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(code)) throw new Error(`alarm code ${JSON.stringify(code)} is not hex`);
    out.push({ priority: payload.charCodeAt(i) - 0x30, code, phrase: payload.slice(i + 3, i + 15) });
  }
  return out;
}

/** Text-message records: 2 hex code chars + length char ('0' + n) + n chars + ETX. */
export function specTextRecords(payload: string): Array<{ code: string; text: string }> {
  const out: Array<{ code: string; text: string }> = [];
  let i = 0;
  while (i < payload.length) {
    const code = payload.slice(i, i + 2);
    const n = payload.charCodeAt(i + 2) - 0x30;
    if (!/^[0-9A-F]{2}$/.test(code) || !(n >= 0)) throw new Error(`bad text record at ${i}: ${JSON.stringify(payload.slice(i))}`);
    const text = payload.slice(i + 3, i + 3 + n);
    if (payload.charCodeAt(i + 3 + n) !== SPEC.ETX) throw new Error(`text record ${code} does not end with ETX`);
    out.push({ code, text });
    i += 4 + n;
  }
  return out;
}

/** A plain decimal value field (right-aligned, space padded), or null for anything else. */
export function specNumber(field: string): number | null {
  const t = field.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : null;
}
