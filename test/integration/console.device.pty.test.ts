/**
 * `rmseq console --device`: the therapist console driving a (emulated) MakAir over a real
 * pseudo-terminal, with the patient monitor on a second one. A page starts a maneuver with
 * the token, the device goes to maneuver pressure, Abort brings it back to the baseline
 * (verified on the device), and the session is in the audit journal. A second console on the
 * same journal after a killed one restores the baseline before it serves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCommand } from '../../src/cli/console.js';
import { verifyChain } from '../../src/journal/chain.js';
import { EXIT } from '../../src/cli/exitCodes.js';
import type { ConsoleHandle } from '../../src/console/index.js';
import { TestClient } from '../console/support.js';
import { assertBuilt, startCli, waitForOutput } from '../support/cli.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir } from './support/pty.js';

const scratch = SOCAT ? scratchDir() : null;
afterAll(() => scratch?.cleanup());
beforeAll(() => assertBuilt());

type Emulator = ReturnType<typeof startCli>;

async function deviceSettings(emulator: Emulator): Promise<{ mode: string; peepCmH2O: number; peakCmH2O: number }> {
  const from = emulator.output().length;
  emulator.child.stdin.write('status\n');
  for (let i = 0; i < 100; i++) {
    const m = emulator.output().slice(from).match(/\{"device":.*\}/);
    if (m) return (JSON.parse(m[0]) as { device: { mode: string; peepCmH2O: number; peakCmH2O: number } }).device;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no status from the emulator: ${emulator.output().slice(-400)}`);
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, streams: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), isTTY: false } };
}

function startConsoleOn(flags: Record<string, string>) {
  const { out, err, streams } = io();
  let stop!: (reason: string) => void;
  let handle!: ConsoleHandle;
  let exited!: Promise<number>;
  const ready = new Promise<void>((resolve, reject) => {
    exited = consoleCommand({ port: '0', ...flags }, streams, {
      logger: pino({ level: 'silent' }),
      stop: new Promise((r) => (stop = r)),
      onReady: (h) => ((handle = h), resolve()),
    });
    exited.catch(reject);
  });
  return { out, err, ready, stop: (r: string) => stop(r), handle: () => handle, exited: () => exited };
}

/** A MakAir emulator (child process) on one PTY pair, its monitor feed on another, for `body`. */
async function withMakAir(name: string, body: (ports: { host: string; vitals: string; emulator: Emulator }) => Promise<void>): Promise<void> {
  const dir = scratch!.dir;
  const dev = await ptyPair(dir, name);
  const vit = await ptyPair(dir, `${name}-vitals`);
  const emulator = startCli(['emulate', 'makair', '--port', dev.device, '--vitals-port', vit.device, '--patient', 'moderate-ards']);
  try {
    await waitForOutput(emulator.child, /rmseq emulate makair on/);
    await body({ host: dev.host, vitals: vit.host, emulator });
  } finally {
    emulator.child.kill('SIGINT');
    await emulator.done;
    await dev.close();
    await vit.close();
  }
}

/**
 * A console (child process) on the device at `host`, journaling to `journal`: a page starts a
 * 25/40 hold with the printed token; once the hold dwells the console is SIGKILLed, leaving the
 * device at maneuver pressure and the maneuver unfinished in the journal.
 */
async function killConsoleMidHold(host: string, vitals: string, journal: string): Promise<void> {
  const killed = startCli(['console', '--port', '0', '--device', `makair:${host}`, '--fio2', '0.4', '--vitals', `line:${vitals}`, '--journal', journal]);
  const tokenLine = await waitForOutput(killed.child, /Token: +[0-9a-f]{64}/);
  const token = tokenLine.match(/Token: +([0-9a-f]{64})/)![1]!;
  const port = Number(killed.output().match(/http:\/\/127\.0\.0\.1:(\d+)/)![1]);
  const page = await TestClient.connect(port);
  await page.request({ type: 'start', token, maneuver: 'high-pressure-pcv', protocol: { peepCmH2O: 25, peakCmH2O: 40, holdS: 60, safety: { baselineWindowS: 10 } } });
  await page.state(/^active\.highPressure\.dwelling$/, 30_000);
  killed.child.kill('SIGKILL');
  await killed.done;
  await page.close();
}

