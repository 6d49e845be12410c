/**
 * `rmseq console`: the therapist console on the built-in simulator. Starts the local web
 * server, prints the URL with the session token, and runs until SIGINT/SIGTERM; a signal
 * during a maneuver aborts it through the machine (baseline restored and verified) first.
 */
import { isIP } from 'node:net';
import { pino, type Logger } from 'pino';
import { startConsole, type ConsoleHandle } from '../console/index.js';
import { simulatedSource } from '../console/source.js';
import { CliError, EXIT, exitCodeFor } from './exitCodes.js';
import { DEFAULT_SIM_BASELINE, intFlag, loadPatient, numberFlag } from './inputs.js';
import type { RunIo } from './run.js';

export interface ConsoleFlags {
  port?: string;
  host?: string;
  patient?: string;
  seed?: string;
  speed?: string;
  guided?: boolean;
}

export const CONSOLE_DEFAULTS = { port: 8417, host: '127.0.0.1', patient: 'moderate-ards', seed: 1, speed: 1 } as const;

export interface ConsoleCommandOptions {
  /** Resolves to stop the console as a signal would (tests); default: SIGINT/SIGTERM. */
  stop?: Promise<string>;
  /** Called once the server listens. */
  onReady?: (handle: ConsoleHandle) => void;
  logger?: Logger;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

function hostFlag(value: string | undefined): string {
  const host = value ?? CONSOLE_DEFAULTS.host;
  if (host === 'localhost' || isIP(host) !== 0) return host;
  throw new CliError(`--host = ${JSON.stringify(host)}: must be an IP address to listen on (default ${CONSOLE_DEFAULTS.host}) or localhost`);
}

/** Validates every flag, then serves until a signal; returns the exit code. */
export async function consoleCommand(flags: ConsoleFlags, io: RunIo, options: ConsoleCommandOptions = {}): Promise<number> {
  const port = intFlag('port', flags.port, 0, 65535, CONSOLE_DEFAULTS.port);
  const host = hostFlag(flags.host);
  const { name: patientName, profile } = loadPatient(flags.patient ?? CONSOLE_DEFAULTS.patient);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, CONSOLE_DEFAULTS.seed);
  const speed = numberFlag('speed', flags.speed, 0.1, 1000) ?? CONSOLE_DEFAULTS.speed;
  const guided = Boolean(flags.guided);
  const logger = options.logger ?? pino({ level: 'info', base: { cmd: 'console' } }, { write: (s: string) => io.stderr(s) });

  const source = simulatedSource({ patientName, profile, seed, baseline: DEFAULT_SIM_BASELINE, speed, guided });
  let handle: ConsoleHandle;
  try {
    handle = await startConsole({ source, host, port, logger });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${host}:${port}: ${code}${code === 'EADDRINUSE' ? ' (another console running? try --port 0)' : ''}`);
    }
    throw e;
  }

  io.stdout(`rmseq console: ${source.description}, clock x${speed}${guided ? ', guided mode (you set the ventilator when told)' : ''}\n`);
  io.stdout(`  Open:   ${handle.openUrl}\n`);
  io.stdout(`  Token:  ${handle.token}\n`);
  io.stdout(`          (the token lets a page control the maneuver; keep it to this bedside)\n`);
  io.stdout(`  Stop:   Ctrl-C (a running maneuver is aborted and the baseline restored first)\n`);
  if (!LOOPBACK_HOSTS.has(host)) {
    io.stderr(`WARNING: listening on ${host}, not on this computer only: anyone on the network who has the token can control the maneuver.\n`);
  }
  if (guided && speed > 1) {
    io.stderr(`NOTE: guided mode at x${speed}: a baseline restore instruction must be confirmed within ${(60 / speed).toFixed(1)} real seconds.\n`);
  }
  options.onReady?.(handle);

  const stopped = options.stop ? { reason: options.stop, dispose: () => {} } : signalStop(handle, io);
  // An uncaught error while serving: restore the baseline on the device, then exit 1.
  const onCrash = (err: unknown): void => {
    io.stderr(`\ninternal error in the console: ${(err as Error)?.stack ?? String(err)}\naborting any running maneuver...\n`);
    void handle.server.hub.emergencyRestore('internal error').finally(() => process.exit(EXIT.internal));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  try {
    const reason = await stopped.reason;
    const wasLive = handle.server.hub.live;
    if (wasLive && handle.server.hub.state === 'completed') io.stderr(`\n${reason}: ending the completed maneuver (its verified settings stay)...\n`);
    else if (wasLive) io.stderr(`\n${reason}: aborting the running maneuver and restoring the baseline...\n`);
    const summary = await handle.shutdown(reason);
    if (!wasLive || !summary) {
      io.stdout(`rmseq console stopped (${reason}).\n`);
      return EXIT.completed;
    }
    const after =
      summary.outcome === 'completed'
        ? `settings kept${summary.verifiedSettings ? `: PEEP ${summary.verifiedSettings.peepCmH2O} cmH2O` : ''}`
        : `baseline ${summary.baselineVerified ? 'restored and verified' : 'NOT VERIFIED: check the ventilator'}`;
    io.stdout(`rmseq console stopped (${reason}): maneuver ${summary.outcome}, ${after}.\n`);
    return exitCodeFor(summary.outcome);
  } finally {
    stopped.dispose();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  }
}

/** First SIGINT/SIGTERM: stop through the machine. A second one: restore directly on the device and exit. */
function signalStop(handle: ConsoleHandle, io: RunIo): { reason: Promise<string>; dispose: () => void } {
  let count = 0;
  let resolve!: (reason: string) => void;
  const reason = new Promise<string>((r) => (resolve = r));
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      resolve(signal);
      return;
    }
    io.stderr(`\n${signal} again: restoring the baseline directly on the device and exiting.\n`);
    void handle.server.hub.emergencyRestore(`second ${signal}`).then((ok) => process.exit(ok === null ? EXIT.completed : ok ? EXIT.aborted : EXIT.failsafe));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    reason,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
