/**
 * The Data Export codec: FLOAT-Type, the association request and the data messages against
 * the example bytes the Programming Guide prints, round trips against the independently
 * written emulator's encoders (fast-check), and malformed or truncated messages: refused with
 * `IntelliVueDecodeError`, never another exception, never a value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifySession,
  decodeDataMessage,
  decodeFloat,
  encodeAssociationRequest,
  encodeExtPollRequest,
  encodeFloat,
  encodeMdsCreateResult,
  encodeReleaseRequest,
  IntelliVueDecodeError,
  numericsOf,
  technicalAlarmsOf,
  decodeAbsoluteTime,
} from '../../../hal/intellivue/index.js';
import { alertsReply, associationAccept, associationRefuse, abortMessage, releaseAnswer, mdsCreateReport, numericsReply, float32, readClientPdu, type NumericOut } from '../../../emulators/intellivue/pdu.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));

// The association request as printed in the guide (poll profile: min period 312.5 ms, MTU 2500/1000, ext 0x8C000000).
const GUIDE_AARQ = hex(`
0D EC 05 08 13 01 00 16 01 02 80 00 14 02 00 02 C1 DC 31 80 A0 80 80 01 01 00 00 A2 80 A0 03 00
00 01 A4 80 30 80 02 01 01 06 04 52 01 00 01 30 80 06 02 51 01 00 00 00 00 30 80 02 01 02 06 0C
2A 86 48 CE 14 02 01 00 00 00 01 01 30 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 02 01 00 00 00 00
00 00 61 80 30 80 02 01 01 A0 80 60 80 A1 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 03 01 00 00 BE
80 28 80 06 0C 2A 86 48 CE 14 02 01 00 00 00 01 01 02 01 02 81 48 80 00 00 00 40 00 00 00 00 00
00 00 80 00 00 00 20 00 00 00 00 00 00 00 00 01 00 2C 00 01 00 28 80 00 00 00 00 00 09 C4 00 00
09 C4 00 00 03 E8 FF FF FF FF 60 00 00 00 00 01 00 0C F0 01 00 08 8C 00 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 00 00 00 00 00 00 00`);

describe('FLOAT-Type', () => {
  it('decodes the exponent/mantissa split and the four special values', () => {
    expect(decodeFloat(0xff00037a)).toEqual({ value: 89, special: null }); // 890 * 10^-1
    expect(decodeFloat(0xfe002497)).toEqual({ value: 93.67, special: null });
    expect(decodeFloat(0x00000050)).toEqual({ value: 80, special: null });
    expect(decodeFloat(0x01000005)).toEqual({ value: 50, special: null });
    expect(decodeFloat(0x00ffffff)).toEqual({ value: -1, special: null }); // negative mantissa
    expect(decodeFloat(0x007fffff)).toEqual({ value: null, special: 'NaN' });
    expect(decodeFloat(0x00800000)).toEqual({ value: null, special: 'NRes' });
    expect(decodeFloat(0x007ffffe)).toEqual({ value: null, special: '+INF' });
    expect(decodeFloat(0x00800002)).toEqual({ value: null, special: '-INF' });
  });

  it('round-trips values with up to two decimals, and the emulator encoding decodes to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -500_000, max: 500_000 }), fc.integer({ min: 0, max: 2 }), (m, d) => {
        const v = m / 10 ** d;
        expect(decodeFloat(encodeFloat(v)).value).toBeCloseTo(v, 9);
        expect(decodeFloat(float32(v, d)).value).toBeCloseTo(v, 9);
      }),
    );
    expect(() => encodeFloat(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(encodeFloat('NaN')).toBe(0x007fffff);
  });
});

describe('session layer', () => {
  it('builds the association request byte for byte as the guide prints it', () => {
    expect(Array.from(encodeAssociationRequest())).toEqual(Array.from(GUIDE_AARQ));
  });

  it('the emulator recognises the request; the host recognises accept, refuse, abort and release answers', () => {
    expect(readClientPdu(encodeAssociationRequest())).toEqual({ t: 'associate' });
    expect(readClientPdu(encodeReleaseRequest())).toEqual({ t: 'release' });
    expect(classifySession(associationAccept())).toEqual({ kind: 'accept' });
    expect(classifySession(associationRefuse())).toEqual({ kind: 'refuse' });
    expect(classifySession(abortMessage())).toEqual({ kind: 'abort' });
    expect(classifySession(releaseAnswer())).toEqual({ kind: 'release-response' });
  });

  it('refuses a session header whose length runs past the bytes, and unknown headers', () => {
    const accept = associationAccept();
    expect(() => classifySession(accept.subarray(0, accept.length - 1))).toThrow(IntelliVueDecodeError);
    expect(() => classifySession(hex('42 00'))).toThrow(/unknown session header 0x42/);
    expect(() => classifySession(hex('0E'))).toThrow(IntelliVueDecodeError);
    expect(() => classifySession(hex('E1 00 00 03 00'))).toThrow(/E1 00 00 02/);
  });
});

describe('data messages', () => {
  it('encodes the extended numerics poll and the MDS Create result as in the guide', () => {
    expect(Array.from(encodeExtPollRequest({ invokeId: 1, pollNumber: 1, objType: 6, attrGroup: 0 }))).toEqual(
      Array.from(hex('E1 00 00 02 00 01 00 20 00 01 00 07 00 1A 00 21 00 00 00 00 00 00 00 00 F1 3B 00 0C 00 01 00 01 00 06 00 00 00 00 00 00')),
    );
    expect(Array.from(encodeMdsCreateResult(1, { objClass: 0x21, contextId: 0, handle: 0 }, 0x000abd00))).toEqual(
      Array.from(hex('E1 00 00 02 00 02 00 14 00 01 00 01 00 0E 00 21 00 00 00 00 00 0A BD 00 0D 06 00 00')),
    );
    expect(readClientPdu(encodeExtPollRequest({ invokeId: 9, pollNumber: 4, objType: 0x36, attrGroup: 0x0801 }))).toEqual({ t: 'poll', invoke: 9, pollNo: 4, objCode: 0x36, attrGrp: 0x0801 });
    expect(readClientPdu(encodeMdsCreateResult(7, { objClass: 0x21, contextId: 0, handle: 0 }, 5))).toEqual({ t: 'event-result', invoke: 7 });
  });

  it('decodes the MDS Create event report', () => {
    const m = decodeDataMessage(mdsCreateReport(42, 123_456));
    expect(m).toEqual({ kind: 'mds-create', invokeId: 42, confirmed: true, mds: { objClass: 0x21, contextId: 0, handle: 0 }, eventTime: 123_456 });
  });

  const numericArb: fc.Arbitrary<NumericOut> = fc.record({
    handle: fc.integer({ min: 1, max: 0xffff }),
    label: fc.integer({ min: 0, max: 0xffffffff }),
    relTime: fc.integer({ min: 0, max: 0xffffffff }),
    values: fc.array(
      fc.record({
        physio: fc.integer({ min: 0, max: 0xffff }),
        state: fc.integer({ min: 0, max: 0xffff }),
        unit: fc.integer({ min: 0, max: 0xffff }),
        float: fc.integer({ min: -99_999, max: 99_999 }).map((m) => float32(m / 100, 2)),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  });

  it('round-trips numerics poll replies, single and linked (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(numericArb, { maxLength: 8 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 0xffff }), (numerics, per, invoke) => {
        const msgs = numericsReply({ invoke, pollNo: 3, seq: 1, relTime: 800, absMs: Date.UTC(2026, 11, 6, 15, 0, 0), attrGrp: 0, numerics, perMessage: per });
        const decoded = msgs.map((m) => decodeDataMessage(m));
        const got = decoded.flatMap((d) => (d.kind === 'poll-reply' ? d.reply.observations.flatMap(numericsOf) : []));
        expect(decoded.every((d) => d.kind === 'poll-reply' && d.invokeId === invoke)).toBe(true);
        // All but the last are linked results (first, then not-first-not-last); the last is a plain result.
        expect(decoded.map((d) => (d.kind === 'poll-reply' ? d.linked?.state ?? 0 : -1))).toEqual(msgs.map((_, i) => (i === msgs.length - 1 ? 0 : i === 0 ? 1 : 2)));
        const want = numerics.flatMap((n) => n.values.map((v) => ({ handle: n.handle, physioId: v.physio, state: v.state, unit: v.unit, ...decodeFloat(v.float), relTime: n.relTime, absTimeMs: Date.UTC(2026, 11, 6, 15, 0, 0) })));
        expect(got).toEqual(want);
      }),
      { numRuns: 150 },
    );
  });

  it('decodes the technical alarm list of the alert monitor', () => {
    const m = decodeDataMessage(alertsReply({ invoke: 5, pollNo: 2, seq: 1, relTime: 0, absMs: 0, attrGrp: 0x0801, alarms: [{ source: 0x4bb8, code: 308, type: 2, text: 'SpO2 NO SENSOR' }, { source: 0x4a14, code: 336, type: 4, text: 'ABP NO TRANSDUCER' }] }));
    expect(m.kind).toBe('poll-reply');
    const alarms = m.kind === 'poll-reply' ? m.reply.observations.flatMap(technicalAlarmsOf) : [];
    expect(alarms).toEqual([
      { source: 0x4bb8, code: 308, type: 2, state: 0 },
      { source: 0x4a14, code: 336, type: 4, state: 0 },
    ]);
  });

  it('decodes AbsoluteTime (BCD) and refuses unset or impossible dates', () => {
    expect(decodeAbsoluteTime(hex('20 26 12 06 15 04 05 50'))).toBe(Date.UTC(2026, 11, 6, 15, 4, 5, 500));
    expect(decodeAbsoluteTime(hex('FF FF FF FF FF FF FF FF'))).toBeNull();
    expect(decodeAbsoluteTime(hex('20 26 13 06 15 04 05 00'))).toBeNull();
    expect(decodeAbsoluteTime(hex('20 2A 12 06 15 04 05 00'))).toBeNull();
  });
});

describe('malformed and truncated messages', () => {
  const valid = [
    ...numericsReply({ invoke: 1, pollNo: 1, seq: 1, relTime: 8, absMs: 0, attrGrp: 0, numerics: [{ handle: 1, label: 1, relTime: 0, values: [{ physio: 0x4bb8, state: 0, unit: 0x220, float: float32(93, 0) }] }, { handle: 5, label: 2, relTime: 0, values: [{ physio: 0x4a15, state: 0, unit: 0xf20, float: float32(110, 0) }, { physio: 0x4a17, state: 0, unit: 0xf20, float: float32(80, 0) }] }] }),
    alertsReply({ invoke: 2, pollNo: 2, seq: 1, relTime: 8, absMs: 0, attrGrp: 0x801, alarms: [{ source: 0x4bb8, code: 308, type: 2, text: 'X' }] }),
    mdsCreateReport(3, 99),
  ];
  const decodeAll = (m: Uint8Array): void => {
    const d = decodeDataMessage(m);
    if (d.kind === 'poll-reply') for (const o of d.reply.observations) {
      numericsOf(o);
      technicalAlarmsOf(o);
    }
  };

  it('every truncation of a valid message is refused with IntelliVueDecodeError', () => {
    for (const m of valid) {
      for (let n = 0; n < m.length; n++) expect(() => decodeAll(m.subarray(0, n)), `cut at ${n} of ${m.length}`).toThrow(IntelliVueDecodeError);
    }
  });

  it('random bytes and corrupted messages never throw anything but IntelliVueDecodeError', () => {
    const check = (m: Uint8Array): void => {
      try {
        decodeAll(m);
        classifySession(m);
      } catch (e) {
        expect(e).toBeInstanceOf(IntelliVueDecodeError);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), { numRuns: 500 });
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (m, flips) => {
        const b = Uint8Array.from(m);
        for (const [at, v] of flips) b[at % b.length] = v;
        check(b);
      }),
      { numRuns: 500 },
    );
  });
});
