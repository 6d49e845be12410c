/**
 * Real pseudo-terminal pairs for the integration tests, made by socat:
 *
 *   socat -d -d pty,raw,echo=0,link=<dir>/<name>-host pty,raw,echo=0,link=<dir>/<name>-dev
 *
 * Bytes written on one end arrive on the other, through the kernel's tty layer and the real
 * serialport binding. A file skips (with the reason in its title) only when socat is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when socat can be run. */
export const SOCAT = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;

/** Appended to the title of a skipped PTY suite. */
export const SOCAT_NOTE = SOCAT ? '' : ' [SKIPPED: socat is not installed; install it with `apt-get install socat`]';

export interface PtyPair {
  /** The host's end (rm-sequencer's adapter opens it). */
  host: string;
  /** The device's end (the emulator opens it). */
  device: string;
  close(): Promise<void>;
}

/** A scratch directory for the links; removed by `cleanup()`. */
export function scratchDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'rmseq-pty-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts socat and resolves once it reports its transfer loop running (both links exist).
 * The wall-clock limit only guards against a socat that never gets there.
 */
export function ptyPair(dir: string, name: string, limitMs = 10_000): Promise<PtyPair> {
  const host = join(dir, `${name}-host`);
  const device = join(dir, `${name}-dev`);
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${device}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let log = '';
    const guard = setTimeout(() => {
      void close();
      reject(new Error(`socat did not start within ${limitMs} ms:\n${log}`));
    }, limitMs);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/starting data transfer loop/.test(log) && existsSync(host) && existsSync(device)) {
        clearTimeout(guard);
        resolve({ host, device, close });
      }
    });
    child.once('error', (e) => {
      clearTimeout(guard);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`socat exited (${code}) before starting:\n${log}`));
    });
  });
}

/** Resolves with `p`, or rejects when it has not settled within `limitMs` of wall time (a guard, not a wait). */
export function within<T>(p: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${limitMs} ms of wall time`)), limitMs);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}
