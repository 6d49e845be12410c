/** `rmseq run <maneuver>`: one maneuver on the built-in simulator (or a device, see --device). */
import { createInterface } from 'node:readline';
import { VirtualClock, WallClock, type Clock } from '../../common/clock.js';
import type { GuidedPrompt, GuidedVentilator } from '../../hal/guided/index.js';
import { plannedDurationMs, type ManeuverKind } from '../../machines/index.js';
import { Journal } from '../journal/journal.js';
import { runSession } from '../runner/drive.js';
import { openSimulatedSession } from '../runner/simulated.js';
import type { Session } from '../runner/session.js';
import type { SessionSummary } from '../runner/telemetry.js';
import { CliError, EXIT, exitCodeFor } from './exitCodes.js';
import { formatSummary } from './format.js';
import { intFlag, loadBaseline, loadPatient, loadProtocol, numberFlag, parseManeuver } from './inputs.js';
import { ProgressDisplay } from './progress.js';
import { versions } from './versions.js';

export interface RunFlags {
  patient: string;
  protocol?: string;
  baseline?: string;
  seed?: string;
  realtime?: boolean;
  speed?: string;
  json?: boolean;
  journal?: string;
  journalDecimate?: string;
  artifacts?: boolean;
  dropouts?: boolean;
  guided?: boolean;
  guidedTimeout?: string;
}

export interface RunIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

