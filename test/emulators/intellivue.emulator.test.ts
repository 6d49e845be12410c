/**
 * The emulated IntelliVue on its own, driven by raw client messages (the guide's bytes, not
 * the host): one client at a time, refusals, release, the keep-alive drop, malformed messages
 * counted, polls of unknown classes answered empty; and its control lines.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { SimWorld } from '../../hal/simulated/world.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { IntelliVueEmulator, parseIntelliVueControl, executeIntelliVueControl } from '../../emulators/intellivue/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/).map((h) => parseInt(h, 16)));
// The guide's association request (shortened user info is still a valid session length), release request and a numerics poll.
const AARQ = hex('0D 10 05 08 13 01 00 16 01 02 80 00 14 02 00 02 C1 00');
const RLRQ = hex('09 18 C1 16 61 80 30 80 02 01 01 A0 80 62 80 80 01 00 00 00 00 00 00 00 00 00');
const POLL = (invoke: number, obj: number): Uint8Array =>
  hex(`E1 00 00 02 00 01 00 20 00 ${invoke.toString(16).padStart(2, '0')} 00 07 00 1A 00 21 00 00 00 00 00 00 00 00 F1 3B 00 0C 00 01 00 01 00 ${obj.toString(16).padStart(2, '0')} 00 00 00 00 00 00`);

function rig() {
  const clock = new VirtualClock(0);
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 } });
  const sent: Array<{ peer: string; m: Uint8Array }> = [];
  const monitor = new IntelliVueEmulator({ clock, world, send: (m, peer) => sent.push({ peer, m }), idleTimeoutMs: 5000 });
  monitor.start();
  return { clock, monitor, sent, to: (peer: string) => sent.filter((s) => s.peer === peer).map((s) => s.m) };
}

describe('IntelliVueEmulator', () => {
  it('accepts an association (AC), then sends the MDS Create event report; answers polls with numerics', () => {
    const r = rig();
    r.monitor.receive(AARQ, 'a');
    expect(r.to('a').map((m) => m[0])).toEqual([0x0e, 0xe1]);
    expect(Array.from(r.to('a')[1]!.subarray(0, 8))).toEqual([0xe1, 0, 0, 2, 0, 1, r.to('a')[1]![6], r.to('a')[1]![7]]); // ROIV
    r.monitor.receive(POLL(5, 6), 'a');
    const reply = r.to('a')[2]!;
    expect(Array.from(reply.subarray(4, 6))).toEqual([0, 2]); // RORS
    expect(Array.from(reply.subarray(8, 10))).toEqual([0, 5]); // the invoke id echoed
    expect(r.monitor.status()).toMatchObject({ peer: 'a', associations: 1, polls: 1 });
  });

  it('refuses a second client while one is associated, and on request', () => {
    const r = rig();
    r.monitor.receive(AARQ, 'a');
    r.monitor.receive(AARQ, 'b');
    expect(r.to('b').map((m) => m[0])).toEqual([0x0c]);
    r.monitor.refuse(1);
    r.monitor.receive(RLRQ, 'a');
    expect(r.to('a').at(-1)![0]).toBe(0x0a); // release answered
    r.monitor.receive(AARQ, 'a');
    expect(r.to('a').at(-1)![0]).toBe(0x0c);
    r.monitor.receive(AARQ, 'a');
    expect(r.to('a').at(-2)![0]).toBe(0x0e);
    expect(r.monitor.status()).toMatchObject({ refused: 2, associations: 2 });
  });

  it('drops a client silent for longer than its keep-alive, with an abort', () => {
    const r = rig();
    r.monitor.receive(AARQ, 'a');
    r.clock.advanceBy(4000);
    r.monitor.receive(POLL(1, 6), 'a');
    r.clock.advanceBy(4000);
    expect(r.monitor.status().peer).toBe('a');
    r.clock.advanceBy(2000);
    expect(r.monitor.status().peer).toBeNull();
    expect(r.to('a').at(-1)![0]).toBe(0x19);
  });

  it('ignores messages from a client that is not associated, counts malformed ones, answers polls of other classes empty', () => {
    const r = rig();
    r.monitor.receive(POLL(1, 6), 'x');
    expect(r.sent).toEqual([]);
    r.monitor.receive(hex('0D FF 01'), 'x');
    r.monitor.receive(hex('E1 00 00 02 00 01 FF FF'), 'x');
    r.monitor.receive(new Uint8Array(0), 'x');
    expect(r.monitor.status().badMessages).toBe(3);
    r.monitor.receive(AARQ, 'a');
    r.monitor.receive(POLL(2, 0x2a), 'a');
    expect(r.to('a')).toHaveLength(3);
  });

  it('silent: answers nothing at all', () => {
    const r = rig();
    r.monitor.setSilent(true);
    r.monitor.receive(AARQ, 'a');
    expect(r.sent).toEqual([]);
  });

  it('control lines: parsed with clear errors, executed', () => {
    const r = rig();
    expect(parseIntelliVueControl('inop abp')).toEqual({ ok: true, command: { kind: 'inop', name: 'abp', on: true } });
    expect(parseIntelliVueControl('inop ecg off')).toEqual({ ok: true, command: { kind: 'inop', name: 'ecg', on: false } });
    expect(parseIntelliVueControl('flush')).toEqual({ ok: true, command: { kind: 'flush', seconds: 5 } });
    expect(parseIntelliVueControl('flush 0')).toMatchObject({ ok: false, error: expect.stringMatching(/seconds must be 1-600/) });
    expect(parseIntelliVueControl('questionable map')).toMatchObject({ ok: false, error: expect.stringMatching(/spo2, abp or hr/) });
    expect(parseIntelliVueControl('demo maybe')).toMatchObject({ ok: false, error: expect.stringMatching(/on or off/) });
    expect(parseIntelliVueControl('refuse -1')).toMatchObject({ ok: false, error: expect.stringMatching(/whole number 1-1000/) });
    expect(parseIntelliVueControl('drop now')).toMatchObject({ ok: false, error: 'drop takes no argument' });
    expect(parseIntelliVueControl('reboot')).toMatchObject({ ok: false, error: expect.stringMatching(/unknown command "reboot"; try help/) });
    const run = (line: string): string => {
      const p = parseIntelliVueControl(line);
      if (!p.ok) throw new Error(p.error);
      return executeIntelliVueControl(p.command, r.monitor);
    };
    expect(run('inop spo2')).toBe('INOP SpO2 NO SENSOR raised');
    expect(run('flush 3')).toBe('arterial line flushed for 3 s');
    expect(r.monitor.status()).toMatchObject({ inops: ['spo2'], flushing: true });
    r.clock.advanceBy(3000);
    expect(r.monitor.status().flushing).toBe(false);
    expect(run('clear')).toBe('every fault off');
    expect(r.monitor.status()).toMatchObject({ inops: [], demo: false, silent: false });
    expect(run('help')).toMatch(/inop <spo2\|spo2-nonpulsatile\|abp\|abp-zero\|ecg>/);
  });
});
