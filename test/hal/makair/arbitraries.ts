/** fast-check arbitraries of MakAir telemetry messages, derived from the v2 layouts. */
import fc from 'fast-check';
import type { TelemetryMessage } from '../../../hal/makair/index.js';
import { SCHEMAS, type Field, type FieldKind } from '../../../hal/makair/schema.js';

function kindArb(kind: FieldKind): fc.Arbitrary<unknown> {
  if (typeof kind !== 'string') {
    if ('enum' in kind) return fc.constantFrom(...kind.enum.values());
    return fc.oneof(...[...kind.union.values()].map((v) => fieldsArb(v.fields).map((fields) => ({ kind: v.kind, ...fields }))));
  }
  switch (kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'bool':
      return fc.boolean();
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'i16':
      return fc.integer({ min: -0x8000, max: 0x7fff });
    case 'u16opt':
      return fc.option(fc.integer({ min: 0, max: 0xfffe }), { nil: null });
    case 'i16opt':
      return fc.option(fc.integer({ min: -0x8000, max: 0x7ffe }), { nil: null });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'u64':
      return fc.maxSafeNat();
    case 'bytes8':
      return fc.array(fc.integer({ min: 0, max: 0xff }), { maxLength: 12 });
    case 'text8':
      return fc.string({ unit: 'grapheme', maxLength: 12 });
  }
}

function fieldsArb(fields: readonly Field[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(fields.map(([name, kind]) => [name, kindArb(kind)])));
}

const headerArb = fc.record({
  softwareVersion: fc.string({ unit: 'grapheme', maxLength: 16 }),
  deviceId: fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 0xffff_ffff })).map((w) => w.join('-')),
});

/** Any v2 telemetry message, every field random within its wire type. */
export const telemetryMessageArb: fc.Arbitrary<TelemetryMessage> = fc.oneof(
  ...SCHEMAS.map((schema) =>
    fc.tuple(headerArb, fieldsArb(schema.fields)).map(([header, fields]) => ({ type: schema.type, ...header, ...fields }) as unknown as TelemetryMessage),
  ),
);
