/**
 * MIB/RS232 framing: BOF/EOF, 0x7D transparency, the RFC 1662 FCS; frames split across chunks
 * anywhere; frames with a bad FCS, a wrong header or length, or cut short are counted and
 * dropped, never passed on. Host and emulator framers are written apart and must agree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMibFrame, fcs16, MibDecoder } from '../../../hal/intellivue/index.js';
import { frameCheck, mibFrame, MibReader } from '../../../emulators/intellivue/pdu.js';

const split = (b: Uint8Array, cuts: number[]): Uint8Array[] => {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
};

describe('MIB framing', () => {
  it('uses the RFC 1662 FCS-16 (check value of "123456789" is 0x906E)', () => {
    expect(fcs16(new TextEncoder().encode('123456789'))).toBe(0x906e);
    expect(frameCheck(new TextEncoder().encode('123456789'))).toBe(0x906e);
  });

  it('frames with header 11 01 length, escapes C0/C1/7D, FCS least significant byte first', () => {
    const f = encodeMibFrame(Uint8Array.from([0xc0, 0x01, 0x7d, 0xc1]));
    expect(f[0]).toBe(0xc0);
    expect(f[f.length - 1]).toBe(0xc1);
    expect(Array.from(f.subarray(1, 5))).toEqual([0x11, 0x01, 0x00, 0x04]);
    expect(Array.from(f.subarray(5, 11))).toEqual([0x7d, 0xe0, 0x01, 0x7d, 0x5d, 0x7d]);
    expect(Array.from(f)).toEqual(Array.from(mibFrame(Uint8Array.from([0xc0, 0x01, 0x7d, 0xc1]))));
  });

  it('round-trips messages split across chunks anywhere, both directions (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 200 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (msgs, cuts) => {
        const hostStream = Uint8Array.from(msgs.flatMap((m) => Array.from(encodeMibFrame(m))));
        const monitorStream = Uint8Array.from(msgs.flatMap((m) => Array.from(mibFrame(m))));
        const d = new MibDecoder();
        const r = new MibReader();
        const atMonitor = split(hostStream, cuts).flatMap((c) => r.push(c));
        const atHost = split(monitorStream, cuts).flatMap((c) => d.push(c));
        expect(atMonitor.map((m) => Array.from(m))).toEqual(msgs.map((m) => Array.from(m)));
        expect(atHost.map((m) => Array.from(m))).toEqual(msgs.map((m) => Array.from(m)));
        expect(d.stats).toMatchObject({ frames: msgs.length, badFcs: 0, badHeader: 0 });
      }),
    );
  });

  it('drops a frame with a bad FCS, a wrong header or length, an escape before EOF, or cut by a new BOF; the next good frame still arrives', () => {
    const good = encodeMibFrame(Uint8Array.from([1, 2, 3]));
    const badFcs = Uint8Array.from(good);
    badFcs[badFcs.length - 2] = badFcs[badFcs.length - 2]! ^ 0x01;
    const badHeader = encodeMibFrame(Uint8Array.from([1, 2, 3]));
    badHeader[1] = 0x12;
    const badLen = encodeMibFrame(Uint8Array.from([1, 2, 3]));
    badLen[4] = 0x05;
    const escEnd = Uint8Array.from([0xc0, 0x11, 0x01, 0x00, 0x00, 0x7d, 0xc1]);
    const cut = good.subarray(0, 5);
    const d = new MibDecoder();
    const got = [badFcs, badHeader, badLen, escEnd, cut, good].flatMap((f) => d.push(f));
    expect(got.map((m) => Array.from(m))).toEqual([[1, 2, 3]]);
    expect(d.stats.badFcs).toBe(1);
    expect(d.stats.badHeader).toBe(3);
    expect(d.stats.discarded).toBeGreaterThanOrEqual(1);
  });

  it('random line noise never yields a message that was not framed (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (noise) => {
        const d = new MibDecoder();
        for (const m of d.push(noise)) {
          // Anything accepted passed the FCS: re-framing it gives back a frame the noise contained.
          const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
          expect(hex(noise)).toContain(hex(encodeMibFrame(m)).slice(2, -2));
        }
      }),
      { numRuns: 500 },
    );
  });
});
