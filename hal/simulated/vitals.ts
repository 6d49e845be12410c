/** `SimulatedVitals`: the `VitalsSource` port over the simulated bedside monitor. */
import { Subject } from 'rxjs';
import { every, type Clock } from '../../common/clock.js';
import type { MonitorSample } from '../../machines/types.js';
import type { DeviceFault, VitalsSource } from '../port.js';
import type { SimWorld } from './world.js';

export interface SimulatedVitalsOptions {
  world: SimWorld;
  /** Sampling period of the monitor feed. */
  sampleMs?: number;
}

/**
 * @example
 * const vitals = new SimulatedVitals({ world });
 * vitals.samples$.subscribe((s) => console.log(s.spo2Pct, s.mapMmHg));
 */
export class SimulatedVitals implements VitalsSource {
  readonly samples$ = new Subject<MonitorSample>();
  readonly faults$ = new Subject<DeviceFault>();
  private readonly world: SimWorld;
  private readonly clock: Clock;
  private readonly sampleMs: number;
  private stop: (() => void) | null = null;
  /** While true the feed is silent (monitor cable pulled). */
  silenced = false;
  private override: Partial<MonitorSample> | null = null;

  /** Fault injection: the next sample carries these values (an artifact, a probe off). */
  injectNext(values: Partial<Omit<MonitorSample, 't' | 'source'>>): void {
    this.override = values;
  }

  constructor(options: SimulatedVitalsOptions) {
    this.world = options.world;
    this.clock = options.world.clock;
    this.sampleMs = options.sampleMs ?? 1000;
  }

  async connect(): Promise<void> {
    this.world.start();
    this.stop ??= every(this.clock, this.sampleMs, () => this.emitSample());
  }

  async close(): Promise<void> {
    this.stop?.();
    this.stop = null;
    this.samples$.complete();
    this.faults$.complete();
  }

  private emitSample(): void {
    if (this.silenced) return;
    this.world.catchUp();
    const now = this.clock.now();
    const v = { ...this.world.monitor.vitals(now), ...(this.override ?? {}) };
    this.override = null;
    if (Object.keys(v).length === 0) return;
    this.samples$.next({ t: now, source: 'sim-monitor', ...v });
  }
}
