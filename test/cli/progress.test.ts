/**
 * The terminal status line in FAILSAFE: it says what the controller is doing and what the
 * operator must do, changes when a retry verifies the baseline, and prints a permanent line
 * per change of situation, not per restore retry.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ProgressDisplay } from '../../src/cli/progress.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';

function display() {
  const out: string[] = [];
  const telemetry = new Subject<TelemetryEvent>();
  const p = new ProgressDisplay({ tty: true, write: (s) => out.push(s), plannedMs: 60_000, redrawMs: 0 });
  p.attach(telemetry);
  let t = 0;
  const state = (s: string) => telemetry.next({ kind: 'state', t: (t += 1000), state: s, step: null, stepIndex: 0, dwellEndsAt: null });
  /** The status line as last drawn. */
  const status = () => out.filter((s) => s.startsWith('\r\x1b[2K[')).at(-1) ?? '';
  const lines = () => out.filter((s) => s.endsWith('\n'));
  return { state, status, lines };
}

describe('progress display in FAILSAFE', () => {
  it('after a retry verifies the baseline the status line says so, no longer "restoring baseline"', () => {
    const d = display();
    d.state('aborting.restoring');
    d.state('failsafe.restoring');
    d.state('failsafe.waiting');
    d.state('failsafe.restoring');
    d.state('failsafe.restored');
    expect(d.status()).toMatch(/FAILSAFE resolved: baseline verified/);
    expect(d.status()).not.toMatch(/restoring baseline/);
  });

  it('says what to do while in failsafe, and prints one line per situation, not one per retry', () => {
    const d = display();
    d.state('aborting.restoring');
    d.state('aborting.waiting');
    d.state('aborting.restoring');
    for (let i = 0; i < 20; i++) {
      d.state('failsafe.restoring');
      d.state('failsafe.waiting');
    }
    expect(d.status()).toMatch(/FAILSAFE: baseline NOT verified.*CHECK THE VENTILATOR.*ack/);
    expect(d.lines().filter((l) => /restor|FAILSAFE/.test(l))).toHaveLength(2);
    d.state('halted');
    expect(d.status()).toMatch(/acknowledged/);
  });
});
