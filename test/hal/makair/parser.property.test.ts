import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, TelemetryParser, crc32, encodeTelemetryFrame, encodeTelemetryMessage } from '../../../hal/makair/index.js';
import { telemetryMessageArb } from './arbitraries.js';

type Item =
  | { kind: 'valid'; bytes: Uint8Array; body: Uint8Array }
  | { kind: 'corrupt'; bytes: Uint8Array }
  | { kind: 'truncated'; bytes: Uint8Array }
  | { kind: 'garbage'; bytes: Uint8Array };

const validArb = telemetryMessageArb.map((msg): Item => ({ kind: 'valid', bytes: encodeTelemetryFrame(msg), body: encodeTelemetryMessage(msg) }));

const corruptArb = fc.tuple(telemetryMessageArb, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([msg, at, mask]): Item => {
  const bytes = encodeTelemetryFrame(msg);
  bytes[at % bytes.length] = bytes[at % bytes.length]! ^ mask; // any byte: header, body, CRC or footer
  return { kind: 'corrupt', bytes };
});

const truncatedArb = fc.tuple(telemetryMessageArb, fc.nat()).map(([msg, n]): Item => {
  const bytes = encodeTelemetryFrame(msg);
  return { kind: 'truncated', bytes: bytes.subarray(0, 1 + (n % (bytes.length - 1))) };
});

const garbageArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
  // A header and a plausible start (letter, ':', version 2, any length byte...) followed by noise.
  fc.tuple(fc.constantFrom(0x42, 0x4f, 0x44, 0x53, 0x54, 0x41, 0x45, 0x4c), fc.uint8Array({ maxLength: 30 })).map(([letter, rest]) =>
    Uint8Array.of(0x03, 0x0c, letter, 0x3a, 0x02, ...rest),
  ),
).map((bytes): Item => ({ kind: 'garbage', bytes }));

const itemsArb = fc.array(fc.oneof({ arbitrary: validArb, weight: 4 }, corruptArb, truncatedArb, garbageArb), { maxLength: 25 });
const cutsArb = fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 12 });

function run(items: Item[], cuts: number[]): { parser: TelemetryParser; bodies: Uint8Array[] } {
  const stream = Buffer.concat(items.map((i) => i.bytes));
  const parser = new TelemetryParser();
  const bodies: Uint8Array[] = [];
  for (let pos = 0, i = 0; pos < stream.length; i++) {
    const n = cuts[i % cuts.length]!;
    for (const f of parser.push(stream.subarray(pos, pos + n))) bodies.push(f.body);
    pos += n;
  }
  for (const f of parser.flush()) bodies.push(f.body);
  return { parser, bodies };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('TelemetryParser properties', () => {
  it('recovers every valid frame, in order, from a stream split anywhere and mixed with garbage, corrupted and truncated frames', () => {
    fc.assert(
      fc.property(itemsArb, cutsArb, (items, cuts) => {
        const { parser, bodies } = run(items, cuts);
        const valid = items.filter((i): i is Extract<Item, { kind: 'valid' }> => i.kind === 'valid');
        expect(bodies.map(hex)).toEqual(valid.map((v) => hex(v.body)));
        expect(parser.stats.frames).toBe(valid.length);
      }),
      { numRuns: 300 },
    );
  });

  it('never emits a frame with a bad CRC or an impossible length', () => {
    fc.assert(
      fc.property(itemsArb, cutsArb, (items, cuts) => {
        const stream = Buffer.concat(items.map((i) => i.bytes));
        const { bodies } = run(items, cuts);
        for (const body of bodies) {
          expect(body.length).toBeLessThanOrEqual(MAX_BODY_BYTES);
          // Find the body in the stream and check the 4 bytes after it are its CRC, then 30 C0.
          const at = stream.indexOf(Buffer.from(body));
          expect(at).toBeGreaterThanOrEqual(2);
          expect(stream.readUInt32BE(at + body.length)).toBe(crc32(body));
          expect([stream[at + body.length + 4], stream[at + body.length + 5]]).toEqual([0x30, 0xc0]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('emits nothing from a stream of only corrupted frames and garbage', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(corruptArb, truncatedArb, garbageArb), { maxLength: 20 }), cutsArb, (items, cuts) => {
        const { parser, bodies } = run(items, cuts);
        expect(bodies).toEqual([]);
        expect(parser.stats.frames).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
