/** A minimal in-memory ventilator for tests of code that uses the port (not a simulator). */
import { Subject } from 'rxjs';
import { every, type Clock } from '../../common/clock.js';
import { DisconnectedError } from '../../hal/errors.js';
import { mergeSettings, type DeviceFault, type DeviceInfo, type Ventilator } from '../../hal/port.js';
import { assertWithinCapabilities } from '../../hal/ranges.js';
import type { MonitorSample, VentSettings } from '../../machines/index.js';

export class FakeVentilator implements Ventilator {
  readonly samples$ = new Subject<MonitorSample>();
  readonly faults$ = new Subject<DeviceFault>();
  readonly applied: VentSettings[] = [];
  connected = false;
  /** When set, apply() rejects with it. */
  failWith: Error | null = null;

  constructor(
    public settings: VentSettings,
    private readonly clock: Clock,
    readonly info: DeviceInfo = {
      vendor: 'test',
      model: 'fake',
      protocol: 'fake',
      capabilities: {
        modes: ['CPAP', 'PCV', 'VC'],
        ranges: { peepCmH2O: [0, 50], peakCmH2O: [0, 70], rateBpm: [0, 60], fio2: [0.21, 1] },
        remoteSetting: true,
        pressureResolutionCmH2O: 0.1,
      },
    },
    private readonly latencyMs = 0,
  ) {}

  private stopSamples: (() => void) | null = null;

  /**
   * What the settings produce in a lung of 35 mL/cmH2O: in VC the set Vt, plateau PEEP + Vt / 35
   * and a peak 3 above it (the set peak is only the alarm limit); in PCV and CPAP the set peak.
   */
  private measured(): { peakCmH2O: number; plateauCmH2O?: number; tidalVolumeMl?: number } {
    const s = this.settings;
    if (s.mode !== 'VC' || s.tidalVolumeMl === undefined) return { peakCmH2O: s.peakCmH2O };
    const plateau = Math.round((s.peepCmH2O + s.tidalVolumeMl / 35) * 10) / 10;
    return { peakCmH2O: Math.min(s.peakCmH2O, plateau + 3), plateauCmH2O: plateau, tidalVolumeMl: s.tidalVolumeMl };
  }

  async connect(): Promise<void> {
    this.connected = true;
    // One measurement per second of what the settings produce, like a ventilator display.
    this.stopSamples ??= every(this.clock, 1000, () =>
      this.samples$.next({ t: this.clock.now(), source: 'fake', ...this.measured(), peepCmH2O: this.settings.peepCmH2O, complianceMlPerCmH2O: 35 }),
    );
  }
  async identify(): Promise<DeviceInfo> {
    return this.info;
  }
  async readSettings(): Promise<VentSettings> {
    if (!this.connected) throw new DisconnectedError('fake: not connected');
    return { ...this.settings };
  }
  apply(change: Partial<VentSettings>): Promise<VentSettings> {
    if (!this.connected) return Promise.reject(new DisconnectedError('fake: not connected'));
    if (this.failWith) return Promise.reject(this.failWith);
    const next = mergeSettings(this.settings, change);
    try {
      assertWithinCapabilities(next, this.info.capabilities);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve) =>
      this.clock.setTimeout(() => {
        this.settings = next;
        this.applied.push(next);
        resolve({ ...next });
      }, this.latencyMs),
    );
  }
  async close(): Promise<void> {
    this.connected = false;
    this.stopSamples?.();
    this.stopSamples = null;
    this.samples$.complete();
    this.faults$.complete();
  }
}
