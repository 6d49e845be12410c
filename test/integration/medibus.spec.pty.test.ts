/**
 * MEDIBUS both ways on real pseudo-terminals, each side checked by code written from the
 * protocol rules independently of its counterpart (issue 21):
 * - `rmseq emulate medibus` (device side, built on hal/medibus's encoders) driven by a host
 *   written in the test (test/emulators/support/medibusSpec.ts): date/time, limits, STOP,
 *   lower-case checksum, identification;
 * - rm-sequencer's host (MedibusVentilator behind GuidedVentilator) against a device written in
 *   the test that numbers its values as the Primus MEDIBUS document does (PEEP 0CH, rate D9H,
 *   minute volume B9H), and against one whose PEEP code the table does not know (refused);
 * - the emulator given a code table file (`--medibus-codes`) read by the built-in table.
 * Wall clock at 1x; every wait is bounded by `within`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WallClock } from '../../common/clock.js';
import { GuidedReadinessError, GuidedVentilator } from '../../hal/guided/index.js';
import { MedibusVentilator } from '../../hal/medibus/index.js';
import primusJson from '../../hal/medibus/codes/primus.json' with { type: 'json' };
import { SerialTransport } from '../../hal/serial/transport.js';
import { emulateCommand } from '../../src/cli/emulate.js';
import { SPEC, SpecSplitter, specCommand, specDataRecords, specResponse, type SpecFrame } from '../emulators/support/medibusSpec.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir, within } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
const PRIMUS_LINE = { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 } as const;

/** A MEDIBUS device written here from the rules: answers each command with the payload `answers` gives (or an empty echo). */
async function specDevice(path: string, answers: Record<number, string>) {
  const port = await SerialTransport.open({ path, ...PRIMUS_LINE });
  const seen: number[] = [];
  const wire = new SpecSplitter((f: SpecFrame) => {
    if (f.kind !== 'command') return;
    seen.push(f.cmd);
    // A command still in the splitter when the test closes the port gets no answer: a write
    // refused because the port is closed is the end of the conversation, not a failure.
    port.write(f.checksumOk ? specResponse(f.cmd, answers[f.cmd] ?? '') : specResponse(SPEC.NAK)).catch((e: unknown) => {
      if (port.isOpen) throw e;
    });
  });
  port.data$.subscribe((c) => wire.push(c));
  return { port, seen };
}

const rec = (code: string, value: string, width: 4 | 5) => `${code}${value.padStart(width, ' ')}`;
const PRIMUS_DOCUMENT_ANSWERS: Record<number, string> = {
  0x52: "0162'Primus'04.00:06.00",
  0x29: [rec('0C', '10', 5), rec('45', '25', 5), rec('13', '35', 5), rec('0A', '20', 5), rec('01', '50', 5)].join(''),
  0x2a: `34${String.fromCharCode(0x30 + 3)}PCV${String.fromCharCode(SPEC.ETX)}`,
  0x24: [rec('7D', '26', 4), rec('74', '24', 4), rec('78', '10', 4), rec('88', '450', 4), rec('06', '40', 4), rec('F0', '50', 4), rec('D9', '20', 4), rec('B9', '9.00', 4)].join(''),
  0x27: '',
};

