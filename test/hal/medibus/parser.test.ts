import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MedibusCommand,
  MedibusStreamParser,
  ascii,
  encodeCommand,
  encodeFrame,
  encodeResponse,
  type MedibusFrame,
  type MedibusParserEvent,
} from '../../../hal/medibus/index.js';

const frames = (events: readonly MedibusParserEvent[]): MedibusFrame[] =>
  events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
const pushAll = (parser: MedibusStreamParser, chunks: Uint8Array[]): MedibusParserEvent[] => chunks.flatMap((c) => [...parser.push(c)]);
const cat = (...parts: Array<Uint8Array | number[]>): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('MedibusStreamParser', () => {
  it('emits the ICC command and a response echoing its command byte', () => {
    const p = new MedibusStreamParser();
    const out = frames(p.push(cat(encodeCommand(MedibusCommand.ICC), encodeResponse(MedibusCommand.MEASURED_CP1, ascii('78  10')))));
    expect(out).toEqual([
      { kind: 'command', command: 0x51, payload: new Uint8Array(0) },
      { kind: 'response', command: 0x24, payload: ascii('78  10') },
    ]);
    expect(p.stats).toMatchObject({ commands: 1, responses: 1, badChecksum: 0 });
  });

  it('emits nothing until the CR arrives', () => {
    const p = new MedibusStreamParser();
    const icc = encodeCommand(MedibusCommand.ICC);
    expect(p.push(icc.subarray(0, 4))).toEqual([]);
    expect(frames(p.push(icc.subarray(4)))).toHaveLength(1);
  });

  it('counts and drops a frame with a bad checksum', () => {
    const p = new MedibusStreamParser();
    const events = p.push(Uint8Array.of(0x1b, 0x51, 0x36, 0x44, 0x0d));
    expect(events).toEqual([{ type: 'dropped', kind: 'command', reason: 'checksum' }]);
    expect(p.stats.badChecksum).toBe(1);
  });

  it('drops a frame whose checksum characters are not upper-case hex, or that is too short', () => {
    const p = new MedibusStreamParser();
    expect(p.push(Uint8Array.of(0x1b, 0x51, 0x36, 0x63, 0x0d))).toEqual([{ type: 'dropped', kind: 'command', reason: 'malformed' }]);
    expect(p.push(Uint8Array.of(0x01, 0x30, 0x0d))).toEqual([{ type: 'dropped', kind: 'response', reason: 'malformed' }]);
    expect(p.stats.malformed).toBe(2);
  });

  it('parses a device command that arrives in the middle of a response, then the response', () => {
    const p = new MedibusStreamParser();
    const response = encodeResponse(MedibusCommand.MEASURED_CP1, ascii('78  107D  25'));
    const nop = encodeCommand(MedibusCommand.NOP);
    const out = frames(p.push(cat(response.subarray(0, 7), nop, response.subarray(7))));
    expect(out.map((f) => [f.kind, f.command])).toEqual([
      ['command', 0x30],
      ['response', 0x24],
    ]);
    expect(out[1]!.payload).toEqual(ascii('78  107D  25'));
  });

  it('takes real-time bytes and flow control out of the framed stream wherever they are', () => {
    const p = new MedibusStreamParser();
    const icc = encodeCommand(MedibusCommand.ICC);
    const events = p.push(cat([0xd0], icc.subarray(0, 2), [0x13, 0xc1, 0x85], icc.subarray(2, 4), [0x11, 0x18], icc.subarray(4)));
    expect(frames(events)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'flow')).toEqual([
      { type: 'flow', control: 'xoff' },
      { type: 'flow', control: 'xon' },
      { type: 'flow', control: 'cancel' },
    ]);
    expect(events.at(-1)).toEqual({ type: 'realtime', bytes: Uint8Array.of(0xd0, 0xc1, 0x85) });
    expect(p.stats.realtimeBytes).toBe(3);
  });

  it('resynchronises after garbage and counts it', () => {
    const p = new MedibusStreamParser();
    const out = frames(p.push(cat(ascii('xyz\r'), encodeResponse(0x30))));
    expect(out.map((f) => f.command)).toEqual([0x30]);
    expect(p.stats.garbageBytes).toBe(4);
  });

  it('drops a frame cut short by the next start byte', () => {
    const p = new MedibusStreamParser();
    const events = p.push(cat([0x1b, 0x24, 0x33], encodeResponse(0x30)));
    expect(events[0]).toEqual({ type: 'dropped', kind: 'command', reason: 'truncated' });
    expect(frames(events).map((f) => f.command)).toEqual([0x30]);
  });

  it('discards an unterminated frame longer than the limit and keeps going', () => {
    const p = new MedibusStreamParser({ maxFrameBytes: 16 });
    const long = encodeResponse(0x24, ascii('78  10'.repeat(5)));
    const events = p.push(cat(long, encodeResponse(0x30)));
    expect(events[0]).toEqual({ type: 'dropped', kind: 'response', reason: 'overflow' });
    expect(frames(events).map((f) => f.command)).toEqual([0x30]);
    expect(p.stats.overflow).toBe(1);
  });

  it('keeps every payload intact while later frames arrive (payloads are views of a shared slab)', () => {
    const p = new MedibusStreamParser({ maxFrameBytes: 64 });
    const sent = Array.from({ length: 5000 }, (_, i) => ascii(`78${String(i % 10000).padStart(4, ' ')}7D${String(i % 97).padStart(4, ' ')}`));
    const received: Uint8Array[] = [];
    for (const payload of sent) {
      const bytes = encodeResponse(0x24, payload);
      // split mid-frame, with a truncated command before each frame
      received.push(...frames(p.push(cat([0x1b, 0x30], bytes.subarray(0, 7)))).map((f) => f.payload));
      received.push(...frames(p.push(bytes.subarray(7))).map((f) => f.payload));
    }
    expect(received.length).toBe(sent.length);
    received.forEach((payload, i) => expect(payload).toEqual(sent[i]));
  });

  it('rejects a nonsensical buffer limit', () => {
    expect(() => new MedibusStreamParser({ maxFrameBytes: 2 })).toThrow(/maxFrameBytes/);
  });
});

