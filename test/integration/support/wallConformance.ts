/**
 * Running the conformance suite on the wall clock. The suite's `settle` attaches its handler
 * to an `apply` promise only after its first `advance`; on a virtual clock that is one
 * microtask drain, but a wall-clock wait would leave an apply that rejects at once (out of
 * range, link down) unhandled across the wait. So `advance` first drains microtasks and, if
 * an apply settled meanwhile, returns without waiting: the suite then attaches its handler
 * in the same drain. Everything else is a plain wait on the (sped-up) wall clock.
 */
import { sleep, type Clock } from '../../../common/clock.js';
import type { DeviceFault, DeviceInfo, Ventilator } from '../../../hal/port.js';
import type { MonitorSample, VentSettings } from '../../../machines/types.js';
import type { Observable } from 'rxjs';

export class WallClockSubject implements Ventilator {
  private applySettled = false;

  constructor(
    readonly inner: Ventilator,
    private readonly clock: Clock,
  ) {}

  get samples$(): Observable<MonitorSample> {
    return this.inner.samples$;
  }
  get faults$(): Observable<DeviceFault> {
    return this.inner.faults$;
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  identify(): Promise<DeviceInfo> {
    return this.inner.identify();
  }
  readSettings(): Promise<VentSettings> {
    return this.inner.readSettings();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  apply(change: Partial<VentSettings>): Promise<VentSettings> {
    const p = this.inner.apply(change);
    p.then(
      () => (this.applySettled = true),
      () => (this.applySettled = true),
    );
    return p;
  }

  /** The conformance subject's `advance`. */
  async advance(ms: number): Promise<void> {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    if (this.applySettled) {
      this.applySettled = false;
      return;
    }
    await sleep(this.clock, ms);
  }
}
