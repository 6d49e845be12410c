/**
 * Live progress of a running maneuver on the terminal. On a TTY, one status line redrawn in
 * place (step, PEEP/peak, SpO2, MAP, countdown, overall progress) with permanent lines for
 * each step change and alarm; elsewhere, plain lines only.
 */
import type { Observable, Subscription } from 'rxjs';
import type { TelemetryEvent } from '../runner/telemetry.js';
import { clockTime, describeBaselineVitals } from './format.js';

export interface ProgressOptions {
  tty: boolean;
  write: (text: string) => void;
  /** Total planned maneuver duration, for the progress bar (ms). */
  plannedMs: number;
  /** Minimum wall time between redraws of the status line. */
  redrawMs?: number;
}

export class ProgressDisplay {
  private sub: Subscription | null = null;
  private startedAt: number | null = null;
  private step = 'waiting for vitals';
  private dwellEndsAt: number | null = null;
  private spo2: number | null = null;
  private map: number | null = null;
  private peep: number | null = null;
  private peak: number | null = null;
  private now = 0;
  private lastDraw = 0;
  private statusShown = false;

  constructor(private readonly options: ProgressOptions) {}

  attach(telemetry$: Observable<TelemetryEvent>): void {
    this.sub = telemetry$.subscribe((e) => this.on(e));
  }

  detach(): void {
    this.sub?.unsubscribe();
    this.clearStatus();
  }

  private on(e: TelemetryEvent): void {
    this.now = e.t;
    switch (e.kind) {
      case 'input':
        if (e.event.type === 'SAMPLE') {
          const s = e.event.sample;
          if (s.spo2Pct !== undefined) this.spo2 = s.spo2Pct;
          if (s.mapMmHg !== undefined) this.map = s.mapMmHg;
          if (s.peepCmH2O !== undefined) this.peep = s.peepCmH2O;
          if (s.peakCmH2O !== undefined) this.peak = s.peakCmH2O;
        }
        if (e.event.type === 'START') this.startedAt = e.t;
        this.redraw();
        return;
      case 'state': {
        const label = e.step ?? e.state;
        const changed = label !== this.step || e.state.endsWith('dwelling');
        this.dwellEndsAt = e.dwellEndsAt;
        if (changed && e.state.endsWith('applying')) {
          this.step = label;
          this.line(`[${clockTime(this.elapsed())}] ${label}`);
        } else if (e.state.startsWith('failsafe') || e.state === 'halted' || e.state === 'aborted') {
          this.onEnding(e.state);
        } else if (e.state === 'aborting.restoring' && this.step !== 'restoring baseline') {
          // Once per abort: the retries of the restore are not news.
          this.step = 'restoring baseline';
          this.line(`[${clockTime(this.elapsed())}] ${this.step} (verifying by readback)`);
        } else if (e.state.endsWith('confirming')) {
          this.line(`[${clockTime(this.elapsed())}] waiting for operator confirmation: ${label}`);
        }
        return;
      }
      case 'baseline':
        this.line(
          e.vitals
            ? `[${clockTime(this.elapsed())}] vitals baseline ${describeBaselineVitals(e.vitals)}`
            : `collecting the vitals baseline: ${e.windowS} s of SpO2 and MAP (at least ${e.minSamples} samples of each) before the first step...`,
        );
        return;
      case 'guard':
        this.line(`[${clockTime(this.elapsed())}] ABORT ${e.abort.reason}: ${e.abort.message}`);
        return;
      case 'alarm':
        this.line(`[${clockTime(this.elapsed())}] ALARM (${e.priority}): ${e.message}`);
        return;
      case 'prompt':
        this.line(`[${clockTime(this.elapsed())}] ACTION: ${e.message}`);
        return;
      case 'apply-error':
        this.line(`[${clockTime(this.elapsed())}] device: ${e.code}: ${e.message}`);
        return;
      case 'fault':
        this.line(`[${clockTime(this.elapsed())}] fault ${e.code}: ${e.message}`);
        return;
      default:
    }
  }

  /**
   * FAILSAFE and the end of an abort: the status line says what the controller is doing and
   * what the operator must do; a permanent line only when that changes, not per retry.
   */
  private onEnding(state: string): void {
    const step =
      state === 'failsafe.restored'
        ? 'FAILSAFE resolved: baseline verified; check the patient, type ack + Enter'
        : state.startsWith('failsafe')
          ? 'FAILSAFE: baseline NOT verified, retrying the restore; CHECK THE VENTILATOR, type ack + Enter'
          : state === 'halted'
            ? 'FAILSAFE acknowledged: the operator has taken over'
            : 'baseline restored and verified';
    if (step === this.step) return;
    this.step = step;
    this.dwellEndsAt = null;
    this.line(`[${clockTime(this.elapsed())}] ${step}`);
  }

  private elapsed(): number {
    return this.startedAt === null ? 0 : this.now - this.startedAt;
  }

  private line(text: string): void {
    this.clearStatus();
    this.options.write(`${text}\n`);
    this.redraw(true);
  }

  private clearStatus(): void {
    if (this.options.tty && this.statusShown) {
      this.options.write('\r\x1b[2K');
      this.statusShown = false;
    }
  }

  private redraw(force = false): void {
    if (!this.options.tty) return;
    const wall = Date.now();
    if (!force && wall - this.lastDraw < (this.options.redrawMs ?? 100)) return;
    this.lastDraw = wall;
    const pct = this.options.plannedMs > 0 ? Math.min(1, this.elapsed() / this.options.plannedMs) : 0;
    const bar = '#'.repeat(Math.round(pct * 20)).padEnd(20, '.');
    const countdown = this.dwellEndsAt !== null ? clockTime(this.dwellEndsAt - this.now) : '--:--';
    const v = (x: number | null, d = 0) => (x === null ? '--' : x.toFixed(d));
    const text = `[${bar}] ${Math.round(pct * 100)}%  ${this.step}  step ${countdown}  PEEP ${v(this.peep, 1)} Ppeak ${v(this.peak, 1)}  SpO2 ${v(this.spo2)}  MAP ${v(this.map)}`;
    this.options.write(`\r\x1b[2K${text.slice(0, (process.stdout.columns || 160) - 1)}`);
    this.statusShown = true;
  }
}
