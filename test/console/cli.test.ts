/** `rmseq console`: flags are validated before anything listens; a stop ends it cleanly. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { consoleCommand, type ConsoleFlags } from '../../src/cli/console.js';
import { CliError, EXIT } from '../../src/cli/exitCodes.js';
import type { ConsoleHandle } from '../../src/console/index.js';
import { isJournalStart } from '../../src/journal/path.js';
import { readJournalSessions } from '../../src/journal/read.js';
import { TestClient } from './support.js';

const quiet = { logger: pino({ level: 'silent' }) };

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s), isTTY: false } };
}

describe('rmseq console: flags', () => {
  const bad: [ConsoleFlags, RegExp][] = [
    [{ port: 'http' }, /--port = "http": must be a whole number between 0 and 65535/],
    [{ port: '70000' }, /--port/],
    [{ host: 'not a host!' }, /--host = "not a host!": must be an IP address/],
    [{ speed: '0' }, /--speed = "0": must be a number between 0.1 and 1000/],
    [{ speed: 'fast' }, /--speed/],
    [{ seed: '-1' }, /--seed/],
    [{ patient: 'nobody' }, /unknown patient "nobody"/],
    [{ guidedTimeout: '5' }, /--guided-timeout = "5": must be a whole number between 10 and 590/],
    [{ journal: '/proc/no-such-dir/console.jsonl' }, /--journal = "\/proc\/no-such-dir\/console.jsonl": cannot be written/],
    [{ device: 'makair:/dev/ttyNOPE', fio2: '0.4' }, /--vitals line:<port> is required with --device/],
    [{ device: 'makair:/dev/ttyNOPE', fio2: '0.4', vitals: 'line:/dev/ttyNOPE2', patient: 'mild-ards' }, /--patient is for the simulator/],
    [{ device: 'makair:/dev/ttyNOPE', vitals: 'line:/dev/ttyNOPE2' }, /--fio2 is required with a MakAir/],
    [{ device: 'makair:/dev/ttyNOPE', fio2: '0.4', vitals: 'line:/dev/ttyNOPE2' }, /ttyNOPE2 does not exist/],
    [{ device: 'makair:/dev/ttyNOPE', fio2: '0.4', vitals: 'line:/dev/null' }, /\/dev\/ttyNOPE/],
    [{ device: 'telnet:/dev/ttyNOPE', vitals: 'line:/dev/null' }, /--device = "telnet:\/dev\/ttyNOPE": protocol must be one of makair, medibus/],
  ];
  it.each(bad)('refuses %j with exit 2 before listening', async (flags, message) => {
    const { io: streams, out } = io();
    const err = await consoleCommand({ port: '0', ...flags }, streams, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.badInput);
    expect((err as Error).message).toMatch(message);
    expect(out.join('')).toBe('');
  });
});

describe('rmseq console: running', () => {
  it('prints the URL and token, serves, and stops on request with exit 0', async () => {
    const { io: streams, out } = io();
    let stop!: (reason: string) => void;
    let handle!: ConsoleHandle;
    const exited = deferred<number>();
    const ready = new Promise<void>((resolve) => {
      void consoleCommand({ port: '0', speed: '50', guided: true }, streams, {
        ...quiet,
        stop: new Promise((r) => (stop = r)),
        onReady: (h) => {
          handle = h;
          resolve();
        },
      }).then((code) => exited.resolve(code));
    });
    await ready;
    const text = out.join('');
    expect(text).toContain(`Open:   http://127.0.0.1:${handle.server.port}/#token=${handle.token}`);
    expect(handle.token).toMatch(/^[0-9a-f]{64}$/);
    expect(text).toContain('guided mode');
    const page = await TestClient.connect(handle.server.port);
    expect(await page.next((m) => m.type === 'welcome')).toMatchObject({ server: { guided: true, speed: 50 } });
    await page.close();
    stop('test');
    expect(await exited.promise).toBe(EXIT.completed);
  });

  it('aborts a running maneuver when stopped, and exits with the abort code', async () => {
    const { io: streams, out, err } = io();
    let stop!: (reason: string) => void;
    let handle!: ConsoleHandle;
    const exited = deferred<number>();
    await new Promise<void>((resolve) => {
      void consoleCommand({ port: '0', speed: '50' }, streams, { ...quiet, stop: new Promise((r) => (stop = r)), onReady: (h) => ((handle = h), resolve()) }).then(exited.resolve);
    });
    const page = await TestClient.connect(handle.server.port);
    await page.request({ type: 'start', token: handle.token, maneuver: 'staircase' });
    await page.state(/^active\.incremental\.dwelling$/);
    stop('SIGTERM');
    expect(await exited.promise).toBe(EXIT.aborted);
    expect(err.join('')).toContain('SIGTERM: aborting the running maneuver');
    expect(out.join('')).toContain('maneuver aborted, baseline restored and verified');
    await page.close();
  });

  it('journals a recruitability screen entered by hand (screen-entered, as rmseq screen --readings), and nothing for bad readings', async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'rmseq-console-journal-')), 'console.jsonl');
    const { io: streams } = io();
    let stop!: (reason: string) => void;
    let handle!: ConsoleHandle;
    const exited = deferred<number>();
    await new Promise<void>((resolve) => {
      void consoleCommand({ port: '0', speed: '50', guided: true, journal }, streams, { ...quiet, stop: new Promise((r) => (stop = r)), onReady: (h) => ((handle = h), resolve()) }).then(exited.resolve);
    });
    const page = await TestClient.connect(handle.server.port);
    const lines = () => readFileSync(journal, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string } & Record<string, unknown>);
    expect(await page.request({ type: 'screen-readings', token: handle.token, readings: { tidalVolumeMl: 40, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 } })).toMatchObject({ type: 'error', code: 'invalid-readings' });
    expect(lines().filter((l) => l.event === 'screen-entered')).toEqual([]);
    expect(await page.request({ type: 'screen-readings', token: handle.token, readings: { tidalVolumeMl: 400, releaseExpiredVolumeMl: 650, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: 3 } })).toMatchObject({ type: 'accepted' });
    const entered = lines().filter((l) => l.event === 'screen-entered');
    expect(entered).toHaveLength(1);
    expect(entered[0]).toMatchObject({ source: 'console', readings: { airwayOpeningPressureCmH2O: 3, releaseExpiredVolumeMl: 650 }, result: { ratio: 0.25, recruitability: 'low' }, recommendation: expect.stringMatching(/^low recruitability/) });
    // A session of its own: the file stays a journal of this tool (first line a session-start), its chain verifies.
    const all = lines();
    expect(all[0]).toMatchObject({ event: 'session-start', maneuver: 'recruitability-screen' });
    expect(all[all.findIndex((l) => l.event === 'screen-entered') - 1]).toMatchObject({ event: 'session-start', maneuver: 'recruitability-screen' });
    expect(isJournalStart(readFileSync(journal, 'utf8').split('\n')[0]!)).toBe(true);
    expect(readJournalSessions(journal).length).toBeGreaterThanOrEqual(1);
    await page.close();
    stop('test');
    expect(await exited.promise).toBe(EXIT.completed);
  });
});