describe.skipIf(!SOCAT)(`rmseq console --device on a MakAir over a PTY${SOCAT_NOTE}`, () => {
  it('a page starts a maneuver, Abort restores the baseline on the device, and the journal has it all', { timeout: 60_000 }, async () => {
    const journal = join(scratch!.dir, 'console.jsonl');
    await withMakAir('console-makair', async ({ host, vitals, emulator }) => {
      const c = startConsoleOn({ device: `makair:${host}`, fio2: '0.4', vitals: `line:${vitals}`, journal });
      await c.ready;
      expect(c.out.join('')).toMatch(/rmseq console: Makers For Life MakAir on .*console-makair.*, clock x1, journal/);
      const page = await TestClient.connect(c.handle().server.port);
      expect(await page.next((m) => m.type === 'welcome')).toMatchObject({ server: { simulated: false, guided: false, speed: 1 } });

      const started = await page.request({ type: 'start', token: c.handle().token, maneuver: 'high-pressure-pcv', protocol: { peepCmH2O: 25, peakCmH2O: 40, holdS: 60, safety: { baselineWindowS: 10 } } });
      expect(started.type, JSON.stringify(started)).toBe('accepted');
      await page.state(/^active\.highPressure\.dwelling$/, 30_000);
      expect(await deviceSettings(emulator)).toMatchObject({ mode: 'PCV', peepCmH2O: 25, peakCmH2O: 40 });

      expect((await page.request({ type: 'abort', token: c.handle().token, note: 'test' })).type).toBe('accepted');
      await page.state(/^aborted$/, 30_000);
      expect(await deviceSettings(emulator)).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });
      await page.close();
      c.stop('test');
      expect(await c.exited()).toBe(EXIT.completed);

      const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ event: 'session-start', maneuver: 'high-pressure-pcv', device: `makair:${host}`, clock: 'wall' });
      expect(lines.find((l) => l.event === 'operator' && l['action'] === 'abort')).toBeTruthy();
      expect(lines.at(-1)).toMatchObject({ event: 'outcome', summary: { outcome: 'aborted', baselineVerified: true, abort: { reason: 'operator-abort' } } });
      expect(lines[0]).toMatchObject({ deviceIdentity: { protocol: 'makair', port: host, model: 'MakAir' } });
      expect(verifyChain(readFileSync(journal, 'utf8')).intact).toBe(true); // a console journal verifies
    });
  });

  it('restores the baseline of an unfinished maneuver in its journal before it serves', { timeout: 60_000 }, async () => {
    const journal = join(scratch!.dir, 'killed-console.jsonl');
    await withMakAir('console-recover', async ({ host, vitals, emulator }) => {
      await killConsoleMidHold(host, vitals, journal);
      expect(await deviceSettings(emulator)).toMatchObject({ peepCmH2O: 25 }); // left at maneuver pressure

      const c = startConsoleOn({ device: `makair:${host}`, fio2: '0.4', vitals: `line:${vitals}`, journal });
      await c.ready;
      expect(c.err.join('')).toMatch(/a high-pressure-pcv from .* never finished .*restoring its baseline PCV PEEP 10\/peak 25.*\n.*baseline restored and verified/s);
      expect(await deviceSettings(emulator)).toMatchObject({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25 });
      c.stop('test');
      expect(await c.exited()).toBe(EXIT.completed);
      expect(verifyChain(readFileSync(journal, 'utf8')).intact).toBe(true);
    });
  });

  it('refuses to restore the journal of a killed console on another device (exit 2), leaving both devices alone', { timeout: 90_000 }, async () => {
    const journal = join(scratch!.dir, 'killed-console-a.jsonl');
    await withMakAir('console-a', async (a) => {
      await killConsoleMidHold(a.host, a.vitals, journal);
      await withMakAir('console-b', async (b) => {
        const before = await deviceSettings(b.emulator);
        const c = startConsoleOn({ device: `makair:${b.host}`, fio2: '0.4', vitals: `line:${b.vitals}`, journal });
        const err = await c.ready.then(() => null, (e: unknown) => e as Error);
        expect(err?.message).toMatch(new RegExp(`belongs to Makers For Life MakAir id [0-9-]+ \\(makair on ${a.host}\\), not to this device .*makair on ${b.host}`));
        expect((err as { exitCode?: number }).exitCode).toBe(EXIT.badInput);
        expect(await deviceSettings(b.emulator)).toMatchObject(before);
        expect(await deviceSettings(a.emulator)).toMatchObject({ peepCmH2O: 25 });
        const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines.at(-1)).toMatchObject({ event: 'recover-refused', reason: 'wrong-device', device: { port: b.host } });
      });
    });
  });
});
