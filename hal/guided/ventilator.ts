/**
 * `GuidedVentilator`: for ventilators that cannot be set remotely (MEDIBUS is read-only).
 * `apply` becomes an instruction to the therapist ("Set PEEP to 30 cmH2O, peak 45"); it
 * resolves only when the device reports the new settings within tolerance, or, where the
 * device reports nothing, on the operator's explicit confirmation. A configurable timeout
 * rejects with `TimeoutError` (and the maneuver then aborts).
 */
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { VentSettings } from '../../machines/types.js';
import { DisconnectedError, TimeoutError, VentilatorError } from '../errors.js';
import { assertWithinCapabilities } from '../ranges.js';
import { mergeSettings, type DeviceFault, type DeviceInfo, type Ventilator } from '../port.js';
import type { MonitorSample } from '../../machines/types.js';

export interface GuidedPrompt {
  id: number;
  /** What the therapist must set. */
  settings: VentSettings;
  /** The instruction, in words. */
  message: string;
  /** Settings that differ from the current ones, e.g. ['PEEP 10 -> 30']. */
  changes: string[];
  since: number;
  deadline: number;
  status: 'waiting' | 'matched' | 'confirmed' | 'timeout' | 'failed';
}

export interface GuidedTolerance {
  pressureCmH2O: number;
  fio2: number;
  rateBpm: number;
}

export interface GuidedVentilatorOptions {
  /** The device as it can be read (e.g. MedibusVentilator): settings and measurements. */
  device: Ventilator;
  clock: Clock;
  /** Reject an instruction not carried out within this time. */
  timeoutMs?: number;
  /** How often the device's settings are read while waiting. */
  pollMs?: number;
  tolerance?: Partial<GuidedTolerance>;
  /**
   * The device cannot report its settings: the operator's confirmation is the only check.
   * (Otherwise a confirmation only makes the controller look again.)
   */
  confirmOnly?: boolean;
  /**
   * Simulation/rehearsal only: how the therapist's action reaches a simulated device.
   * Called when the operator confirms; on a real device the therapist turns the knob.
   */
  actuator?: (settings: VentSettings) => Promise<unknown>;
}

/** How long a therapist has for a guided instruction unless configured otherwise (2 minutes). */
export const GUIDED_TIMEOUT_DEFAULT_MS = 120_000;
/**
 * The longest a guided instruction may wait: below the machine's 600 s apply deadline, so
 * the instruction's own timeout arrives first and names what was not carried out.
 */
export const GUIDED_TIMEOUT_MAX_MS = 590_000;
/** The same bounds in seconds, as the CLI flags take them (the minimum is 10 s). */
export const GUIDED_TIMEOUT_S = { min: 10, max: GUIDED_TIMEOUT_MAX_MS / 1000, default: GUIDED_TIMEOUT_DEFAULT_MS / 1000 } as const;

const DEFAULT_TOLERANCE: GuidedTolerance = { pressureCmH2O: 1, fio2: 0.02, rateBpm: 1 };

/** Whether the device's settings match the instruction within tolerance. */
export function guidedMatch(target: VentSettings, actual: VentSettings, tol: GuidedTolerance = DEFAULT_TOLERANCE): boolean {
  // "Not within" rather than "beyond": a value the device did not report (NaN) is no match.
  const off = (a: number, b: number, tolerance: number) => !(Math.abs(a - b) <= tolerance);
  if (target.mode !== actual.mode) return false;
  if (off(target.peepCmH2O, actual.peepCmH2O, tol.pressureCmH2O)) return false;
  if (target.mode !== 'CPAP' && off(target.peakCmH2O, actual.peakCmH2O, tol.pressureCmH2O)) return false;
  if (off(target.fio2, actual.fio2, tol.fio2)) return false;
  if (target.mode !== 'CPAP' && off(target.rateBpm, actual.rateBpm, tol.rateBpm)) return false;
  return true;
}

/** The instruction for the therapist, in words. */
export function describeInstruction(from: VentSettings, to: VentSettings): { message: string; changes: string[] } {
  const changes: string[] = [];
  if (from.mode !== to.mode) changes.push(`mode ${from.mode} -> ${to.mode}`);
  if (from.peepCmH2O !== to.peepCmH2O) changes.push(`PEEP ${from.peepCmH2O} -> ${to.peepCmH2O} cmH2O`);
  if (to.mode !== 'CPAP' && from.peakCmH2O !== to.peakCmH2O) changes.push(`${to.mode === 'VC' ? 'pressure limit' : 'peak'} ${from.peakCmH2O} -> ${to.peakCmH2O} cmH2O`);
  if (to.mode !== 'CPAP' && from.rateBpm !== to.rateBpm) changes.push(`rate ${from.rateBpm} -> ${to.rateBpm} /min`);
  if (from.fio2 !== to.fio2) changes.push(`FiO2 ${from.fio2} -> ${to.fio2}`);
  if (to.mode === 'VC' && to.tidalVolumeMl !== undefined && from.tidalVolumeMl !== to.tidalVolumeMl) changes.push(`Vt ${from.tidalVolumeMl ?? '?'} -> ${to.tidalVolumeMl} mL`);
  const what =
    to.mode === 'CPAP'
      ? `Set CPAP ${to.peepCmH2O} cmH2O`
      : to.mode === 'PCV'
        ? `Set PCV: PEEP ${to.peepCmH2O} cmH2O, peak ${to.peakCmH2O} cmH2O, rate ${to.rateBpm}/min`
        : `Set VC: PEEP ${to.peepCmH2O} cmH2O, Vt ${to.tidalVolumeMl ?? '?'} mL, rate ${to.rateBpm}/min`;
  return { message: `${what}, FiO2 ${to.fio2}`, changes };
}

