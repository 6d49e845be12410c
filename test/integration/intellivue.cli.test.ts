/**
 * `rmseq emulate intellivue` (the command function, in process) on UDP loopback, with the host
 * opened from a `--vitals intellivue:udp:...` flag as `rmseq run` does; control commands on
 * stdin; flag errors that name the value and what is allowed.
 */
import { PassThrough } from 'node:stream';
import { firstValueFrom, filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WallClock } from '../../common/clock.js';
import type { MonitorSample } from '../../machines/types.js';
import type { DeviceFault } from '../../hal/port.js';
import { emulateCommand } from '../../src/cli/emulate.js';
import { consoleCommand } from '../../src/cli/console.js';
import { CliError, EXIT } from '../../src/cli/exitCodes.js';
import { pino } from 'pino';
import { parseListen } from '../../src/cli/emulateIntelliVue.js';
import { parseVitalsTarget } from '../../src/cli/vitals.js';
import { describeVitalsTarget, openVitals } from '../../src/runner/vitals.js';
import { within } from './support/pty.js';

function output() {
  let text = '';
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const stdout = (s: string): void => {
    text += s;
    for (const w of waiters.splice(0)) {
      const m = text.match(w.re);
      if (m) w.resolve(m);
      else waiters.push(w);
    }
  };
  const printed = (re: RegExp): Promise<RegExpMatchArray> => {
    const m = text.match(re);
    return m ? Promise.resolve(m) : within(new Promise((resolve) => waiters.push({ re, resolve })), 10_000, `output ${re}`);
  };
  return { stdout, printed };
}

describe('rmseq emulate intellivue', () => {
  it('serves a host over UDP; stdin raises an INOP, demo data and a dropped association; stops cleanly', { timeout: 30_000 }, async () => {
    const out = output();
    const stdin = new PassThrough();
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const done = emulateCommand('intellivue', { listen: 'udp:127.0.0.1:0', patient: 'moderate-ards', seed: '2', speed: '10' } as never, { stdout: out.stdout, stderr: out.stdout, stdin, until });
    const [, port] = await out.printed(/rmseq emulate intellivue on udp 127\.0\.0\.1:(\d+), patient moderate-ards \(seed 2\), clock x10/);
    const clock = new WallClock(10);
    const target = parseVitalsTarget(`intellivue:udp:127.0.0.1:${port}`);
    expect(describeVitalsTarget(target)).toBe(`intellivue:udp:127.0.0.1:${port}`);
    const vitals = await openVitals(target, { clock, intellivue: { lostAfterMs: 10_000, associateTimeoutMs: 10_000 } });
    const faults: DeviceFault[] = [];
    vitals.faults$.subscribe((f) => faults.push(f));
    const next = (ok: (s: MonitorSample) => boolean, what: string): Promise<MonitorSample> => within(firstValueFrom(vitals.samples$.pipe(filter(ok))), 10_000, what);
    try {
      await within(vitals.connect(), 10_000, 'association');
      await out.printed(/link: associated with udp 127\.0\.0\.1:\d+/);
      const s = await next(() => true, 'first sample');
      expect(s.spo2Pct).toBeGreaterThan(80);
      expect(s.invalid).toBeUndefined();

      stdin.write('inop spo2\n');
      await out.printed(/> INOP SpO2 NO SENSOR raised/);
      expect((await next((x) => x.invalid?.includes('spo2Pct') ?? false, 'SpO2 invalid')).spo2Pct).toBeUndefined();
      stdin.write('inop spo2 off\n');
      await next((x) => x.spo2Pct !== undefined && !x.invalid, 'SpO2 back');

      stdin.write('questionable hr\n');
      await next((x) => x.invalid?.includes('hrBpm') ?? false, 'HR questionable');
      stdin.write('clear\n');

      stdin.write('inop nonsense\n');
      await out.printed(/! inop: unknown INOP "nonsense" \(one of spo2, spo2-nonpulsatile, abp, abp-zero, ecg\)/);

      stdin.write('demo on\n');
      await within(firstValueFrom(vitals.faults$), 10_000, 'demo fault').catch(() => undefined);
      expect(faults.at(-1)?.message).toMatch(/DEMO data/);
      stdin.write('demo off\n');

      stdin.write('drop\n');
      await out.printed(/association with udp 127\.0\.0\.1:\d+ aborted by the monitor/);
      await out.printed(/aborted by the monitor[\s\S]*link: associated with udp/); // the host associates again
      await next((x) => x.spo2Pct !== undefined && !x.invalid, 'samples after re-association');
      expect(faults.some((f) => /aborted the association/.test(f.message))).toBe(true);

      stdin.write('status\n');
      await out.printed(/> \{"peer":"udp 127\.0\.0\.1:\d+","associations":2/);
    } finally {
      await vitals.close();
    }
    await out.printed(/released the association/);
    stop();
    expect(await done).toBe(0);
    await out.printed(/emulator stopped/);
    clock.clearAll();
  });

  it('refuses bad flags with the value and what is allowed', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, until: Promise.resolve() };
    await expect(emulateCommand('intellivue', { patient: 'healthy' } as never, io)).rejects.toThrow(/needs one of --listen udp:<host>:<port> \(LAN\) or --port <path> \(MIB RS232\)/);
    await expect(emulateCommand('intellivue', { listen: 'udp:127.0.0.1:1', port: '/dev/null', patient: 'healthy' } as never, io)).rejects.toThrow(/needs one of/);
    await expect(emulateCommand('intellivue', { listen: 'udp:127.0.0.1:1', device: 'evita', patient: 'healthy' } as never, io)).rejects.toThrow(/--device does not apply to emulate intellivue/);
    expect(() => parseListen('tcp:127.0.0.1:5')).toThrow(/--listen = "tcp:127\.0\.0\.1:5": must be udp:<host>:<port>/);
    expect(() => parseListen('udp:127.0.0.1:70000')).toThrow(/port 0-65535/);
    expect(parseListen('udp:[::1]:24105')).toEqual({ host: '::1', port: 24105 });
  });
});

