/** A vitals source that emits what a test function says, every second on the clock. */
import { Subject } from 'rxjs';
import { every, type Clock } from '../../common/clock.js';
import type { DeviceFault, VitalsSource } from '../../hal/port.js';
import type { MonitorSample } from '../../machines/index.js';

export class ScriptedVitals implements VitalsSource {
  readonly samples$ = new Subject<MonitorSample>();
  readonly faults$ = new Subject<DeviceFault>();
  private stop: (() => void) | null = null;
  constructor(
    private readonly clock: Clock,
    public script: (now: number) => Partial<MonitorSample> | null,
    private readonly periodMs = 1000,
  ) {}
  async connect(): Promise<void> {
    this.stop = every(this.clock, this.periodMs, () => {
      const v = this.script(this.clock.now());
      if (v) this.samples$.next({ t: this.clock.now(), source: 'scripted', ...v });
    });
  }
  async close(): Promise<void> {
    this.stop?.();
    this.samples$.complete();
    this.faults$.complete();
  }
}
