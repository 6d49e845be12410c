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
 * A scripted event at the airway: the circuit opened to the room (disconnection) or for open
 * suction. PEEP is lost for its duration (the patient's airway is at 0 cmH2O, no breaths); the
 * ventilator keeps its settings, which the patient gets again at the end.
 */
export interface CircuitEvent {
  kind: 'disconnection' | 'suction';
  /** When it begins, on the world's clock. */
  atMs: number;
  durationMs: number;
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
  private delivered: SimSettings;
  private airwayOpen: CircuitEvent | null = null;
  private readonly circuitLog: CircuitEvent[] = [];

  constructor(options: SimWorldOptions) {
    this.clock = options.clock;
    this.stepMs = options.stepMs ?? 1000;
    this.patient = new SimPatient(options.profile, { seed: options.seed, settings: options.settings });
    // The monitor's noise stream is seeded apart from the patient's, so the same patient
    // can be watched by differently configured monitors.
    this.monitor = new SimMonitor(this.patient, { seed: options.seed * 7919 + 17, ...(options.monitor ?? {}) });
    this.lastAt = this.clock.now();
    this.delivered = options.settings;
  }

  /** The ventilator delivers new settings: the patient gets them unless the airway is open. */
  deliver(settings: SimSettings): void {
    this.catchUp();
    this.delivered = settings;
    if (!this.airwayOpen) this.patient.setSettings(settings);
  }

  /**
   * Schedules a disconnection or an open suction on the clock (tests, `rmseq run --watch-event`).
   *
   * @example
   * world.scheduleCircuitEvent({ kind: 'disconnection', atMs: clock.now() + 300_000, durationMs: 30_000 });
   */
  scheduleCircuitEvent(e: CircuitEvent): void {
    const now = this.clock.now();
    if (!(e.atMs >= now) || !(e.durationMs > 0) || !Number.isFinite(e.atMs + e.durationMs)) {
      throw new RangeError(`circuit event needs atMs >= now (${now}) and durationMs > 0 (got ${e.atMs}, ${e.durationMs})`);
    }
    this.clock.setTimeout(() => {
      this.catchUp();
      this.airwayOpen = e;
      this.circuitLog.push(e);
      // Open to the room: no pressure, no breaths; suction keeps the inspired oxygen of the settings.
      this.patient.setSettings({ mode: 'CPAP', peepCmH2O: 0, peakCmH2O: 0, rateBpm: 0, fio2: e.kind === 'suction' ? this.delivered.fio2 : 0.21 });
    }, e.atMs - now);
    this.clock.setTimeout(() => {
      this.catchUp();
      this.airwayOpen = null;
      this.patient.setSettings(this.delivered);
    }, e.atMs + e.durationMs - now);
  }

  /** The circuit events that have begun so far. */
  circuitEvents(): readonly CircuitEvent[] {
    return this.circuitLog.slice();
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
