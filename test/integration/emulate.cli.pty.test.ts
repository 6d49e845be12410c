/**
 * `rmseq emulate` (the command function, in process) on real pseudo-terminals: a host adapter
 * on the other end of each pair, control commands written to the emulator's stdin, and the
 * printed log. Wall clock, 10x (link and feed timeouts widened to 10 s of it: 1 s of real time).
 */
import { PassThrough } from 'node:stream';
import { firstValueFrom, filter } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { WallClock } from '../../common/clock.js';
import { MakAirVentilator } from '../../hal/makair/index.js';
import { MedibusVentilator } from '../../hal/medibus/index.js';
import type { DeviceFault } from '../../hal/port.js';
import { SerialTransport } from '../../hal/serial/transport.js';
import { LineVitalsSource } from '../../hal/vitals/index.js';
import { emulateCommand } from '../../src/cli/emulate.js';
import { CliError } from '../../src/cli/exitCodes.js';
import { defaultLineSettings } from '../../src/runner/device.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir, within } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());

/** The emulator's stdout, with a way to await a line matching a pattern. */
function output() {
  let text = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const stdout = (s: string): void => {
    text += s;
    for (const w of waiters.splice(0)) (w.re.test(text) ? w.resolve : () => waiters.push(w))();
  };
  const printed = (re: RegExp): Promise<void> => (re.test(text) ? Promise.resolve() : within(new Promise<void>((resolve) => waiters.push({ re, resolve })), 10_000, `output ${re}`));
  return { stdout, printed, text: () => text };
}

