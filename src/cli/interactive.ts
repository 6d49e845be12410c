/** The operator at the terminal: signals during a maneuver, and answers to guided instructions. */
import type { TimerHandle } from '../../common/clock.js';
import type { GuidedPrompt, GuidedVentilator } from '../../hal/guided/index.js';
import type { Session } from '../runner/session.js';
import { EXIT } from './exitCodes.js';
import type { RunIo } from './io.js';
import { StdinLines } from './stdinLines.js';

/** What the signal handling needs from the process (tests pass their own). */
export interface SignalHost {
  on(event: 'SIGINT' | 'SIGTERM', fn: (signal: NodeJS.Signals) => void): unknown;
  on(event: 'uncaughtException' | 'unhandledRejection', fn: (err: unknown) => void): unknown;
  off(event: string, fn: (...args: never[]) => void): unknown;
  exit(code: number): void;
}

export interface SignalHandling {
  /** The run has ended with this exit code: a later signal only ends the process with it. */
  settle(code: number): void;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * SIGINT/SIGTERM during a maneuver: abort through the machine (baseline restored and
 * verified, journaled). A second signal, or no verified restore within the deadline (on the
 * session's clock, so it scales with --speed), falls back to a direct restore on the HAL
 * before the process exits. Idempotent: a baseline already verified is never restored again
 * (exit 3, not 4); a signal while a direct restore runs waits for it; once the run has
 * settled, a signal just ends the process with the settled code. In FAILSAFE a signal
 * acknowledges (the person has taken over): the run ends with exit 4 and the device state. An uncaught error restores
 * the baseline on the HAL, then exits 1.
 */
export function handleSignals(session: Session, io: RunIo, options: { host?: SignalHost; onFailsafe?: (signal: NodeJS.Signals) => void; onWatch?: (signal: NodeJS.Signals) => boolean } = {}): SignalHandling {
  const host = options.host ?? (process as unknown as SignalHost);
  let count = 0;
  let settled: number | null = null;
  let exiting = false;
  const clock = session.clock;
  let deadline: TimerHandle | null = null;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    if (deadline) clock.clearTimeout(deadline);
    host.exit(code);
  };
  /** A verified baseline is exit 3 unless the machine went through failsafe (exit 4 says so). */
  const codeAfterRestore = (ok: boolean): number => (ok && !session.state.startsWith('failsafe') && session.state !== 'halted' ? EXIT.aborted : EXIT.failsafe);
  const restoreThenExit = (reason: string): void => {
    void session.emergencyRestore(reason).then((ok) => {
      if (settled !== null) return; // the run ended meanwhile and reports its own outcome
      io.stderr(ok ? 'baseline verified on the device.\n' : 'FAILSAFE: the baseline could not be verified. CHECK THE VENTILATOR NOW.\n');
      if (!ok || session.isFinished) {
        if (!ok) exit(codeAfterRestore(ok));
        return; // the run is ending: it prints its summary and exits with its own code
      }
      // The machine sees the verified baseline at its next readback and ends the run, which
      // prints its summary; if it does not within one restore timeout (session clock), exit.
      const grace = clock.setTimeout(() => settled === null && !session.isFinished && exit(codeAfterRestore(true)), session.context.safety.restoreTimeoutS * 1000);
      void session.done.then(() => clock.clearTimeout(grace));
    });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (settled !== null) {
      io.stderr(`\n${signal}: the run has already ended (exit ${settled}).\n`);
      exit(settled);
      return;
    }
    if (session.state.startsWith('failsafe')) {
      // The machine is already retrying the restore and alarming: a signal here means the
      // person has taken over, so it acknowledges and the run ends (exit 4) with the device state.
      io.stderr(`\n${signal} in FAILSAFE: acknowledging for the operator and ending the run...\n`);
      if (options.onFailsafe) options.onFailsafe(signal);
      else session.operator('ack', signal);
      return;
    }
    // During the post-maneuver watch (the completed maneuver waits, its settings kept): a
    // signal ends the watch, and with it the run; it does not revert the settings.
    if (options.onWatch?.(signal)) {
      io.stderr(`\n${signal}: ending the post-maneuver watch...\n`);
      return;
    }
    if (session.isFinished) {
      io.stderr(`\n${signal}: the session has ended; ${session.baselineVerified ? 'the baseline is verified' : 'closing'}...\n`);
      return; // the run reports its outcome in a moment
    }
    if (count === 1) {
      io.stderr(`\n${signal}: aborting the maneuver and restoring the baseline...\n`);
      session.operator('abort', signal);
      const s = session.context.safety;
      const limitMs = (s.restoreTimeoutS + s.restoreRetryDelayS) * 1000 * (s.restoreAttempts + 1);
      deadline = clock.setTimeout(() => {
        deadline = null;
        if (!session.isFinished && settled === null) restoreThenExit(`${signal}: machine did not finish the restore in time`);
      }, limitMs);
      void session.done.then(() => deadline && clock.clearTimeout(deadline));
    } else if (session.baselineVerified) {
      io.stderr(`\n${signal} again: the baseline is already verified; ending...\n`);
    } else {
      io.stderr(`\n${signal} again: restoring the baseline directly on the device...\n`);
      restoreThenExit(`second ${signal}`);
    }
  };
  const onCrash = (err: unknown): void => {
    io.stderr(`\ninternal error during the maneuver: ${(err as Error)?.stack ?? String(err)}\nrestoring the baseline...\n`);
    void session.emergencyRestore('internal error').finally(() => exit(EXIT.internal));
  };
  host.on('SIGINT', onSignal);
  host.on('SIGTERM', onSignal);
  host.on('uncaughtException', onCrash);
  host.on('unhandledRejection', onCrash);
  return {
    settle(code: number) {
      settled = code;
      if (deadline) clock.clearTimeout(deadline);
      deadline = null;
    },
    dispose() {
      if (deadline) clock.clearTimeout(deadline);
      host.off('SIGINT', onSignal);
      host.off('SIGTERM', onSignal);
      host.off('uncaughtException', onCrash);
      host.off('unhandledRejection', onCrash);
    },
  };
}

/**
 * Guided mode on the terminal: each instruction is printed; the operator carries it out and
 * presses Enter. In rehearsal (simulator) Enter stands for turning the knob; on a real device
 * the controller confirms from the device's own readings and Enter only makes it look again.
 */
export function answerPromptsFromStdin(guided: GuidedVentilator, io: RunIo, onDevice: boolean, shared?: StdinLines): () => void {
  const stdin = shared ?? new StdinLines();
  let current: GuidedPrompt | null = null;
  const sub = guided.prompts$.subscribe((p) => {
    if (p && p.status === 'waiting') {
      current = p;
      const how = onDevice ? 'set it on the ventilator; the controller confirms it from the device (Enter: look again now)' : 'carry it out, then press Enter';
      io.stdout(`\n>>> ACTION ${p.id}: ${p.message}${p.changes.length ? ` (${p.changes.join(', ')})` : ''}\n>>> ${how}\n`);
    } else if (p && current && p.id === current.id) {
      io.stdout(`>>> ${p.status === 'matched' || p.status === 'confirmed' ? 'confirmed by the device readings' : p.status}: ${p.message}\n`);
      current = null;
    }
  });
  // `ack` belongs to the failsafe watch; any other line (Enter) confirms the instruction.
  const lines = stdin.lines$.subscribe((line) => {
    if (current && !/^ack$/i.test(line)) void guided.confirm(current.id);
  });
  return () => {
    sub.unsubscribe();
    lines.unsubscribe();
    if (!shared) stdin.close();
  };
}