describe('--vitals intellivue:...', () => {
  it('parses udp with and without a port, serial with the MIB line, and --vitals-baud for serial only', () => {
    expect(parseVitalsTarget('intellivue:udp:10.0.0.5')).toEqual({ intellivue: { transport: 'udp', host: '10.0.0.5', port: 24105 } });
    expect(parseVitalsTarget('intellivue:udp:monitor-bed4.icu:24106')).toEqual({ intellivue: { transport: 'udp', host: 'monitor-bed4.icu', port: 24106 } });
    expect(parseVitalsTarget('intellivue:udp:[fe80::1]:24105')).toEqual({ intellivue: { transport: 'udp', host: 'fe80::1', port: 24105 } });
    expect(parseVitalsTarget('intellivue:serial:/dev/ttyUSB2')).toEqual({ intellivue: { transport: 'serial', path: '/dev/ttyUSB2', baudRate: 115200 } });
    expect(parseVitalsTarget('intellivue:serial:/dev/ttyUSB2', '19200')).toEqual({ intellivue: { transport: 'serial', path: '/dev/ttyUSB2', baudRate: 19200 } });
    expect(parseVitalsTarget('line:/dev/ttyUSB3')).toMatchObject({ path: '/dev/ttyUSB3', baudRate: 9600 });
  });

  it.each([
    ['intellivue:tcp:10.0.0.5', /must be intellivue:udp:HOST\[:PORT\] \(default port 24105\) or intellivue:serial:PATH/],
    ['intellivue:udp:', /host "" names no host/],
    ['intellivue:udp:10.0.0.5:0', /port "0" must be a port number 1-65535/],
    ['intellivue:udp:10.0.0.5:99999', /port "99999" must be a port number 1-65535/],
    ['intellivue:udp:10.0.0.5:abc', /port "abc" must be a port number 1-65535/],
    ['intellivue:udp:bad host', /host "bad host" must be a host name/],
    ['intellivue:serial:', /names no port/],
    ['usb:/dev/ttyUSB2', /must be line:<port>, intellivue:udp:<host>\[:<port>\] or intellivue:serial:<port>/],
  ])('%s is refused', (flag, message) => {
    expect(() => parseVitalsTarget(flag)).toThrow(message);
  });

  it('--vitals-baud is refused with intellivue:udp (a LAN link has no baud rate)', () => {
    expect(() => parseVitalsTarget('intellivue:udp:10.0.0.5', '9600')).toThrow(/--vitals-baud applies to serial vitals/);
  });

  it('a serial port that does not exist is a port error naming it', async () => {
    await expect(openVitals(parseVitalsTarget('intellivue:serial:/dev/nonexistent-mib'), { clock: new WallClock() })).rejects.toThrow(/patient monitor intellivue:serial:\/dev\/nonexistent-mib: .*nonexistent-mib/);
  });
});

describe('rmseq console --vitals intellivue:...', () => {
  it.each([
    [{ vitals: 'intellivue:udp:bad host' }, /--vitals = "intellivue:udp:bad host": intellivue:udp host "bad host" must be a host name/],
    [{ vitals: 'intellivue:serial:/dev/ttyNOPE-MIB' }, /--vitals = "intellivue:serial:\/dev\/ttyNOPE-MIB": \/dev\/ttyNOPE-MIB does not exist/],
    [{ vitals: 'intellivue:udp:127.0.0.1', vitalsBaud: '9600' }, /--vitals-baud applies to serial vitals/],
    // An address is not checked for existence: the device port is what fails next.
    [{ vitals: 'intellivue:udp:127.0.0.1:24105' }, /\/dev\/ttyNOPE/],
  ])('refuses %j with exit 2 before listening', async (flags, message) => {
    const out: string[] = [];
    const io = { stdout: (s: string) => void out.push(s), stderr: () => undefined, isTTY: false };
    const err = await consoleCommand({ port: '0', device: 'makair:/dev/ttyNOPE', fio2: '0.4', ...flags }, io, { logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.badInput);
    expect((err as Error).message).toMatch(message);
    expect(out.join('')).toBe('');
  });
});