describe.skipIf(!SOCAT)(`rmseq emulate on pseudo-terminals${SOCAT_NOTE}`, () => {
  it('makair: serves a host, obeys stdin control commands, writes the vitals feed, stops cleanly', { timeout: 30_000 }, async () => {
    const dev = await ptyPair(scratch!.dir, 'cli-makair');
    const vit = await ptyPair(scratch!.dir, 'cli-vitals');
    const out = output();
    const stdin = new PassThrough();
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const done = emulateCommand('makair', { port: dev.device, vitalsPort: vit.device, patient: 'moderate-ards', seed: '3', speed: '10' }, { stdout: out.stdout, stderr: out.stdout, stdin, until });
    await out.printed(/rmseq emulate makair on .*cli-makair-dev \(115200 8N1\), patient moderate-ards \(seed 3\), clock x10; vitals feed on .*cli-vitals-dev/);

    const clock = new WallClock(10);
    const vent = new MakAirVentilator({ transport: await SerialTransport.open({ path: dev.host, ...defaultLineSettings({ protocol: 'makair' }) }), clock, fio2: 0.4, linkTimeoutMs: 10_000 });
    const vitals = new LineVitalsSource({ transport: await SerialTransport.open({ path: vit.host, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }), clock, lostAfterMs: 10_000 });
    const faults: DeviceFault[] = [];
    vent.faults$.subscribe((f) => faults.push(f));
    vitals.faults$.subscribe((f) => faults.push(f));
    try {
      await within(vent.connect(), 10_000, 'connect');
      await vitals.connect();
      const sample = await within(firstValueFrom(vitals.samples$), 10_000, 'first vitals line');
      expect(sample).toMatchObject({ source: 'sim-monitor' });
      expect(sample.spo2Pct).toBeGreaterThan(80);

      stdin.write('knob {"peepCmH2O":12,"peakCmH2O":27}\n');
      await out.printed(/> device now \{"mode":"PCV","peepCmH2O":12,.*"peakCmH2O":27/);
      await within(firstValueFrom(vent.samples$), 10_000, 'the next state snapshot');
      expect(await vent.readSettings()).toMatchObject({ peepCmH2O: 12, peakCmH2O: 27 });

      stdin.write('fault drop\n');
      await out.printed(/> link dropped until `clear`/);
      await within(firstValueFrom(vent.faults$.pipe(filter((f) => f.code === 'link-lost'))), 10_000, 'link-lost');
      stdin.write('clear\n');
      await out.printed(/> all faults cleared/);
      await within(firstValueFrom(vent.samples$), 10_000, 'telemetry again');
      expect(await vent.readSettings()).toMatchObject({ peepCmH2O: 12 });

      stdin.write('leak 4\n');
      await out.printed(/> a leak of 4 cmH2O: settings acknowledged as set/);
      const leaking = await within(firstValueFrom(vent.samples$.pipe(filter((s) => (s.peepCmH2O ?? 99) < 10))), 10_000, 'a leaking breath');
      expect(leaking.peepCmH2O).toBeGreaterThan(6); // PEEP 12 set, about 8 measured
      expect(await vent.readSettings()).toMatchObject({ peepCmH2O: 12, peakCmH2O: 27 });
      stdin.write('leak abc\n');
      await out.printed(/! leak must be a pressure in cmH2O, 0-30 \(got "abc"\)/);
      stdin.write('leak 0\n');
      await out.printed(/> no leak/);

      stdin.write('vitals off\n');
      await within(firstValueFrom(vitals.faults$), 10_000, 'vitals-source-lost');
      stdin.write('explode\n');
      await out.printed(/! unknown command "explode"; try: help/);
      stdin.write('knob {"peepCmH2O":90}\n');
      await out.printed(/! knob: peepCmH2O = 90/);
      expect(faults.map((f) => f.code)).toEqual(['link-lost', 'vitals-source-lost']);
    } finally {
      stop();
      expect(await done).toBe(0);
      await vent.close();
      await vitals.close();
      await dev.close();
      await vit.close();
    }
    expect(out.text()).toMatch(/boot: boot message sent/);
    expect(out.text()).toMatch(/setting: control PEEP|knob: touchscreen/);
    expect(out.text()).toMatch(/emulator stopped\n$/);
  });

  it('medibus: answers a host as the chosen family and shows knob turns', { timeout: 30_000 }, async () => {
    const dev = await ptyPair(scratch!.dir, 'cli-medibus');
    const out = output();
    const stdin = new PassThrough();
    let stop!: () => void;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const done = emulateCommand('medibus', { port: dev.device, device: 'primus', patient: 'mild-ards', speed: '5' }, { stdout: out.stdout, stderr: out.stdout, stdin, until });
    await out.printed(/rmseq emulate medibus \(primus\) on .* \(9600 8E1\)/);
    const clock = new WallClock(5);
    const vent = new MedibusVentilator({ transport: await SerialTransport.open({ path: dev.host, ...defaultLineSettings({ protocol: 'medibus', family: 'primus' }) }), clock, family: 'primus' });
    try {
      await within(vent.connect(), 10_000, 'connect');
      expect((await vent.identify()).model).toBe('Primus');
      stdin.write('knob {"peepCmH2O":15}\n');
      await out.printed(/> device now \{"mode":"PCV","peepCmH2O":15\.3/);
      expect(await within(vent.readSettings(), 10_000, 'settings')).toMatchObject({ peepCmH2O: 15.3 });
    } finally {
      stop();
      expect(await done).toBe(0);
      await vent.close();
      await dev.close();
    }
    expect(out.text()).toMatch(/link: link up/);
  });

  it('bad input is refused before any port opens', async () => {
    const io = { stdout: () => undefined, stderr: () => undefined, until: Promise.resolve() };
    await expect(emulateCommand('hamilton', { port: '/dev/null', patient: 'healthy' }, io)).rejects.toThrow(/unknown device "hamilton": must be one of makair, medibus/);
    await expect(emulateCommand('medibus', { port: '/dev/null', patient: 'healthy' }, io)).rejects.toThrow(/--device is required for MEDIBUS: one of evita, primus, v300/);
    await expect(emulateCommand('makair', { port: '/dev/null', patient: 'martian' }, io)).rejects.toThrow(/unknown patient "martian"/);
    await expect(emulateCommand('makair', { port: '/dev/null', patient: 'healthy', speed: '0' }, io)).rejects.toBeInstanceOf(CliError);
    await expect(emulateCommand('makair', { port: `${scratch!.dir}/nothing`, patient: 'healthy' }, io)).rejects.toThrow(/cannot open device port .*nothing: no such device/);
  });
});
