/**
 * The simulated world: one simulated patient with its bedside monitor, advanced on the
 * injected clock. The simulated ventilator and the simulated vitals source share it, as a
 * real ventilator and a real monitor share a real patient.
 */
import { every, type Clock } from '../../common/clock.js';
import { SimMonitor, SimPatient, type MonitorOptions, type PatientProfile, type SimSettings } from '../../sim/index.js';

export interface SimWorldOptions {
  profile: PatientProfile;
  seed: number;
  clock: Clock;
  /** Settings in force when the session starts (the baseline). */
  settings: SimSettings;
  /** Integration step of the patient model. */
  stepMs?: number;
  monitor?: Omit<MonitorOptions, 'seed'>;
}

/**
 * @example
 * const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings });
 * world.start();
 */
export class SimWorld {
  readonly patient: SimPatient;
  readonly monitor: SimMonitor;
  readonly clock: Clock;
  private readonly stepMs: number;
  private stop: (() => void) | null = null;
  private lastAt: number;

  constructor(options: SimWorldOptions) {
    this.clock = options.clock;
    this.stepMs = options.stepMs ?? 1000;
    this.patient = new SimPatient(options.profile, { seed: options.seed, settings: options.settings });
    // The monitor's noise stream is seeded apart from the patient's, so the same patient
    // can be watched by differently configured monitors.
    this.monitor = new SimMonitor(this.patient, { seed: options.seed * 7919 + 17, ...(options.monitor ?? {}) });
    this.lastAt = this.clock.now();
  }

  /** Starts advancing the patient on the clock (idempotent). */
  start(): void {
    if (this.stop) return;
    this.lastAt = this.clock.now();
    this.stop = every(this.clock, this.stepMs, () => this.catchUp());
  }

  /** Brings the patient to the clock's time (called before any reading). */
  catchUp(): void {
    const now = this.clock.now();
    const dt = now - this.lastAt;
    if (dt > 0) {
      this.patient.advance(dt);
      this.lastAt = now;
    }
  }

  halt(): void {
    this.stop?.();
    this.stop = null;
  }
}
