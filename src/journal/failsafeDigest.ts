/**
 * What the journal keeps while the machine is in FAILSAFE. There it retries the restore
 * without end (every restoreRetryDelayS, or restoreTimeoutS on a stalled device), and each
 * retry is a state change, a command, an error and an input: hundreds of lines a minute that
 * bury what matters. In failsafe the journal keeps state changes that are news (entering,
 * restored, halted), faults, operator actions, alarms (the failsafe watch's periodic summary
 * is one) and every sample and tick (the patient's vitals), and drops the per-retry lines:
 * restore commands, their errors and unverified readbacks, the restoring/waiting cycle.
 * `rmseq replay` compares a failsafe session up to its entry into failsafe, then its outcome.
 */
import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { TelemetryEvent } from '../runner/telemetry.js';

const RETRY_STATES = new Set(['failsafe.restoring', 'failsafe.waiting']);

/** The operator over a session's telemetry$, before Journal.attach. */
export function failsafeDigest(): MonoTypeOperatorFunction<TelemetryEvent> {
  let inFailsafe = false;
  const unverified = new Set<number>();
  return filter((e: TelemetryEvent) => {
    if (e.kind === 'state') {
      const entering = e.state.startsWith('failsafe') && !inFailsafe;
      inFailsafe = e.state.startsWith('failsafe');
      if (!inFailsafe) return true;
      if (entering) return true;
      return !RETRY_STATES.has(e.state);
    }
    if (!inFailsafe) return true;
    switch (e.kind) {
      case 'command':
        return e.command.purpose !== 'restore-baseline';
      case 'apply-error':
        return false;
      case 'readback':
        if (!e.matches) unverified.add(e.seq);
        return e.matches;
      case 'input':
        if (e.event.type === 'APPLY_FAILED') return false;
        if (e.event.type === 'APPLIED') return !unverified.delete(e.event.seq);
        return true;
      default:
        return true;
    }
  });
}

/**
 * A state sequence as the digest journals it: after the first failsafe state, the
 * restoring/waiting retry cycle and `failsafe.restored` are left out (a replay cannot see a
 * verified retry whose failed predecessors were not journaled).
 */
export function digestStates(states: readonly string[]): string[] {
  const first = states.findIndex((s) => s.startsWith('failsafe'));
  if (first < 0) return [...states];
  return [...states.slice(0, first + 1), ...states.slice(first + 1).filter((s) => !s.startsWith('failsafe'))];
}
