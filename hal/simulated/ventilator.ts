/**
 * `SimulatedVentilator`: the `Ventilator` port over the simulated patient. Settings take
 * effect after a short latency on the injected clock, as on a real device. Faults can be
 * injected for the fault-injection matrix: refuse, stall (never confirm), wrong readback,
 * link loss.
 */
import { Subject } from 'rxjs';
import type { Clock } from '../../common/clock.js';
import type { VentSettings } from '../../machines/types.js';
import { DisconnectedError, RefusedError, TimeoutError } from '../errors.js';
import { mergeSettings, type DeviceFault, type DeviceInfo, type Ventilator, type VentilatorCapabilities } from '../port.js';
import type { MonitorSample } from '../../machines/types.js';
import { assertWithinCapabilities } from '../ranges.js';
import type { SimWorld } from './world.js';
import type { ReleaseBreath } from '../../sim/index.js';

/** A drop of PEEP by 1 cmH2O or more, volume control before and after: the next breath releases volume. */
function isReleaseDrop(from: VentSettings, to: VentSettings): boolean {
  return from.mode === 'VC' && to.mode === 'VC' && to.rateBpm > 0 && to.peepCmH2O <= from.peepCmH2O - 1;
}

export const SIMULATED_CAPABILITIES: VentilatorCapabilities = {
  modes: ['CPAP', 'PCV', 'VC'],
  ranges: { peepCmH2O: [0, 50], peakCmH2O: [5, 80], rateBpm: [0, 60], fio2: [0.21, 1], tidalVolumeMl: [50, 2000] },
  remoteSetting: true,
  pressureResolutionCmH2O: 0.1,
  oneBreathPeepDrop: true,
};

/** Faults a test or the fault matrix can switch on. */
export interface SimulatedFaults {
  /** Refuse the next N applies. */
  refuseApplies?: number;
  /** Never confirm the next N applies (the caller's deadline must catch it). */
  stallApplies?: number;
  /** Apply, but read back this PEEP instead (a device that does not do what it says). */
  wrongReadbackPeepCmH2O?: number | null;
  /** The link is down: every call fails with DisconnectedError, telemetry stops. */
  linkDown?: boolean;
}

export interface SimulatedVentilatorOptions {
  world: SimWorld;
  /** Time between a command and the device confirming it. */
  applyLatencyMs?: number;
  /**
   * Period of the measured-value samples. Default: once per breath, as ventilators report
   * (60 / rate s, within 1-6 s; every 5 s in CPAP, which has no breaths).
   */
  sampleMs?: number;
  /** A stalled apply fails with TimeoutError after this long. */
  applyDeadlineMs?: number;
}

/**
 * @example
 * const vent = new SimulatedVentilator({ world });
 * await vent.connect();
 * await vent.apply({ peepCmH2O: 20 });
 */
export class SimulatedVentilator implements Ventilator {
  readonly samples$ = new Subject<MonitorSample>();
  readonly faults$ = new Subject<DeviceFault>();
  readonly faults: SimulatedFaults = {};
  private readonly world: SimWorld;
  private readonly clock: Clock;
  private readonly latencyMs: number;
  private readonly sampleMs: number | null;
  private readonly deadlineMs: number;
  private stopSampling: (() => void) | null = null;
  private connected = false;
  private settings: VentSettings;
  /** The release breath after a PEEP drop in volume control, reported on the next sample (the R/I test). */
  private release: ReleaseBreath | null = null;

  constructor(options: SimulatedVentilatorOptions) {
    this.world = options.world;
    this.clock = options.world.clock;
    this.latencyMs = options.applyLatencyMs ?? 300;
    this.sampleMs = options.sampleMs ?? null;
    this.deadlineMs = options.applyDeadlineMs ?? 5000;
    this.settings = { ...this.world.patient.settings() };
  }

  async connect(): Promise<void> {
    if (this.faults.linkDown) throw new DisconnectedError('simulated ventilator: link down');
    this.connected = true;
    this.world.start();
    if (!this.stopSampling) this.scheduleSample();
  }

