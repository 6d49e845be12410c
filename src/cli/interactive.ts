/** The operator at the terminal: signals during a maneuver, and answers to guided instructions. */
import { createInterface } from 'node:readline';
import type { GuidedPrompt, GuidedVentilator } from '../../hal/guided/index.js';
import type { Session } from '../runner/session.js';
import { EXIT } from './exitCodes.js';
import type { RunIo } from './run.js';

/**
 * SIGINT/SIGTERM during a maneuver: abort through the machine (baseline restored and
 * verified, journaled). A second signal, or no verified restore within the deadline, falls
 * back to a direct restore on the HAL before the process exits. An uncaught error restores
 * the baseline on the HAL, then exits 1.
 */
export function handleSignals(session: Session, io: RunIo): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      io.stderr(`\n${signal}: aborting the maneuver and restoring the baseline...\n`);
      session.operator('abort', signal);
      const s = session.context.safety;
      const limitMs = (s.restoreTimeoutS + s.restoreRetryDelayS) * 1000 * (s.restoreAttempts + 1);
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

/**
 * Guided mode on the terminal: each instruction is printed; the operator carries it out and
 * presses Enter. In rehearsal (simulator) Enter stands for turning the knob; on a real device
 * the controller confirms from the device's own readings and Enter only makes it look again.
 */
export function answerPromptsFromStdin(guided: GuidedVentilator, io: RunIo, onDevice: boolean): () => void {
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
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', () => {
    if (current) void guided.confirm(current.id);
  });
  return () => {
    sub.unsubscribe();
    rl.close();
  };
}
