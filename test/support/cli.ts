/** Runs the built `rmseq` binary as a child process (npm test builds dist/ first). */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'rmseq.js');

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it) before the CLI tests');
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], options: { cwd?: string; input?: string } = {}): { child: ChildProcessWithoutNullStreams; done: Promise<CliResult>; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (options.input !== undefined) child.stdin.end(options.input);
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, output: () => stdout };
}

export function runCli(args: string[], options: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Resolves when the child's stdout matches `pattern` (event-driven, no polling). */
export function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (pattern.test(seen)) {
        child.stdout.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout.on('data', onData);
    child.on('close', () => reject(new Error(`process ended before printing ${pattern}; got:\n${seen}`)));
  });
}

/** The device settings an `rmseq emulate` child reports when `status` is typed on its stdin. */
export interface EmulatedDeviceStatus {
  mode: string;
  peepCmH2O: number;
  peakCmH2O: number;
  rateBpm: number;
}

/** Types `status` on an `rmseq emulate` child's stdin and resolves with the device settings it prints. */
export async function emulatorStatus(emulator: ReturnType<typeof startCli>): Promise<EmulatedDeviceStatus> {
  emulator.child.stdin.write('status\n');
  const seen = await waitForOutput(emulator.child, /\{"device":\{[^\n]*\n/);
  return (JSON.parse(seen.match(/\{"device":.*\}/)![0]) as { device: EmulatedDeviceStatus }).device;
}
