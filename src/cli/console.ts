/**
 * `rmseq console`: the therapist console, on the built-in simulator or on a ventilator
 * (`--device`, with `--vitals` for the patient monitor). Starts the local web server, prints
 * the URL with the session token, and runs until SIGINT/SIGTERM; a signal during a maneuver
 * aborts it through the machine (baseline restored and verified) first. With `--journal`
 * every session is written to the audit journal; an unfinished maneuver found there (a
 * console or run that died) is restored on the device before the console serves.
 */
import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { pino, type Logger } from 'pino';
import { WallClock } from '../../common/clock.js';
import { startConsole, type ConsoleHandle, type ScreenEntered } from '../console/index.js';
import { watchConfigFlag } from './watch.js';
import type { Journal } from '../journal/journal.js';
import { identityOf, type DeviceIdentity } from '../journal/identity.js';
import { findUnfinished, recoverBaseline } from '../journal/recover.js';
import { DeviceOpenError, openDeviceVentilator } from '../runner/device.js';
import { deviceSource, guidedTimeoutOnSessionClock, journaled, simulatedSource, type SessionSource } from '../runner/source.js';
import { parseDeviceFlags, type DeviceFlags } from './device.js';
import { parseVitalsTarget } from './vitals.js';
import { isIntelliVue } from '../runner/vitals.js';
import { CliError, EXIT, exitCodeFor } from './exitCodes.js';
import { describeSettings } from './format.js';
import { DEFAULT_SIM_BASELINE, guidedTimeoutFlag, intFlag, loadPatient, numberFlag } from './inputs.js';
import { answerPromptsFromStdin } from './interactive.js';
import { loadJournal, loadJournalKey, openJournalFile } from './journalFiles.js';
import { assertRecoverable, refuseToHideUnfinished } from './recovery.js';
import { rejectFlagsNotFor } from './targetFlags.js';
import type { RunIo } from './run.js';
import { versions } from './versions.js';

export interface ConsoleFlags extends DeviceFlags {
  port?: string;
  host?: string;
  patient?: string;
  seed?: string;
  speed?: string;
  guided?: boolean;
  /** Seconds the operator has for a guided instruction (`GUIDED_TIMEOUT_FLAG_S`: 10-590, default 120). */
  guidedTimeout?: string;
  /** Audit journal (appended to; fsync'ed on a device). */
  journal?: string;
  /** HMAC key file of the journal's hash chain. */
  journalKey?: string;
  /** Post-maneuver watch length in minutes while a completed maneuver waits (default 30; 0: none). */
  watchMin?: string;
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
  const guidedTimeoutS = guidedTimeoutFlag(flags.guidedTimeout);
  const onDevice = flags.device !== undefined;
  rejectFlagsNotFor(onDevice ? 'device' : 'simulator', flags, { simulatorOnly: ['speed'] });
  if (onDevice) {
    if (!flags.vitals) throw new CliError('--vitals line:<port> is required with --device, or intellivue:udp:<host>[:<port>] / intellivue:serial:<port> for a Philips IntelliVue: the ventilator protocols carry no SpO2 or arterial pressure');
  }
  const speed = onDevice ? 1 : (numberFlag('speed', flags.speed, 0.1, 1000) ?? CONSOLE_DEFAULTS.speed);
  // The console waits at a completed maneuver anyway: the watch runs there, on any clock.
  const watch = watchConfigFlag(flags.watchMin, false);
  const logger = options.logger ?? pino({ level: 'info', base: { cmd: 'console' } }, { write: (s: string) => io.stderr(s) });
  const key = loadJournalKey(flags.journalKey);
  const journal = flags.journal === undefined ? null : openJournalFile('--journal', flags.journal, { durability: onDevice ? 'fsync' : 'write', ...(key ? { key } : {}) });

