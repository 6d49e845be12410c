/**
 * Opening a device session fails with a clear error before anything starts: a wrong path, a
 * port in use, a device that never answers (a socat pair with nothing on the other end), an
 * identity that does not match, a protocol the device cannot carry out. Nothing but the
 * handshake itself (MEDIBUS ICC) ever reaches the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WallClock } from '../../common/clock.js';
import { SerialTransport } from '../../hal/serial/transport.js';
import { encodeCommand, MedibusCommand } from '../../hal/medibus/index.js';
import { ProtocolSchema } from '../../machines/index.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';
import { DeviceOpenError, defaultLineSettings, openDeviceSession, openLineVitals } from '../../src/runner/device.js';
import { Bench } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir, type PtyPair } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
const clock = new WallClock(1);
const staircase = ProtocolSchema.parse({ maneuver: 'staircase' });
const vitals = () => new ScriptedVitals(clock, () => ({ spo2Pct: 94, mapMmHg: 80 }));
let silent: PtyPair | null = null;

beforeAll(async () => {
  if (scratch) silent = await ptyPair(scratch.dir, 'silent');
});
afterAll(async () => {
  await silent?.close();
  clock.clearAll();
  scratch?.cleanup();
});

/** Everything the host writes to the silent pair's device end while `run` runs. */
async function listening<T>(run: () => Promise<T>): Promise<{ result: T | unknown; bytes: number[] }> {
  const port = await SerialTransport.open({ path: silent!.device, ...defaultLineSettings({ protocol: 'makair' }) });
  const bytes: number[] = [];
  port.data$.subscribe((c) => bytes.push(...c));
  const result = await run().catch((e: unknown) => e);
  await port.close();
  return { result, bytes };
}

describe.skipIf(!SOCAT)(`opening a device session: clear errors before anything starts${SOCAT_NOTE}`, () => {
  it('a path that does not exist', async () => {
    const err = await openDeviceSession({ device: { protocol: 'makair', path: `${scratch!.dir}/no-such-tty`, fio2: 0.4 }, maneuver: 'staircase', protocol: staircase, vitals: vitals(), clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceOpenError);
    expect(err).toMatchObject({ stage: 'port', code: 'port' });
    expect((err as Error).message).toMatch(/cannot open MakAir port .*no-such-tty: no such device \(check the path; `rmseq ports` lists the serial ports\)/);
    const v = await openLineVitals({ path: `${scratch!.dir}/no-vitals` }, { clock }).catch((e: unknown) => e);
    expect((v as Error).message).toMatch(/cannot open vitals feed port .*no-vitals: no such device/);
  });

  it('a port already in use', async () => {
    const holder = await SerialTransport.open({ path: silent!.host, ...defaultLineSettings({ protocol: 'makair' }) });
    try {
      const err = await openDeviceSession({ device: { protocol: 'makair', path: silent!.host, fio2: 0.4 }, maneuver: 'staircase', protocol: staircase, vitals: vitals(), clock }).catch((e: unknown) => e);
      expect(err).toMatchObject({ stage: 'port' });
      expect((err as Error).message).toMatch(/in use by another program/);
    } finally {
      await holder.close();
    }
  });

  it('a MakAir that never sends telemetry: connect fails, nothing was written to it', async () => {
    const { result, bytes } = await listening(() =>
      openDeviceSession({ device: { protocol: 'makair', path: silent!.host, fio2: 0.4 }, maneuver: 'staircase', protocol: staircase, vitals: vitals(), clock, connectTimeoutMs: 1500 }),
    );
    expect(result).toMatchObject({ stage: 'connect', code: 'disconnected' });
    expect((result as Error).message).toMatch(/no MakAir telemetry on .*silent-host \(115200 8N1\) within 1\.5 s/);
    expect(bytes).toEqual([]);
  });

  it('a MEDIBUS device that never answers ICC: connect fails; only ICC was sent', async () => {
    const { result, bytes } = await listening(() =>
      openDeviceSession({ device: { protocol: 'medibus', path: silent!.host, family: 'evita' }, maneuver: 'staircase', protocol: staircase, vitals: vitals(), clock, connectTimeoutMs: 1500, serial: { baudRate: 115200 } }),
    );
    expect(result).toMatchObject({ stage: 'connect' });
    expect((result as Error).message).toMatch(/no answer to ICC from the MEDIBUS device on .* within 1\.5 s/);
    const icc = [...encodeCommand(MedibusCommand.ICC)];
    expect(bytes.length).toBeGreaterThan(0);
    for (let i = 0; i < bytes.length; i += icc.length) expect(bytes.slice(i, i + icc.length)).toEqual(icc);
  });

  it('a MEDIBUS device of another family: identity mismatch', { timeout: 30_000 }, async () => {
    const bench = await Bench.start({ dir: scratch!.dir, name: 'ident', device: { protocol: 'medibus', family: 'primus' }, speed: 1 });
    try {
      const err = await openDeviceSession({ device: { protocol: 'medibus', path: bench.hostPath, family: 'evita' }, serial: defaultLineSettings({ protocol: 'medibus', family: 'primus' }), maneuver: 'staircase', protocol: staircase, vitals: vitals(), clock, connectTimeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ stage: 'identity', code: 'identity-mismatch' });
      expect((err as Error).message).toMatch(/reports 'Primus', which is not a Draeger Evita/);
    } finally {
      await bench.close();
    }
  });

  it('a protocol the MakAir cannot carry out (plateau above 40 cmH2O): refused before any setting is sent', { timeout: 30_000 }, async () => {
    const bench = await Bench.start({ dir: scratch!.dir, name: 'caps', device: { protocol: 'makair' }, speed: 5 });
    try {
      const protocol = ProtocolSchema.parse({ maneuver: 'high-pressure-pcv', peepCmH2O: 30, peakCmH2O: 45 });
      const err = await openDeviceSession({ device: { protocol: 'makair', path: bench.hostPath, fio2: 0.4 }, maneuver: 'high-pressure-pcv', protocol, vitals: vitals(), clock: bench.clock }).catch((e: unknown) => e);
      expect(err).toMatchObject({ stage: 'capabilities', code: 'out-of-range' });
      expect((err as Error).message).toMatch(/Makers For Life MakAir cannot carry out this high-pressure-pcv protocol/);
      expect(bench.emulator.status().counters['controlFrames']).toBe(0);
    } finally {
      await bench.close();
    }
  });
});
