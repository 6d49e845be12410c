/**
 * The MEDIBUS emulator driven by a host written in this test from the protocol rules
 * (support/medibusSpec.ts shares no code with hal/medibus): every request a family supports
 * gets a well-formed payload, unsupported ones an empty echo, STOP its reply, a corrupt
 * command (wrong sum, or lower-case checksum characters) a NAK, and each family identifies
 * itself as that family. Issue 21, points 2-5. Virtual time only.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { transportPair } from '../../hal/serial/transport.js';
import { MedibusEmulator } from '../../emulators/index.js';
import { MAKAIR_BASELINE, settle, world } from './support/rig.js';
import { SPEC, SpecSplitter, specAlarmRecords, specCommand, specDataRecords, specNumber, specResponse, specTextRecords } from './support/medibusSpec.js';

type Family = 'evita' | 'primus' | 'v300';
/** 6 Dec 2026, 14:05:33 UTC: the device clock in these tests. */
const T0 = Date.UTC(2026, 11, 6, 14, 5, 33);

function bench(family: Family) {
  const clock = new VirtualClock(T0);
  const [host, device] = transportPair();
  const emulator = new MedibusEmulator({ transport: device, clock, world: world(clock, { ...MAKAIR_BASELINE, fio2: 0.5 }), family });
  const wire = new SpecSplitter();
  host.data$.subscribe((c) => wire.push(c));
  const advance = async (ms: number, stepMs = 10): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      clock.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
  const responses = (cmd: number) => wire.frames.filter((f) => f.kind === 'response' && f.cmd === cmd);
  /** Sends one command and returns the responses that arrived within 100 ms. */
  const ask = async (bytes: Uint8Array) => {
    const before = wire.frames.length;
    await host.write(bytes);
    await advance(100);
    return wire.frames.slice(before).filter((f) => f.kind === 'response');
  };
  const up = async (): Promise<void> => {
    emulator.start();
    await host.write(specCommand(0x51));
    await advance(100);
    expect(emulator.linkState).toBe('up');
  };
  return { clock, host, emulator, wire, advance, responses, ask, up };
}