/**
 * @example
 * const guided = new GuidedVentilator({ device: medibus, clock: new WallClock() });
 * guided.prompts$.subscribe((p) => p && console.log(p.message));
 */
export class GuidedVentilator implements Ventilator {
  private readonly promptSubject = new BehaviorSubject<GuidedPrompt | null>(null);
  /** The current instruction (null when none is waiting). */
  readonly prompts$: Observable<GuidedPrompt | null> = this.promptSubject.asObservable();
  private readonly device: Ventilator;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly tolerance: GuidedTolerance;
  private nextId = 1;
  private pending: { prompt: GuidedPrompt; resolve: (s: VentSettings) => void; reject: (e: Error) => void; timers: TimerHandle[] } | null = null;
  private lastKnown: VentSettings | null = null;

  constructor(private readonly options: GuidedVentilatorOptions) {
    this.device = options.device;
    this.clock = options.clock;
    this.timeoutMs = options.timeoutMs ?? GUIDED_TIMEOUT_DEFAULT_MS;
    this.pollMs = options.pollMs ?? 1000;
    this.tolerance = { ...DEFAULT_TOLERANCE, ...(options.tolerance ?? {}) };
  }

  get samples$(): Observable<MonitorSample> {
    return this.device.samples$;
  }
  get faults$(): Observable<DeviceFault> {
    return this.device.faults$;
  }

  connect(): Promise<void> {
    return this.device.connect();
  }

  async identify(): Promise<DeviceInfo> {
    const info = await this.device.identify();
    return { ...info, protocol: `guided/${info.protocol}`, capabilities: { ...info.capabilities, remoteSetting: true, guided: true } };
  }

  async readSettings(): Promise<VentSettings> {
    if (this.options.confirmOnly && this.lastKnown) return { ...this.lastKnown };
    const s = await this.device.readSettings();
    this.lastKnown = s;
    return s;
  }

  /** Instructs the therapist and waits for the device to show the settings (or the confirmation). */
  async apply(change: Partial<VentSettings>): Promise<VentSettings> {
    const caps = (await this.identify()).capabilities;
    const current = this.lastKnown ?? (await this.readSettings());
    const target = mergeSettings(current, change);
    assertWithinCapabilities(target, caps);
    this.pending?.reject(new VentilatorError('refused', 'superseded by a newer instruction'));
    this.clear();
    const now = this.clock.now();
    const { message, changes } = describeInstruction(current, target);
    const prompt: GuidedPrompt = { id: this.nextId++, settings: target, message, changes, since: now, deadline: now + this.timeoutMs, status: 'waiting' };
    return new Promise<VentSettings>((resolve, reject) => {
      const timers: TimerHandle[] = [];
      this.pending = { prompt, resolve, reject, timers };
      this.promptSubject.next(prompt);
      timers.push(
        this.clock.setTimeout(() => this.finish('timeout', new TimeoutError(`"${message}" not carried out within ${Math.round(this.timeoutMs / 1000)} s`)), this.timeoutMs),
      );
      if (!this.options.confirmOnly) this.poll(prompt.id);
    });
  }

  /**
   * The operator says the instruction is carried out. With `confirmOnly`, that is the check;
   * otherwise the controller reads the device again and waits for a match.
   */
  async confirm(promptId?: number): Promise<void> {
    const p = this.pending;
    if (!p || (promptId !== undefined && p.prompt.id !== promptId)) return;
    if (this.options.actuator) await this.options.actuator(p.prompt.settings);
    if (this.options.confirmOnly) {
      this.lastKnown = { ...p.prompt.settings };
      this.finish('confirmed', null, p.prompt.settings);
      return;
    }
    await this.check(p.prompt.id);
  }

  async close(): Promise<void> {
    this.pending?.reject(new DisconnectedError('guided ventilator closed'));
    this.clear();
    this.promptSubject.complete();
    await this.device.close();
  }

  private poll(id: number): void {
    const p = this.pending;
    if (!p || p.prompt.id !== id) return;
    p.timers.push(
      this.clock.setTimeout(() => {
        void this.check(id).finally(() => this.poll(id));
      }, this.pollMs),
    );
  }

  private async check(id: number): Promise<void> {
    let actual: VentSettings;
    try {
      actual = await this.device.readSettings();
    } catch (e) {
      if (e instanceof DisconnectedError) this.finish('failed', e);
      return;
    }
    this.lastKnown = actual;
    const p = this.pending;
    if (p && p.prompt.id === id && guidedMatch(p.prompt.settings, actual, this.tolerance)) this.finish('matched', null, actual);
  }

  private finish(status: GuidedPrompt['status'], error: Error | null, settings?: VentSettings): void {
    const p = this.pending;
    if (!p) return;
    this.clear();
    this.promptSubject.next({ ...p.prompt, status });
    this.promptSubject.next(null);
    if (error) p.reject(error);
    else p.resolve(settings ?? p.prompt.settings);
  }

  private clear(): void {
    for (const t of this.pending?.timers ?? []) this.clock.clearTimeout(t);
    this.pending = null;
  }
}
