/**
 * The CLI pieces around devices: `--device` and serial flags (defaults per protocol and family,
 * errors that name the option, the value and what is allowed) and `rmseq ports` (including a
 * machine without udevadm, as this one).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeviceFlags, parseVitalsFlag } from '../../src/cli/device.js';
import { CliError, EXIT } from '../../src/cli/exitCodes.js';
import { portsCommand } from '../../src/cli/ports.js';
import { explainPortError } from '../../src/runner/device.js';

describe('parseDeviceFlags', () => {
  it('MakAir: 115200 8N1 unless told otherwise; FiO2 stated', () => {
    expect(parseDeviceFlags({ device: 'makair:/dev/ttyUSB0', fio2: '0.4' })).toEqual({
      spec: { protocol: 'makair', path: '/dev/ttyUSB0', fio2: 0.4 },
      serial: { path: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 },
    });
    expect(parseDeviceFlags({ device: 'makair:/dev/ttyUSB0', fio2: '1', baud: '57600', stopBits: '2' }).serial).toMatchObject({ baudRate: 57600, stopBits: 2 });
  });

  it.each([
    ['primus', { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 }],
    ['evita', { baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 }],
    ['v300', { baudRate: 19200, parity: 'even', dataBits: 8, stopBits: 1 }],
  ])('MEDIBUS %s: the family line settings', (family, line) => {
    expect(parseDeviceFlags({ device: 'medibus:/dev/ttyUSB1', family })).toEqual({ spec: { protocol: 'medibus', path: '/dev/ttyUSB1', family }, serial: { path: '/dev/ttyUSB1', ...line } });
  });

  it('--medibus-codes: the host reads through the given table (checked before any port opens, its family the device\'s)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-codes-'));
    const primus = JSON.parse(readFileSync(join(import.meta.dirname, '../../hal/medibus/codes/primus.json'), 'utf8')) as Record<string, unknown> & { serial: Record<string, unknown> };
    writeFileSync(join(dir, 'primus-site.json'), JSON.stringify({ ...primus, serial: { ...primus.serial, baudRate: 19200 } }));
    const choice = parseDeviceFlags({ device: 'medibus:/dev/ttyS0', family: 'primus', medibusCodes: join(dir, 'primus-site.json') });
    expect(choice.spec).toMatchObject({ protocol: 'medibus', family: 'primus', codeTableSource: `file ${join(dir, 'primus-site.json')}` });
    expect(choice.spec.protocol === 'medibus' && choice.spec.codeTable?.family).toBe('primus');
    expect(choice.serial.baudRate).toBe(19200); // the table's line settings are the defaults
    expect(() => parseDeviceFlags({ device: 'medibus:/dev/ttyS0', family: 'evita', medibusCodes: join(dir, 'primus-site.json') })).toThrow(/is for the primus family, but the device is a evita/);
    expect(() => parseDeviceFlags({ device: 'medibus:/dev/ttyS0', family: 'primus', medibusCodes: join(dir, 'missing.json') })).toThrow(/missing\.json/);
    expect(() => parseDeviceFlags({ device: 'makair:/dev/ttyS0', fio2: '0.4', medibusCodes: join(dir, 'primus-site.json') })).toThrow(/--medibus-codes applies to MEDIBUS devices only/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('overrides take the flags given, the rest stays the family default', () => {
    expect(parseDeviceFlags({ device: 'medibus:/dev/ttyS0', family: 'primus', parity: 'none', dataBits: '7' }).serial).toEqual({ path: '/dev/ttyS0', baudRate: 9600, parity: 'none', dataBits: 7, stopBits: 1 });
  });

  it.each([
    [{}, /--device must be makair:<port> or medibus:<port>/],
    [{ device: '/dev/ttyUSB0' }, /--device = "\/dev\/ttyUSB0": must be makair:<port> or medibus:<port>/],
    [{ device: 'hamilton:/dev/ttyUSB0' }, /--device = "hamilton:\/dev\/ttyUSB0": protocol must be one of makair, medibus/],
    [{ device: 'makair:/dev/x' }, /--fio2 is required with a MakAir/],
    [{ device: 'makair:/dev/x', fio2: '40' }, /--fio2 = "40": must be a fraction between 0.21 and 1/],
    [{ device: 'makair:/dev/x', fio2: '0.4', family: 'evita' }, /--family = "evita": applies to MEDIBUS devices only/],
    [{ device: 'medibus:/dev/x' }, /--family is required with a MEDIBUS device: one of evita, primus, v300/],
    [{ device: 'medibus:/dev/x', family: 'servo' }, /--family = "servo": must be one of evita, primus, v300/],
    [{ device: 'medibus:/dev/x', family: 'evita', fio2: '0.5' }, /--fio2 = "0.5": applies to the MakAir only/],
    [{ device: 'medibus:/dev/x', family: 'evita', baud: '1234' }, /--baud = "1234": must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200/],
    [{ device: 'medibus:/dev/x', family: 'evita', parity: 'mark' }, /--parity = "mark": must be one of none, even, odd/],
    [{ device: 'medibus:/dev/x', family: 'evita', dataBits: '9' }, /--data-bits = "9": must be one of 7, 8/],
    [{ device: 'medibus:/dev/x', family: 'evita', stopBits: '1.5' }, /--stop-bits = "1.5": must be one of 1, 2/],
  ])('%j is bad input (exit 2)', (flags, message) => {
    let err: unknown;
    try {
      parseDeviceFlags(flags);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.badInput);
    expect((err as Error).message).toMatch(message);
  });

  it('--vitals line:<path>, 9600 8N1 by default', () => {
    expect(parseVitalsFlag('line:/dev/ttyUSB2')).toEqual({ path: '/dev/ttyUSB2', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
    expect(parseVitalsFlag('line:/dev/ttyUSB2', '19200').baudRate).toBe(19200);
    expect(() => parseVitalsFlag('/dev/ttyUSB2')).toThrow(/--vitals = "\/dev\/ttyUSB2": must be line:<port>/);
    expect(() => parseVitalsFlag('line:/dev/ttyUSB2', '300')).toThrow(/--vitals-baud = "300": must be one of 1200/);
  });

  it('port errors in words an operator can act on', () => {
    expect(explainPortError('/dev/ttyUSB9', new Error('Error: No such file or directory, cannot open /dev/ttyUSB9'))).toMatch(/no such device/);
    expect(explainPortError('/dev/ttyUSB0', new Error('Error Resource temporarily unavailable Cannot lock port'))).toMatch(/in use by another program/);
    expect(explainPortError('/dev/ttyUSB0', new Error('Error: Permission denied, cannot open /dev/ttyUSB0'))).toMatch(/dialout/);
  });
});

describe('rmseq ports', () => {
  const capture = () => {
    let out = '';
    return { io: { stdout: (s: string) => void (out += s), stderr: (s: string) => void (out += s) }, out: () => out };
  };

  it('lists the ports SerialPort.list() finds', async () => {
    const c = capture();
    const code = await portsCommand(c.io, { list: async () => [{ path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A10K', vendorId: '0403', productId: '6001' }, { path: '/dev/ttyS0' }] });
    expect(code).toBe(0);
    expect(c.out().split('\n')[0]).toMatch(/^path\s+manufacturer\s+serial number\s+vendor:product$/);
    expect(c.out()).toMatch(/\/dev\/ttyUSB0\s+FTDI\s+A10K\s+0403:6001/);
  });

  it('says plainly that udevadm is missing and how to install it, lists /dev nodes, exits 0', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'rmseq-dev-'));
    writeFileSync(join(dev, 'ttyUSB0'), '');
    writeFileSync(join(dev, 'ttyS0'), '');
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    writeFileSync(join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R-if00-port0'), '');
    const missing = Object.assign(new Error('spawn udevadm ENOENT'), { code: 'ENOENT', syscall: 'spawn udevadm', path: 'udevadm' });
    const c = capture();
    const code = await portsCommand(c.io, { list: () => Promise.reject(missing), devDir: dev });
    expect(code).toBe(0);
    expect(c.out()).toMatch(/`udevadm` is missing/);
    expect(c.out()).toMatch(/sudo apt-get install udev/);
    expect(c.out()).toContain(join(dev, 'ttyUSB0'));
    expect(c.out()).toContain(join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R-if00-port0'));
    expect(c.out()).not.toContain('ttyS0');
  });

  it('on this machine: runs the real SerialPort.list() without crashing', async () => {
    const c = capture();
    expect(await portsCommand(c.io)).toBe(0);
    expect(c.out().length).toBeGreaterThan(0);
  });

  it('no ports', async () => {
    const c = capture();
    expect(await portsCommand(c.io, { list: async () => [] })).toBe(0);
    expect(c.out()).toBe('no serial ports found\n');
  });
});

describe('rmseq emulate --device-id', () => {
  it('refuses an id the protocol cannot carry (exit 2), before any port opens; a MakAir id defaults from its port', async () => {
    const { emulateCommand, defaultMakAirId } = await import('../../src/cli/emulate.js');
    const io = { stdout: () => undefined, stderr: () => undefined };
    for (const [kind, id, re] of [
      ['makair', 'abc', /--device-id = "abc": a MakAir id is three whole numbers/],
      ['makair', '1-2-4294967296', /a MakAir id is three whole numbers 0-4294967295/],
      ['medibus', "01'1", /a MEDIBUS id is 4 printable characters without an apostrophe/],
      ['medibus', '01612', /a MEDIBUS id is 4 printable characters/],
    ] as const) {
      const flags = { port: '/nonexistent-port', patient: 'moderate-ards', deviceId: id, ...(kind === 'medibus' ? { device: 'evita' } : {}) };
      await expect(emulateCommand(kind, flags, io)).rejects.toThrow(re);
    }
    expect(defaultMakAirId('/tmp/a-dev')).toMatch(/^\d+-\d+-\d+$/);
    expect(defaultMakAirId('/tmp/a-dev')).not.toBe(defaultMakAirId('/tmp/b-dev'));
  });
});