/** Validates every input, then runs; returns the exit code. Bad input throws CliError before anything starts. */
export async function runCommand(maneuverName: string, flags: RunFlags, io: RunIo): Promise<number> {
  const maneuver: ManeuverKind = parseManeuver(maneuverName);
  const { name: patientName, profile } = loadPatient(flags.patient);
  const protocol = loadProtocol(maneuver, flags.protocol);
  const baseline = loadBaseline(flags.baseline);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  const speed = numberFlag('speed', flags.speed, 0.1, 1000);
  if (flags.realtime && speed !== undefined) throw new CliError('--realtime and --speed exclude each other');
  const decimate = intFlag('journal-decimate', flags.journalDecimate, 1, 1000, 1);
  const guidedTimeoutS = intFlag('guided-timeout', flags.guidedTimeout, 10, 590, 120);
  // A person answers guided instructions, so guided runs are on the wall clock (sped up with --speed).
  const realtime = Boolean(flags.realtime) || speed !== undefined || Boolean(flags.guided);
  const clock: Clock = realtime ? new WallClock(speed ?? 1) : new VirtualClock(0);
  // The journal opens before anything starts: an unwritable path fails here, with exit 2.
  let journal: Journal | null = null;
  if (flags.journal) {
    try {
      journal = Journal.open(flags.journal, { durability: realtime ? 'fsync' : 'write', decimate });
    } catch (e) {
      throw new CliError(`cannot write journal ${flags.journal}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  const { session, guided } = await openSimulatedSession({
    maneuver,
    protocol,
    profile,
    seed,
    clock,
    baseline,
    monitor: { artifacts: { enabled: Boolean(flags.artifacts) }, dropouts: { enabled: Boolean(flags.dropouts) } },
    session: { onCompleted: 'end', onFailsafe: realtime ? 'wait' : 'end' },
    ...(flags.guided ? { guided: { timeoutMs: guidedTimeoutS * 1000 } } : {}),
  });
  const stopPrompts = guided ? answerPromptsFromStdin(guided, io) : () => undefined;
  journal?.header({ versions: versions(), maneuver, protocol, patient: { name: patientName, profile }, seed, device: 'simulator', clock: realtime ? 'wall' : 'virtual', argv: process.argv.slice(2) });
  journal?.attach(session.telemetry$);

  const progress = flags.json ? null : new ProgressDisplay({ tty: io.isTTY, write: io.stdout, plannedMs: plannedDurationMs(protocol, baseline) });
  if (progress) {
    io.stdout(`rmseq ${maneuver} on simulated patient ${patientName} (seed ${seed}), ${realtime ? `wall clock x${speed ?? 1}` : 'virtual clock'}\n`);
    progress.attach(session.telemetry$);
  }
  const stopSignals = handleSignals(session, io);
  let summary: SessionSummary;
  try {
    summary = await runSession(session);
  } finally {
    stopSignals();
    stopPrompts();
    progress?.detach();
  }
  await session.close();
  journal?.close();
  if (flags.json) io.stdout(`${JSON.stringify(toJsonResult(summary, { patient: patientName, seed }), null, 2)}\n`);
  else io.stdout(`\n${formatSummary(summary)}\n`);
  return exitCodeFor(summary.outcome);
}

/**
 * Guided mode on the terminal: each instruction is printed; the operator carries it out
 * and presses Enter (in rehearsal, Enter stands for turning the knob on the simulator).
 */
function answerPromptsFromStdin(guided: GuidedVentilator, io: RunIo): () => void {
  let current: GuidedPrompt | null = null;
  const sub = guided.prompts$.subscribe((p) => {
    if (p && p.status === 'waiting') {
      current = p;
      io.stdout(`\n>>> ACTION ${p.id}: ${p.message}${p.changes.length ? ` (${p.changes.join(', ')})` : ''}\n>>> carry it out, then press Enter\n`);
    } else if (p && current && p.id === current.id) {
      io.stdout(`>>> ${p.status === 'matched' || p.status === 'confirmed' ? 'confirmed by the device readings' : p.status}: ${p.message}\n`);
      current = null;
    }
  });
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', () => {
    if (current) void guided.confirm(current.id);
  });
  return () => {
    sub.unsubscribe();
    rl.close();
  };
}

/** The machine-readable result of `run --json`. */
export function toJsonResult(s: SessionSummary, extra: Record<string, unknown>) {
  return {
    ...extra,
    maneuver: s.maneuver,
    outcome: s.outcome,
    finalPeepCmH2O: s.finalPeepCmH2O,
    derecruitmentPeepCmH2O: s.derecruitmentPeepCmH2O,
    abortReason: s.abort?.reason ?? null,
    abort: s.abort,
    baseline: s.baseline,
    baselineVerified: s.baselineVerified,
    verifiedSettings: s.verifiedSettings,
    durationMs: s.durationMs,
    response: s.response,
    preconditionIssues: s.preconditionIssues,
    restoreFailures: s.restoreFailures,
    steps: s.steps,
  };
}

/**
 * SIGINT/SIGTERM during a maneuver: abort through the machine (baseline restored and
 * verified, journaled). A second signal, or no verified restore within the deadline, falls
 * back to a direct restore on the HAL before the process exits.
 */
function handleSignals(session: Session, io: RunIo): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      io.stderr(`\n${signal}: aborting the maneuver and restoring the baseline...\n`);
      session.operator('abort', signal);
      const limitMs = (session.context.safety.restoreTimeoutS + session.context.safety.restoreRetryDelayS) * 1000 * (session.context.safety.restoreAttempts + 1);
      const timer = setTimeout(() => {
        if (!session.isFinished) {
          void session.emergencyRestore(`${signal}: machine did not finish the restore in time`).then((ok) => process.exit(ok ? EXIT.aborted : EXIT.failsafe));
        }
      }, limitMs);
      timer.unref();
    } else {
      io.stderr(`\n${signal} again: restoring the baseline directly on the device...\n`);
      void session.emergencyRestore(`second ${signal}`).then((ok) => process.exit(ok ? EXIT.aborted : EXIT.failsafe));
    }
  };
  // An uncaught error during a maneuver: restore the baseline on the HAL, then exit 1.
  const onCrash = (err: unknown): void => {
    io.stderr(`\ninternal error during the maneuver: ${(err as Error)?.stack ?? String(err)}\nrestoring the baseline...\n`);
    void session.emergencyRestore('internal error').finally(() => process.exit(EXIT.internal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  };
}