  let source: SessionSource;
  let handle: ConsoleHandle;
  try {
    if (!onDevice && journal && flags.journal) checkSimulatorJournal(flags.journal, loadJournalKey(flags.journalKey), journal);
    source = onDevice ? await probeDevice(flags, guidedTimeoutS, journal, io) : simulatorSource(flags, guidedTimeoutS, journal);
    // A recruitability screen entered by hand on the page is journaled as `rmseq screen --readings`
    // journals it: a session of its own (session-start header, then `screen-entered`), so the file
    // stays a journal of this tool and nothing in it looks like a maneuver to recover.
    const onScreenEntered = journal
      ? (entry: ScreenEntered) => {
          journal.header({ versions: versions(), maneuver: 'recruitability-screen', protocol: entry.protocol, device: 'readings entered on the console (one-breath test by hand)', clock: 'wall', argv: process.argv.slice(2) });
          journal.write('screen-entered', { versions: versions(), ...entry, source: 'console', argv: process.argv.slice(2) });
        }
      : undefined;
    handle = await startConsole({ source, host, port, logger, watch, ...(onScreenEntered ? { onScreenEntered } : {}) });
  } catch (e) {
    journal?.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${host}:${port}: ${code}${code === 'EADDRINUSE' ? ' (another console running? try --port 0)' : ''}`);
    }
    if (e instanceof DeviceOpenError) throw new CliError(e.message, EXIT.badInput);
    throw e;
  }
  const guided = source.guided;

  io.stdout(`rmseq console: ${source.description}, clock x${speed}${guided ? ', guided mode (you set the ventilator when told)' : ''}${journal ? `, journal ${journal.path}` : ''}\n`);
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
    journal?.close();
  }
}

function simulatorSource(flags: ConsoleFlags, guidedTimeoutS: number, journal: Journal | null): SessionSource {
  const { name: patientName, profile } = loadPatient(flags.patient ?? CONSOLE_DEFAULTS.patient);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, CONSOLE_DEFAULTS.seed);
  const speed = numberFlag('speed', flags.speed, 0.1, 1000) ?? CONSOLE_DEFAULTS.speed;
  const source = simulatedSource({
    patientName,
    profile,
    seed,
    baseline: DEFAULT_SIM_BASELINE,
    speed,
    guided: Boolean(flags.guided),
    ...(flags.guidedTimeout !== undefined ? { guidedTimeoutMs: guidedTimeoutOnSessionClock(guidedTimeoutS * 1000, speed) } : {}),
  });
  return journal ? journaled(source, journal, () => ({ versions: versions(), argv: process.argv.slice(2) })) : source;
}

/**
 * Checks the device before the console serves: the port opens, the device answers and is
 * who it should be (nothing but the handshake is sent), and its current settings are read
 * for the plan previews. An unfinished maneuver in the journal is restored here first.
 */
async function probeDevice(flags: ConsoleFlags, guidedTimeoutS: number, journal: Journal | null, io: RunIo): Promise<SessionSource> {
  const choice = parseDeviceFlags(flags);
  const vitals = parseVitalsTarget(flags.vitals ?? '', flags.vitalsBaud);
  const vitalsPath = isIntelliVue(vitals) ? (vitals.intellivue.transport === 'serial' ? vitals.intellivue.path : null) : vitals.path;
  if (vitalsPath !== null && !existsSync(vitalsPath)) throw new CliError(`--vitals = ${JSON.stringify(flags.vitals)}: ${vitalsPath} does not exist`);
  const guided = Boolean(flags.guided) || choice.spec.protocol === 'medibus';
  const clock = new WallClock();
  const dev = await openDeviceVentilator({ device: choice.spec, serial: choice.serial, clock, ...(guided ? { guided: { timeoutMs: guidedTimeoutS * 1000 } } : {}) });
  try {
    const identity = identityOf(choice.spec.protocol, choice.spec.path, dev.info);
    if (journal && flags.journal) await recoverFromJournal(flags.journal, loadJournalKey(flags.journalKey), journal, dev, identity, io);
    const baseline = await dev.ventilator.readSettings();
    const source = deviceSource({ device: choice.spec, serial: choice.serial, vitals, info: dev.info, baseline, guided, guidedTimeoutMs: guidedTimeoutS * 1000 });
    return journal ? journaled(source, journal, () => ({ versions: versions(), argv: process.argv.slice(2) })) : source;
  } finally {
    await dev.close();
    clock.clearAll();
  }
}

/** On the simulator nothing needs restoring, but an unfinished maneuver on a ventilator must not be hidden by new sessions. */
function checkSimulatorJournal(path: string, key: Buffer | undefined, journal: Journal): void {
  if (statSync(path).size === 0) return;
  const unfinished = findUnfinished(loadJournal(path, { key, intact: true }));
  if (unfinished) refuseToHideUnfinished(path, unfinished, journal);
}

/** A maneuver the journal shows unfinished: its recorded baseline goes back on the device (verified) before anything else. */
async function recoverFromJournal(path: string, key: Buffer | undefined, journal: Journal, dev: Awaited<ReturnType<typeof openDeviceVentilator>>, identity: DeviceIdentity, io: RunIo): Promise<void> {
  if (statSync(path).size === 0) return; // a new journal holds nothing to recover
  const parsed = loadJournal(path, { key, intact: true });
  const unfinished = findUnfinished(parsed);
  if (!unfinished || unfinished.device === 'simulator') return;
  // Before anything is sent: this must be the journal's device, and its baseline a valid one for it.
  assertRecoverable(path, unfinished, parsed.protocol, identity, dev.info.capabilities, journal);
  io.stderr(`journal ${path}: a ${unfinished.maneuver} from ${unfinished.startedAtIso ?? '?'} never finished (last state ${unfinished.lastState ?? '?'}); restoring its baseline ${describeSettings(unfinished.baseline)} first...\n`);
  const stopPrompts = dev.guided ? answerPromptsFromStdin(dev.guided, io, true) : () => undefined;
  try {
    const r = await recoverBaseline(unfinished, dev.ventilator, { journal, device: identity });
    if (!r.restored) throw new CliError(`FAILSAFE: the baseline could not be restored (${r.errors.join('; ')}). CHECK THE VENTILATOR.`, EXIT.failsafe);
    io.stderr(`baseline restored and verified${r.alreadyAtBaseline ? ' (the device already held it)' : ''}.\n`);
    for (const e of r.errors) io.stderr(`note: ${e}\n`);
  } finally {
    stopPrompts();
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
