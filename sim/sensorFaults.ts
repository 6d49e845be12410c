/**
 * Sensor faults of the simulated bedside monitor: dropouts (a sensor reports nothing) and
 * artifacts (a sensor reports an implausible value), random at a seeded rate and/or scheduled.
 */
import type { SeededRandom } from './random.js';

/** The three vital-sign sensors: pulse oximeter, arterial line (MAP, SBP), ECG (HR). */
export type VitalSensor = 'spo2' | 'arterial' | 'ecg';
/** All vital-sign sensors. */
export const VITAL_SENSORS: readonly VitalSensor[] = ['spo2', 'arterial', 'ecg'];

/** A fault planned for a time window [fromMs, toMs) on the monitor's clock. */
export interface ScheduledFault {
  sensor: VitalSensor;
  fromMs: number;
  toMs: number;
}

/**
 * Dropout or artifact configuration of the monitor.
 *
 * @example
 * const dropouts: FaultOptions = { enabled: true, ratePerMin: 0, scheduled: [{ sensor: 'arterial', fromMs: 60_000, toMs: 75_000 }] };
 */
export interface FaultOptions {
  enabled: boolean;
  /** Mean episodes per minute per sensor (random episodes). */
  ratePerMin?: number;
  /** Mean episode length (exponential), never shorter than 1 s. */
  meanDurationS?: number;
  /** Sensors subject to random episodes (default: all). */
  sensors?: readonly VitalSensor[];
  /** Deterministic episodes, in addition to the random ones. */
  scheduled?: readonly ScheduledFault[];
}

/**
 * Tracks, per sensor, whether a fault episode is running at a given time.
 *
 * @example
 * const dropouts = new FaultProcess({ enabled: true, ratePerMin: 0.5, meanDurationS: 15 }, 0.5, 15, rng);
 * dropouts.update(nowMs);
 * if (dropouts.active('spo2', nowMs)) ...
 */
export class FaultProcess {
  private readonly until = new Float64Array(3).fill(Number.NEGATIVE_INFINITY);
  private readonly randomSensors = new Uint8Array(3);
  private readonly ratePerMin: number;
  private readonly meanDurationS: number;
  private readonly scheduled: readonly ScheduledFault[];
  private lastMs: number | null = null;

  constructor(
    private readonly options: FaultOptions | undefined,
    defaultRatePerMin: number,
    defaultDurationS: number,
    private readonly rng: SeededRandom,
  ) {
    this.ratePerMin = options?.ratePerMin ?? defaultRatePerMin;
    this.meanDurationS = options?.meanDurationS ?? defaultDurationS;
    if (!(this.ratePerMin >= 0) || !(this.meanDurationS > 0)) {
      throw new TypeError(`fault ratePerMin must be >= 0 and meanDurationS > 0 (got ${this.ratePerMin}, ${this.meanDurationS})`);
    }
    this.scheduled = options?.scheduled ?? [];
    for (const s of options?.sensors ?? VITAL_SENSORS) this.randomSensors[VITAL_SENSORS.indexOf(s)] = 1;
  }

  get enabled(): boolean {
    return this.options?.enabled === true;
  }

  /** Advances the random process to `nowMs` (starts new episodes). */
  update(nowMs: number): void {
    const last = this.lastMs;
    this.lastMs = nowMs;
    if (!this.enabled || last === null || nowMs <= last || this.ratePerMin <= 0) return;
    const p = 1 - Math.exp((-this.ratePerMin * (nowMs - last)) / 60_000);
    for (let k = 0; k < 3; k++) {
      if (!this.randomSensors[k] || nowMs < (this.until[k] as number)) continue;
      if (this.rng.uniform() < p) this.until[k] = nowMs + 1000 * Math.max(1, this.rng.exponential(this.meanDurationS));
    }
  }

  /** Whether `sensor` is in an episode at `nowMs`. */
  active(sensor: VitalSensor, nowMs: number): boolean {
    if (!this.enabled) return false;
    const k = VITAL_SENSORS.indexOf(sensor);
    if (nowMs < (this.until[k] as number)) return true;
    for (const s of this.scheduled) if (s.sensor === sensor && nowMs >= s.fromMs && nowMs < s.toMs) return true;
    return false;
  }
}
