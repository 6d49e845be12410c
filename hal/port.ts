/**
 * The hardware abstraction layer: the `Ventilator` port a vendor implements for their
 * device, and the `VitalsSource` port for the patient monitor. Both are small and
 * Promise/Observable based; adapters take their transport and clock by constructor, so a
 * test swaps a mock binding, a pseudo-terminal or a virtual clock without touching them.
 *
 * Contract (checked by test/conformance/ventilator.conformance.ts):
 * - `connect()` before anything else; `identify()` says what the device can do.
 * - `readSettings()` returns the settings in force (the baseline every abort restores).
 * - `apply(partial)` validates against `identify().capabilities.ranges` first and rejects
 *   with `OutOfRangeError` without sending anything; otherwise resolves with the settings the
 *   device confirmed, or rejects with a typed error (`RefusedError`, `TimeoutError`,
 *   `DisconnectedError`, `NotPermittedError`).
 * - `samples$` emits timestamped measurements for as long as the link is up; `faults$` emits
 *   when the link is lost or the device reports a fault.
 * - `checkSettings(settings)` (optional) names what the device would refuse in a complete set
 *   of settings beyond `capabilities.ranges`: limits that depend on the mode (MakAir: the peak
 *   is a plateau 10-40 cmH2O in PCV but an alarm threshold 5-70 in VC). The runner checks
 *   every planned step with it before the start.
 * - Link recovery belongs to the adapter: after `link-lost` it re-establishes the link
 *   itself (MEDIBUS: ICC again; MakAir: the port reopened) until `close()`.
 * - `close()` stops all timers and streams (samples$ completes) and releases the transport.
 */
import type { Observable } from 'rxjs';
import type { DeviceFaultCode, MonitorSample, VentMode, VentSettings } from '../machines/types.js';

export type Range = readonly [min: number, max: number];

export interface VentilatorCapabilities {
  /** Modes the device can be put into. */
  modes: readonly VentMode[];
  ranges: {
    peepCmH2O: Range;
    peakCmH2O: Range;
    rateBpm: Range;
    fio2: Range;
    tidalVolumeMl?: Range;
  };
  /** False for read-only interfaces (MEDIBUS): maneuvers then run in guided mode. */
  remoteSetting: boolean;
  /** Resolution of pressure settings (MakAir: 0.1 cmH2O, i.e. 1 mmH2O). */
  pressureResolutionCmH2O: number;
  /** True when `apply` works by instructing a person (GuidedVentilator), so it takes minutes, not milliseconds. */
  guided?: boolean;
  /**
   * The device can drop PEEP for a single breath on command and reports each breath's expired
   * volume (`expiredVolumeMl`) and plateau: the recruitability screen (R/I) can run on it. The
   * sample of the release breath (the expiration to the lower PEEP) carries its VTe, the
   * end-expiratory pressure it reached (`peepCmH2O`) and the plateau of the next inspiration.
   * Absent or false (MakAir, MEDIBUS): the screen is a guided procedure with the numbers entered.
   */
  oneBreathPeepDrop?: boolean;
}

export interface DeviceInfo {
  vendor: string;
  model: string;
  /** Serial number or other stable identity, if the device reports one. */
  id?: string;
  firmware?: string;
  protocol: string;
  capabilities: VentilatorCapabilities;
}

export interface DeviceFault {
  t: number;
  code: DeviceFaultCode;
  message: string;
}

/**
 * A ventilator as rm-sequencer drives it.
 *
 * @example
 * class MyVentilator implements Ventilator {
 *   readonly samples$ = new Subject<MonitorSample>();
 *   readonly faults$ = new Subject<DeviceFault>();
 *   async connect() {  open the port, handshake  }
 *   async identify() { return { vendor: 'Acme', model: 'V1', protocol: 'acme', capabilities } }
 *   async readSettings() { return this.current }
 *   async apply(change) { send, wait for the device's confirmation, return the confirmed settings }
 *   async close() { this.samples$.complete(); this.faults$.complete(); }
 * }
 */
/** Device settings beyond `VentSettings`, by the device protocol's own setting ids (wire values). */
export interface DeviceSettingsBaseline {
  protocol: string;
  settings: Readonly<Record<string, number>>;
}

export interface Ventilator {
  connect(): Promise<void>;
  identify(): Promise<DeviceInfo>;
  readSettings(): Promise<VentSettings>;
  apply(change: Partial<VentSettings>): Promise<VentSettings>;
  /**
   * What the device would refuse in these complete settings beyond `identify().capabilities.ranges`
   * (mode-dependent limits), one sentence per problem; empty when it can carry them out.
   * Sends nothing. Optional: without it, the capability ranges are the whole check.
   */
  checkSettings?(settings: VentSettings): readonly string[];
  /**
   * Optional. The device settings beyond `VentSettings` that a return to the baseline restores
   * (alarm thresholds, timings), as the adapter captured them before it changed anything; null
   * before the capture. Journaled at the start of a session so that another process can restore
   * them after a crash (`adoptDeviceSettingsBaseline`).
   */
  deviceSettingsBaseline?(): DeviceSettingsBaseline | null;
  /**
   * Optional. Takes a capture journaled by the adapter of a session that died, for `baseline`:
   * the next `apply` of that baseline restores those settings too, as the first adapter would
   * have. Throws (changing nothing) on a capture of another protocol, an unknown setting or a
   * value out of range.
   */
  adoptDeviceSettingsBaseline?(baseline: VentSettings, captured: DeviceSettingsBaseline): void;
  readonly samples$: Observable<MonitorSample>;
  readonly faults$: Observable<DeviceFault>;
  close(): Promise<void>;
}

/** A patient monitor: SpO2, MAP/SBP, HR, each sample with its source and time. */
export interface VitalsSource {
  connect(): Promise<void>;
  readonly samples$: Observable<MonitorSample>;
  readonly faults$: Observable<DeviceFault>;
  close(): Promise<void>;
}

/** Merges a partial change onto the settings in force. */
export function mergeSettings(current: VentSettings, change: Partial<VentSettings>): VentSettings {
  const next: VentSettings = { ...current };
  for (const [k, v] of Object.entries(change) as Array<[keyof VentSettings, VentSettings[keyof VentSettings]]>) {
    if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  }
  return next;
}