describe('MEDIBUS emulator against a host written from the specification', () => {
  it.each(['evita', 'primus', 'v300'] as const)('%s: every response carries an upper-case checksum equal to the byte sum', async (family) => {
    const b = bench(family);
    await b.up();
    for (const cmd of [0x30, 0x52, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2e, 0x23]) await b.ask(specCommand(cmd));
    const responses = b.wire.frames.filter((f) => f.kind === 'response');
    expect(responses.length).toBe(13); // ICC + the 12 above
    expect(responses.filter((f) => !f.checksumOk)).toEqual([]);
    expect(b.wire.stray).toEqual([]);
    await b.emulator.close();
  });

  it('DATE_TIME (28H) is answered with the device clock as hh:mm:ss dd-MMM-yy, not an empty echo (point 2)', async () => {
    const b = bench('evita');
    await b.up();
    const [r] = await b.ask(specCommand(0x28));
    expect(r).toMatchObject({ cmd: 0x28, checksumOk: true });
    const m = /^(\d{2}):(\d{2}):(\d{2}) (\d{2})-([A-Z]{3})-(\d{2})$/.exec(r!.payload);
    expect(m, `payload ${JSON.stringify(r!.payload)}`).not.toBeNull();
    // The device clock advanced by the handshake and the reply delay: 14:05:33 on 06-DEC-26 (German month names).
    expect(m!.slice(1)).toEqual(['14', '05', '33', '06', 'DEZ', '26']);
    for (let i = 0; i < 300; i++) {
      await b.host.write(specCommand(0x30)); // NOP every 2 s keeps the link
      await b.advance(2000, 500);
    }
    const [later] = await b.ask(specCommand(0x28));
    expect(later!.payload).toMatch(/^14:15:3\d 06-DEZ-26$/);
    await b.emulator.close();
  });

  it.each(['evita', 'primus', 'v300'] as const)('%s: every supported request gets a payload of whole records of its layout (point 2)', async (family) => {
    const b = bench(family);
    await b.up();
    const [measured] = await b.ask(specCommand(0x24));
    const cp1 = specDataRecords(measured!.payload, 4);
    expect(cp1.length).toBeGreaterThan(5);
    const byCode = Object.fromEntries(cp1.map((r) => [r.code, specNumber(r.value)]));
    expect(byCode['7D']).toBeGreaterThan(byCode['78']!); // peak above PEEP, in mbar
    expect(byCode['F0']).toBe(50); // FiO2 0.5 -> 50 %

    const [low] = await b.ask(specCommand(0x25));
    const [high] = await b.ask(specCommand(0x26));
    const lows = specDataRecords(low!.payload, 4);
    const highs = specDataRecords(high!.payload, 4);
    expect(lows.length).toBeGreaterThan(0);
    expect(highs.length).toBeGreaterThan(0);
    for (const h of highs) {
      const l = lows.find((x) => x.code === h.code);
      expect(specNumber(h.value), `high limit ${h.code}`).not.toBeNull();
      if (l) expect(specNumber(l.value)!).toBeLessThan(specNumber(h.value)!);
    }
    // The measured values sit inside the limits the device holds.
    for (const h of highs) if (byCode[h.code] !== undefined) expect(byCode[h.code]!).toBeLessThanOrEqual(specNumber(h.value)!);

    const [settings] = await b.ask(specCommand(0x29));
    const set = Object.fromEntries(specDataRecords(settings!.payload, 5).map((r) => [r.code, specNumber(r.value)]));
    expect(set['01']).toBe(50);
    expect(set['0B']).toBe(10);

    const [texts] = await b.ask(specCommand(0x2a));
    expect(specTextRecords(texts!.payload).length).toBe(1);

    const [alarms] = await b.ask(specCommand(0x27));
    expect(specAlarmRecords(alarms!.payload)).toEqual([]);
    b.emulator.raiseAlarm(0x10, 'Paw high');
    const [alarms2] = await b.ask(specCommand(0x27));
    expect(specAlarmRecords(alarms2!.payload)).toEqual([{ priority: 25, code: '10', phrase: 'Paw high    ' }]);

    for (const cmd of [0x2b, 0x2e, 0x23]) {
      const [r] = await b.ask(specCommand(cmd));
      expect(r).toMatchObject({ cmd, checksumOk: true });
      if (cmd === 0x2b) specDataRecords(r!.payload, 4);
      else specAlarmRecords(r!.payload);
    }
    const [cp2] = b.responses(0x2b);
    expect(specDataRecords(cp2!.payload, 4).length > 0).toBe(family === 'v300');
    await b.emulator.close();
  });

  it('a command the emulated device does not support is answered with an empty echo of its byte (point 2)', async () => {
    const b = bench('primus');
    await b.up();
    for (const cmd of [0x6c, 0x6d, 0x2c, 0x4a, 0x53]) {
      const rs = await b.ask(specCommand(cmd));
      expect(rs, `command ${cmd.toString(16)}`).toEqual([{ kind: 'response', cmd, payload: '', checksum: expect.any(String) as string, checksumOk: true }]);
    }
    await b.emulator.close();
  });

  it('STOP (55H) gets its reply, then the link ends and the device goes back to ICC (point 3)', async () => {
    const b = bench('evita');
    await b.up();
    const iccsBefore = b.wire.frames.filter((f) => f.kind === 'command' && f.cmd === 0x51).length;
    const rs = await b.ask(specCommand(0x55));
    expect(rs.map((f) => [f.cmd, f.payload, f.checksumOk])).toEqual([[0x55, '', true]]);
    expect(b.emulator.linkState).toBe('initialising');
    await b.advance(1500);
    expect(b.wire.frames.filter((f) => f.kind === 'command' && f.cmd === 0x51).length).toBeGreaterThan(iccsBefore);
    // After STOP the device answers nothing but ICC until the host initialises again.
    expect(await b.ask(specCommand(0x24))).toEqual([]);
    await b.emulator.close();
  });

  it('a command with a lower-case checksum is corrupt: NAK (01 15 31 36 0D), nothing else (point 4)', async () => {
    const b = bench('evita');
    await b.up();
    const lower = specCommand(0x24, '', { lowerCase: true }); // 1B + 24 = 3F, sent as "3f"
    expect(String.fromCharCode(lower[2]!, lower[3]!)).toBe('3f');
    const rs = await b.ask(lower);
    expect(rs).toEqual([{ kind: 'response', cmd: SPEC.NAK, payload: '', checksum: '16', checksumOk: true }]);
    // A wrong sum in upper case, and a frame too short to hold a checksum, are NAKed too.
    const wrong = specCommand(0x24);
    wrong[3] = wrong[3] === 0x30 ? 0x31 : 0x30;
    expect((await b.ask(wrong)).map((f) => f.cmd)).toEqual([SPEC.NAK]);
    expect((await b.ask(Uint8Array.from([SPEC.ESC, 0x24, SPEC.CR]))).map((f) => f.cmd)).toEqual([SPEC.NAK]);
    // The link is still up and answers a good command.
    expect((await b.ask(specCommand(0x30))).map((f) => f.cmd)).toEqual([0x30]);
    await b.emulator.close();
  });

  it('each family reports its own device identification; the Primus does not report the Evita id (point 5)', async () => {
    const ids: Record<string, { id: string; name: string; revision: string }> = {};
    for (const family of ['evita', 'primus', 'v300'] as const) {
      const b = bench(family);
      await b.up();
      const [r] = await b.ask(specCommand(0x52));
      const m = /^(.{4})'([^']*)'(.{11})$/.exec(r!.payload);
      expect(m, `52H payload ${JSON.stringify(r!.payload)}`).not.toBeNull();
      ids[family] = { id: m![1]!, name: m![2]!, revision: m![3]! };
      expect(m![3]).toMatch(/^\d{2}\.\d{2}:\d{2}\.\d{2}$/);
      await b.emulator.close();
    }
    expect(ids.primus!.name).toMatch(/Primus/);
    expect(ids.evita!.name).toMatch(/Evita/);
    expect(ids.primus!.id).not.toBe(ids.evita!.id);
    expect(ids.v300!.id).not.toBe(ids.evita!.id);
    expect(new Set(Object.values(ids).map((x) => x.id)).size).toBe(3);
  });

  it('answers the device-side ICC of the host and a host response to its own ICC brings the link up', async () => {
    const b = bench('v300');
    b.emulator.start();
    await settle();
    expect(b.wire.frames.filter((f) => f.kind === 'command' && f.cmd === 0x51 && f.checksumOk)).toHaveLength(1);
    await b.host.write(specResponse(0x51));
    await b.advance(50);
    expect(b.emulator.linkState).toBe('up');
    await b.emulator.close();
  });
});