describe.skipIf(!SOCAT)(`MEDIBUS both ways, each side against code written from the rules${SOCAT_NOTE}`, () => {
  it('rmseq emulate medibus --device primus, driven by a host written from the rules', { timeout: 30_000 }, async () => {
    const dev = await ptyPair(scratch!.dir, 'spec-emu');
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let out = '';
    const done = emulateCommand('medibus', { port: dev.device, device: 'primus', patient: 'mild-ards' }, { stdout: (s) => (out += s), stderr: (s) => (out += s), until });
    const host = await SerialTransport.open({ path: dev.host, ...PRIMUS_LINE });
    const waiting: Array<{ cmd: number; resolve: (f: SpecFrame) => void }> = [];
    const wire = new SpecSplitter((f) => {
      const i = waiting.findIndex((w) => f.kind === 'response' && w.cmd === f.cmd);
      if (i >= 0) waiting.splice(i, 1)[0]!.resolve(f);
    });
    host.data$.subscribe((c) => wire.push(c));
    const ask = (bytes: Uint8Array, answeredBy: number): Promise<SpecFrame> => {
      const p = new Promise<SpecFrame>((resolve, reject) => {
        waiting.push({ cmd: answeredBy, resolve });
        host.write(bytes).catch(reject);
      });
      return within(p, 5000, `answer ${answeredBy.toString(16)}H`);
    };
    try {
      await ask(specCommand(0x51), 0x51);
      const id = await ask(specCommand(0x52), 0x52);
      expect(id.payload).toMatch(/^0162'Primus'\d{2}\.\d{2}:06\.00$/);
      const dt = await ask(specCommand(0x28), 0x28);
      const m = /^(\d{2}):(\d{2}):(\d{2}) (\d{2})-([A-Z]{3})-(\d{2})$/.exec(dt.payload);
      expect(m, dt.payload).not.toBeNull();
      const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAI', 'JUN', 'JUL', 'AUG', 'SEP', 'OKT', 'NOV', 'DEZ'];
      const shown = Date.UTC(2000 + Number(m![6]), months.indexOf(m![5]!), Number(m![4]), Number(m![1]), Number(m![2]), Number(m![3]));
      expect(Math.abs(shown - Date.now())).toBeLessThan(120_000);
      for (const cmd of [0x25, 0x26]) expect(specDataRecords((await ask(specCommand(cmd), cmd)).payload, 4).length).toBeGreaterThan(0);
      expect(specDataRecords((await ask(specCommand(0x29), 0x29)).payload, 5).map((r) => r.code)).toContain('0B');
      const nak = await ask(specCommand(0x24, '', { lowerCase: true }), SPEC.NAK);
      expect(nak).toMatchObject({ payload: '', checksum: '16', checksumOk: true });
      const stopReply = await ask(specCommand(0x55), 0x55);
      expect(stopReply).toMatchObject({ payload: '', checksumOk: true });
      expect(wire.frames.filter((f) => !f.checksumOk)).toEqual([]);
    } finally {
      stop();
      expect(await done).toBe(0);
      await host.close();
      await dev.close();
    }
    expect(out).toMatch(/the host sent STOP: answered, link ended/);
    expect(out).toMatch(/malformed .*: NAK/);
  });

  it('our host, guided, reads a device written from the rules that numbers values as the Primus MEDIBUS document does (0CH, D9H, B9H)', { timeout: 30_000 }, async () => {
    const dev = await ptyPair(scratch!.dir, 'spec-dev');
    const device = await specDevice(dev.device, PRIMUS_DOCUMENT_ANSWERS);
    const clock = new WallClock();
    const vent = new MedibusVentilator({ transport: await SerialTransport.open({ path: dev.host, ...PRIMUS_LINE }), clock, family: 'primus', pollMs: 200 });
    const guided = new GuidedVentilator({ device: vent, clock });
    try {
      await within(guided.connect(), 15_000, 'guided connect');
      expect(await within(guided.readSettings(), 5000, 'settings')).toEqual({ mode: 'PCV', peepCmH2O: 10.2, peakCmH2O: 25.49, rateBpm: 20, fio2: 0.5 });
      const m = vent.latestMeasurements()!;
      expect(m.rateBpm).toBe(20); // D9H
      expect(m.sample).toMatchObject({ peepCmH2O: 10.2, peakCmH2O: 26.51 });
      expect(m.values.find((v) => v.code === 0xb9)).toMatchObject({ name: 'RespiratoryMinuteVolumeFrac', value: 9 });
      await guided.close();
      // Our close() sends STOP; the device written from the rules receives it.
      await within(
        new Promise<void>((resolve) => {
          const t = setInterval(() => device.seen.includes(0x55) && (clearInterval(t), resolve()), 10);
        }),
        5000,
        'STOP at the device',
      );
    } finally {
      await guided.close();
      await device.port.close();
      await dev.close();
    }
  });

  it('our host, guided, refuses a device whose PEEP setting comes under a code its table does not know', { timeout: 30_000 }, async () => {
    const dev = await ptyPair(scratch!.dir, 'spec-unk');
    const device = await specDevice(dev.device, { ...PRIMUS_DOCUMENT_ANSWERS, 0x29: PRIMUS_DOCUMENT_ANSWERS[0x29]!.replace(/^0C/, '0D') });
    const clock = new WallClock();
    const vent = new MedibusVentilator({ transport: await SerialTransport.open({ path: dev.host, ...PRIMUS_LINE }), clock, family: 'primus', pollMs: 200, readinessTimeoutMs: 1000 });
    const guided = new GuidedVentilator({ device: vent, clock });
    try {
      const err = await within(guided.connect().then(() => null, (e: unknown) => e), 15_000, 'guided connect');
      expect(err).toBeInstanceOf(GuidedReadinessError);
      expect((err as GuidedReadinessError).missing).toEqual(['settings.peepCmH2O']);
      expect((err as Error).message).toMatch(/PEEP setting \(peepCmH2O\): none of 0BH, 0CH .* family primus, code table built-in codes\/primus\.json|family primus, code table built-in codes\/primus\.json.*PEEP setting \(peepCmH2O\): none of 0BH, 0CH/);
    } finally {
      await guided.close();
      await device.port.close();
      await dev.close();
    }
  });

  it('rmseq emulate medibus --medibus-codes: the emulated Primus reports through the given table; our host reads it', { timeout: 30_000 }, async () => {
    const t = JSON.parse(JSON.stringify(primusJson)) as typeof primusJson;
    t.settings = t.settings.filter((s) => s.code !== '0B').map((s) => (s.code === '0C' ? { ...s, sameAs: undefined } : s)) as typeof t.settings;
    t.measured = t.measured.filter((x) => !['D6', 'D7', 'B8'].includes(x.code)) as typeof t.measured;
    const file = join(scratch!.dir, 'primus-document.json');
    writeFileSync(file, JSON.stringify(t));
    const io = { stdout: () => undefined, stderr: () => undefined, until: Promise.resolve() };
    await expect(emulateCommand('medibus', { port: '/dev/null', device: 'evita', patient: 'healthy', medibusCodes: file }, io)).rejects.toThrow(/is for the primus family, but the device is a evita/);
    await expect(emulateCommand('makair', { port: '/dev/null', patient: 'healthy', medibusCodes: file }, io)).rejects.toThrow(/--medibus-codes applies to `emulate medibus` only/);

    const dev = await ptyPair(scratch!.dir, 'spec-codes');
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    let out = '';
    const done = emulateCommand('medibus', { port: dev.device, device: 'primus', patient: 'mild-ards', medibusCodes: file }, { stdout: (s) => (out += s), stderr: (s) => (out += s), until });
    const clock = new WallClock();
    const vent = new MedibusVentilator({ transport: await SerialTransport.open({ path: dev.host, ...PRIMUS_LINE }), clock, family: 'primus', pollMs: 200 });
    const guided = new GuidedVentilator({ device: vent, clock });
    try {
      await within(guided.connect(), 15_000, 'guided connect');
      const s = await within(guided.readSettings(), 5000, 'settings');
      expect(s).toMatchObject({ mode: 'PCV', peepCmH2O: 10.2, rateBpm: 20 });
      expect(vent.latestMeasurements()!.values.map((v) => v.code)).toEqual(expect.arrayContaining([0xd9]));
      expect(vent.latestMeasurements()!.values.map((v) => v.code)).not.toContain(0xd6);
    } finally {
      await guided.close();
      stop();
      expect(await done).toBe(0);
      await dev.close();
    }
    expect(out).toMatch(/rmseq emulate medibus \(primus, code table .*primus-document\.json\)/);
  });
});