// ---- property tests -------------------------------------------------------------------------

/** Bytes a frame may carry (7-bit, not ESC, SOH, CR, DC1, DC3, CAN). */
const FRAME_BYTES = Array.from({ length: 0x80 }, (_, b) => b).filter((b) => ![0x1b, 0x01, 0x0d, 0x11, 0x13, 0x18].includes(b));
const frameByte = fc.constantFrom(...FRAME_BYTES);
const frameArb = fc.record({
  kind: fc.constantFrom<'command' | 'response'>('command', 'response'),
  command: frameByte,
  payload: fc.uint8Array({ maxLength: 40 }).map((a) => Uint8Array.from(a, (b) => FRAME_BYTES[b % FRAME_BYTES.length]!)),
});
const noise = fc.constantFrom(0x11, 0x13, 0x18, 0x80, 0xd0, 0xc6, 0xff);

/** Inserts noise bytes at random places and cuts the stream into random chunks. */
function scatter(bytes: number[], noiseAt: Array<[number, number]>, cuts: number[]): Uint8Array[] {
  const withNoise = [...bytes];
  for (const [pos, b] of [...noiseAt].sort((a, b) => b[0] - a[0])) withNoise.splice(pos % (withNoise.length + 1), 0, b);
  const points = [...new Set(cuts.map((c) => c % (withNoise.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, withNoise.length]) {
    chunks.push(Uint8Array.from(withNoise.slice(last, p)));
    last = p;
  }
  return chunks;
}

const norm = (f: MedibusFrame) => ({ kind: f.kind, command: f.command, payload: [...f.payload] });

describe('MedibusStreamParser properties', () => {
  it('recovers every valid frame, in order, through garbage, real-time bytes, flow control, nesting and any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            frame: frameArb,
            // garbage before the frame: anything but CR (a garbage frame can then never close)
            garbage: fc.array(fc.constantFrom(...FRAME_BYTES, 0x1b, 0x01), { maxLength: 6 }),
            // a device command nested inside this frame (only meaningful for responses)
            nested: fc.option(fc.record({ command: frameByte, at: fc.nat() }), { nil: undefined }),
          }),
          { maxLength: 12 },
        ),
        fc.array(fc.tuple(fc.nat(), noise), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 15 }),
        (items, noiseAt, cuts) => {
          const bytes: number[] = [];
          const expected: ReturnType<typeof norm>[] = [];
          for (const { frame, garbage, nested } of items) {
            bytes.push(...garbage);
            const encoded = [...encodeFrame(frame.kind, frame.command, frame.payload)];
            if (frame.kind === 'response' && nested) {
              const inner = encodeCommand(nested.command);
              const at = 1 + (nested.at % (encoded.length - 1)); // after SOH, before CR
              encoded.splice(at, 0, ...inner);
              expected.push({ kind: 'command', command: nested.command, payload: [] });
            }
            bytes.push(...encoded);
            expected.push(norm(frame));
          }
          const parser = new MedibusStreamParser();
          const events = pushAll(parser, scatter(bytes, noiseAt, cuts));
          expect(frames(events).map(norm)).toEqual(expected);
          const rt = events.flatMap((e) => (e.type === 'realtime' ? [...e.bytes] : []));
          expect(rt.length).toBe(noiseAt.filter(([, b]) => b >= 0x80).length);
          expect(events.filter((e) => e.type === 'flow').length).toBe(noiseAt.filter(([, b]) => b < 0x80).length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never emits a corrupted or truncated frame, and recovers every intact one', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            frame: frameArb,
            damage: fc.oneof(
              fc.constant({ type: 'none' as const }),
              fc.record({ type: fc.constant('flip' as const), at: fc.nat(), delta: fc.integer({ min: 1, max: 200 }) }),
              fc.record({ type: fc.constant('truncate' as const), keep: fc.nat() }),
            ),
            // garbage between frames may hold CR here, but no start byte
            garbage: fc.array(fc.constantFrom(...FRAME_BYTES, 0x0d), { maxLength: 4 }),
          }),
          { maxLength: 12 },
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        (items, cuts) => {
          const bytes: number[] = [];
          const expected: ReturnType<typeof norm>[] = [];
          let flipped = 0;
          let truncated = false;
          for (const { frame, damage, garbage } of items) {
            // Once a truncated response may be open, stray garbage plus a stray CR could close it with
            // a checksum that matches by chance (1 in 256: the limit of an 8-bit sum), so from then on
            // the garbage holds no CR and the expected output stays exact.
            bytes.push(...(truncated ? garbage.filter((b) => b !== 0x0d) : garbage));
            truncated ||= damage.type === 'truncate';
            const encoded = [...encodeFrame(frame.kind, frame.command, frame.payload)];
            if (damage.type === 'none') {
              expected.push(norm(frame));
              bytes.push(...encoded);
            } else if (damage.type === 'flip') {
              // change one command/payload/checksum byte to another frame byte: the sum no longer matches
              const at = 1 + (damage.at % (encoded.length - 2));
              const old = encoded[at]!;
              const idx = (FRAME_BYTES.indexOf(old) + (damage.delta % (FRAME_BYTES.length - 1)) + 1) % FRAME_BYTES.length;
              encoded[at] = FRAME_BYTES[idx]!;
              if (at >= encoded.length - 3) {
                // a flipped checksum character must still differ in value from the true sum
                const hex = '0123456789ABCDEF'.charCodeAt(damage.delta % 16);
                encoded[at] = hex === old ? '0123456789ABCDEF'.charCodeAt((damage.delta + 1) % 16) : hex;
              }
              flipped++;
              bytes.push(...encoded);
            } else {
              bytes.push(...encoded.slice(0, damage.keep % (encoded.length - 1)));
            }
          }
          const parser = new MedibusStreamParser();
          const out = frames(pushAll(parser, scatter(bytes, [], cuts))).map(norm);
          expect(out).toEqual(expected);
          expect(parser.stats.badChecksum).toBe(flipped);
          expect(parser.stats.malformed).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('discards every frame longer than the limit and keeps every other', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 8 }), (list, cuts) => {
        const max = 24;
        const bytes = list.flatMap((f) => [...encodeFrame(f.kind, f.command, f.payload)]);
        const parser = new MedibusStreamParser({ maxFrameBytes: max });
        const out = frames(pushAll(parser, scatter(bytes, [], cuts))).map(norm);
        expect(out).toEqual(list.filter((f) => f.payload.length + 4 <= max).map(norm));
        expect(parser.stats.overflow).toBe(list.filter((f) => f.payload.length + 4 > max).length);
      }),
      { numRuns: 200 },
    );
  });
});