  async identify(): Promise<DeviceInfo> {
    this.assertUp();
    return { vendor: 'rm-sequencer', model: 'simulated lung', protocol: 'simulated', id: 'sim-1', capabilities: SIMULATED_CAPABILITIES };
  }

  async readSettings(): Promise<VentSettings> {
    this.assertUp();
    const s = { ...this.settings };
    if (this.faults.wrongReadbackPeepCmH2O != null) s.peepCmH2O = this.faults.wrongReadbackPeepCmH2O;
    return s;
  }

  apply(change: Partial<VentSettings>): Promise<VentSettings> {
    try {
      this.assertUp();
      const next = mergeSettings(this.settings, change);
      assertWithinCapabilities(next, SIMULATED_CAPABILITIES);
      if ((this.faults.refuseApplies ?? 0) > 0) {
        this.faults.refuseApplies = (this.faults.refuseApplies ?? 0) - 1;
        throw new RefusedError('simulated ventilator refused the setting');
      }
      if ((this.faults.stallApplies ?? 0) > 0) {
        this.faults.stallApplies = (this.faults.stallApplies ?? 0) - 1;
        return new Promise((_, reject) =>
          this.clock.setTimeout(() => reject(new TimeoutError(`no confirmation within ${this.deadlineMs} ms`)), this.deadlineMs),
        );
      }
      return new Promise((resolve, reject) =>
        this.clock.setTimeout(() => {
          if (!this.connected || this.faults.linkDown) {
            reject(new DisconnectedError('simulated ventilator: link lost before confirmation'));
            return;
          }
          this.world.catchUp();
          // A PEEP drop in volume control expires the volume the lung releases (sim/recruitability.ts).
          this.release = isReleaseDrop(this.settings, next) ? this.world.patient.releaseBreath(next.peepCmH2O) : null;
          this.settings = next;
          this.world.deliver(next);
          resolve({ ...next });
        }, this.latencyMs),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Takes the link down (telemetry stops and a link-lost fault is reported) or back up. */
  setLinkDown(down: boolean): void {
    this.faults.linkDown = down;
    if (down) this.faults$.next({ t: this.clock.now(), code: 'link-lost', message: 'simulated ventilator: link lost' });
  }

  async close(): Promise<void> {
    this.connected = false;
    this.stopSampling?.();
    this.stopSampling = null;
    this.world.halt();
    this.samples$.complete();
    this.faults$.complete();
  }

  private assertUp(): void {
    if (!this.connected && this.stopSampling === null && !this.faults.linkDown) {
      // identify/readSettings before connect is a caller error, reported as a link problem
      throw new DisconnectedError('simulated ventilator: not connected (call connect() first)');
    }
    if (this.faults.linkDown) throw new DisconnectedError('simulated ventilator: link down');
  }

  /** Samples once per breath of the settings in force (re-evaluated every sample). */
  private scheduleSample(): void {
    const rate = this.settings.mode === 'CPAP' ? 0 : this.settings.rateBpm;
    const periodMs = this.sampleMs ?? (rate > 0 ? Math.min(6000, Math.max(1000, 60_000 / rate)) : 5000);
    const handle = this.clock.setTimeout(() => {
      this.emitSample();
      if (this.stopSampling) this.scheduleSample();
    }, periodMs);
    this.stopSampling = () => this.clock.clearTimeout(handle);
  }

  private emitSample(): void {
    if (this.faults.linkDown || !this.connected) return;
    this.world.catchUp();
    const now = this.clock.now();
    const m = this.world.monitor.ventilator(now);
    const r = this.release;
    this.release = null;
    // The breath after a PEEP drop: its expired volume, and the plateau of the first breath at the low PEEP.
    const release = r
      ? {
          expiredVolumeMl: Math.round(r.expiredVolumeMl),
          plateauCmH2O: Math.round(r.lowPlateauCmH2O * 10) / 10,
          tidalVolumeMl: Math.round(r.lowTidalVolumeMl),
          complianceMlPerCmH2O: Math.round((r.lowTidalVolumeMl / Math.max(0.5, r.lowPlateauCmH2O - this.settings.peepCmH2O)) * 10) / 10,
        }
      : {};
    this.samples$.next({ t: now, source: 'sim-ventilator', ...m, ...release });
  }
}
