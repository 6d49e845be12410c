/**
 * `Ventilator` adapter for the MakAir: control frames out, telemetry in (protocol v2).
 * See docs/protocols/makair.md for the wire format and the mapping of settings.
 */
import { Subject, type Subscription } from 'rxjs';
import { every, type Clock, type TimerHandle } from '../../common/clock.js';
import type { DeviceFaultCode, MonitorSample, VentSettings } from '../../machines/types.js';
import { DisconnectedError, OutOfRangeError, TimeoutError } from '../errors.js';
import { mergeSettings, type DeviceFault, type DeviceInfo, type DeviceSettingsBaseline, type Ventilator, type VentilatorCapabilities } from '../port.js';
import { assertWithinCapabilities } from '../ranges.js';
import type { ByteTransport } from '../serial/transport.js';
import { HighPriorityAlarms } from './alarms.js';
import { ApplyTransaction, type ApplyTiming } from './apply.js';
import { adoptedBaseline, captureBaseline, isBaselineTarget, restoreGuarded, type DeviceBaseline } from './baseline.js';
import { assertMakAirLimits, makAirCapabilities } from './capabilities.js';
import { decodeTelemetryMessage } from './codec.js';
import { encodeControlFrame } from './control.js';
import { ControlSetting } from './settings.js';
import type { TelemetryFrame } from './framing.js';
import { LinkWatchdog } from './link.js';
import { planCommands, sampleFromState, settingsFromReport, withAcksSince } from './mapping.js';
import type { SettingsMessage, SettingsReport, TelemetryMessage } from './messages.js';
import { resolveOptions, type MakAirLinkStats, type MakAirVentilatorOptions } from './options.js';
import { TelemetryParser } from './parser.js';

/**
 * @example
 * const transport = await SerialTransport.open({ path: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 });
 * const vent = new MakAirVentilator({ transport, clock: new WallClock(), fio2: 0.4 });
 * await vent.connect();
 * const baseline = await vent.readSettings();
 * await vent.apply({ peepCmH2O: 14 }); // resolves once acked and shown in telemetry
 */
export class MakAirVentilator implements Ventilator {
  private readonly samples = new Subject<MonitorSample>();
  private readonly faults = new Subject<DeviceFault>();
  readonly samples$ = this.samples.asObservable();
  readonly faults$ = this.faults.asObservable();

  private readonly transport: ByteTransport;
  private readonly clock: Clock;
  private readonly timing: ApplyTiming;
  private readonly connectTimeoutMs: number;
  private readonly fio2: number;
  private readonly source: string;
  private readonly capabilities: VentilatorCapabilities;
  private readonly parser = new TelemetryParser();
  private readonly link: LinkWatchdog;
  private readonly alarms = new HighPriorityAlarms();
  private readonly acked = new Map<number, number>();
  /**
   * Control acks received after the last settings report: the device took these values but no
   * report has shown them yet (a state snapshot comes once a breath).
   */
  private readonly ackedSinceReport = new Map<number, number>();
  /** From a link loss or a reboot until the next settings report: the last report may no longer be the device's state. */
  private reportStale = false;
  /** Who waits for the next settings report (readSettings on a report that is not fresh). */
  private readonly reportWaiters = new Set<(error: Error | null) => void>();
  private decodeErrors = 0;
  private subscriptions: Subscription[] = [];
  private report: SettingsReport | null = null;
  private identity: { softwareVersion: string; deviceId: string } | null = null;
  private waitingForReport: (() => void) | null = null;
  private abortConnect: ((error: DisconnectedError) => void) | null = null;
  private connecting: Promise<void> | null = null;
  private tx: ApplyTransaction | null = null;
  /** Every firmware setting before this adapter changed any (see baseline.ts). */
  private deviceBaseline: DeviceBaseline | null = null;
  private changedAnything = false;
  private alarmTimer: TimerHandle | null = null;
  private readonly heartbeatIntervalMs: number;
  private stopHeartbeat: (() => void) | null = null;
  private heartbeats = 0;
  private alarmTimerAt: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private connected = false;
  private closed = false;
  private lost: Error | null = null;

  constructor(options: MakAirVentilatorOptions) {
    const o = resolveOptions(options);
    this.transport = o.transport;
    this.clock = o.clock;
    this.timing = o.timing;
    this.connectTimeoutMs = o.connectTimeoutMs;
    this.fio2 = o.fio2;
    this.source = o.source;
    this.heartbeatIntervalMs = o.heartbeatIntervalMs;
    this.capabilities = makAirCapabilities(this.fio2);
    this.link = new LinkWatchdog(this.clock, o.linkTimeoutMs, (silentMs) => this.onSilence(silentMs));
  }

  /** Heartbeat frames written so far (see `heartbeatIntervalMs`). */
  get heartbeatsSent(): number {
    return this.heartbeats;
  }

  /** Parser and decoder counters (frames, CRC errors, malformed, garbage bytes, decode errors). */
  get linkStats(): MakAirLinkStats {
    return { ...this.parser.stats, decodeErrors: this.decodeErrors };
  }

  /** Listens to the port and resolves at the first settings report; rejects `DisconnectedError` at the deadline. */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new DisconnectedError('this MakAirVentilator was closed: create a new one'));
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.startConnect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private startConnect(): Promise<void> {
    if (this.subscriptions.length === 0) {
      this.subscriptions.push(
        this.transport.data$.subscribe((chunk) => this.onChunk(chunk)),
        this.transport.lost$.subscribe((err) => this.onPortLost(err)),
      );
    }
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<void>((resolve, reject) => {
      const finish = (error: DisconnectedError | null): void => {
        this.clock.clearTimeout(timer);
        this.waitingForReport = null;
        this.abortConnect = null;
        if (error) {
          this.unsubscribe();
          reject(error);
          return;
        }
        this.connected = true;
        this.link.start();
        this.startHeartbeat();
        resolve();
      };
      const timer = this.clock.setTimeout(() => {
        const s = this.linkStats;
        finish(new DisconnectedError(`no MakAir settings report within ${this.connectTimeoutMs} ms (frames ${s.frames}, CRC errors ${s.crcErrors}, malformed ${s.malformed}, garbage bytes ${s.garbageBytes})`));
      }, this.connectTimeoutMs);
      this.abortConnect = finish;
      if (this.report) finish(null);
      else this.waitingForReport = () => finish(null);
    });
  }

  async identify(): Promise<DeviceInfo> {
    this.assertLinkUp();
    const id = this.identity!;
    return { vendor: 'Makers For Life', model: 'MakAir', id: id.deviceId, firmware: id.softwareVersion, protocol: 'makair-telemetry-v2', capabilities: this.capabilities };
  }

  async readSettings(): Promise<VentSettings> {
    this.assertLinkUp();
    // A report older than the link loss, or than the device's last ack, is not a readback.
    if (!this.reportIsFresh()) await this.nextReport();
    this.assertLinkUp();
    const settings = settingsFromReport(this.report!, this.fio2, this.acked);
    // Until the adapter changes something, what is read is the baseline a restore returns to.
    if (!this.changedAnything) this.deviceBaseline = captureBaseline(this.report!, this.acked);
    return settings;
  }

  /**
   * The wire value of every guarded firmware setting captured before this adapter changed
   * anything (alarm thresholds, timings, patient data): what a return to the baseline restores.
   * Null until `readSettings()` or the first `apply()`.
   */
  get capturedBaseline(): ReadonlyMap<number, number> | null {
    return this.deviceBaseline ? new Map(this.deviceBaseline.guarded) : null;
  }

  /** The guarded settings of the captured baseline, for the journal (`Ventilator.deviceSettingsBaseline`). */
  deviceSettingsBaseline(): DeviceSettingsBaseline | null {
    const b = this.deviceBaseline;
    return b ? { protocol: 'makair', settings: Object.fromEntries([...b.guarded].map(([id, v]) => [String(id), v])) } : null;
  }

  /**
   * Crash recovery: the guarded settings another adapter captured (journaled) become this
   * adapter's baseline for `baseline`, so that `apply(baseline)` restores them too. Validates
   * everything before it changes anything (`Ventilator.adoptDeviceSettingsBaseline`).
   */
  adoptDeviceSettingsBaseline(baseline: VentSettings, captured: DeviceSettingsBaseline): void {
    this.assertLinkUp();
    if (captured.protocol !== 'makair') throw new RangeError(`a captured baseline of protocol ${JSON.stringify(captured.protocol)} cannot be restored on a makair`);
    const ids = new Map<number, number>();
    for (const [key, value] of Object.entries(captured.settings)) {
      const id = Number(key);
      if (!/^\d{1,3}$/.test(key) || !Number.isInteger(value)) throw new RangeError(`captured MakAir setting ${key} = ${String(value)}: not a setting id and whole wire value`);
      ids.set(id, value);
    }
    const report = this.report!;
    const target = mergeSettings(settingsFromReport(report, this.fio2, this.acked), baseline);
    assertWithinCapabilities(target, this.capabilities);
    assertMakAirLimits(target);
    const driven = new Map(planCommands(report, target, this.acked).all.map((c) => [c.setting as number, c.value]));
    this.deviceBaseline = adoptedBaseline(report, driven, ids);
    this.changedAnything = true;
  }

  /** The limits that depend on the mode (PCV plateau 10-40, VC alarm threshold 5-70 and a set tidal volume; no CPAP). */
  checkSettings(settings: VentSettings): readonly string[] {
    if (settings.mode === 'CPAP') return ['the MakAir has no CPAP mode'];
    try {
      assertMakAirLimits(settings);
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }

  /** Applies a change (one at a time; concurrent calls queue). Nothing is sent if it is out of range. */
  apply(change: Partial<VentSettings>): Promise<VentSettings> {
    const run = this.queue.then(() => this.applyNow(change));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.link.stop();
    this.stopHeartbeat?.();
    this.stopHeartbeat = null;
    if (this.alarmTimer) this.clock.clearTimeout(this.alarmTimer);
    this.alarmTimer = null;
    const error = new DisconnectedError('MakAirVentilator closed');
    this.abortConnect?.(error);
    this.tx?.fail(error);
    this.wakeReportWaiters(error);
    this.unsubscribe();
    this.samples.complete();
    this.faults.complete();
    await this.transport.close();
  }

  private async applyNow(change: Partial<VentSettings>): Promise<VentSettings> {
    this.assertLinkUp();
    // Plan from what the device holds as best known: a report received before a link loss, or
    // before the device acknowledged something, is not its state. Then nothing is taken as
    // already set: every frame the plan needs is sent and only a later report confirms.
    const fresh = this.reportIsFresh();
    const report = fresh ? this.report! : withAcksSince(this.report!, this.ackedSinceReport);
    const current = settingsFromReport(report, this.fio2, this.acked);
    if (change.mode !== undefined && change.mode !== current.mode && change.peakCmH2O === undefined) {
      // peakCmH2O is the inspiratory pressure in PCV but the alarm limit in VC: never carry one over as the other.
      throw new OutOfRangeError('peakCmH2O', undefined, this.capabilities.ranges.peakCmH2O, `a change from ${current.mode} to ${change.mode} must state peakCmH2O`);
    }
    const target = mergeSettings(current, change);
    assertWithinCapabilities(target, this.capabilities);
    assertMakAirLimits(target);
    const plan = planCommands(report, target, this.acked);
    if (!this.changedAnything) this.deviceBaseline = captureBaseline(this.report!, this.acked);
    const baseline = this.deviceBaseline;
    // A return to the baseline brings back every guarded setting that moved (issue 21: the
    // firmware moves the peak alarm threshold with the plateau) and waits for all of them.
    const restore = baseline && isBaselineTarget(baseline, target) ? restoreGuarded(baseline, report, this.acked, plan.send) : null;
    if (fresh && plan.send.length === 0 && (!restore || restore.stages.length === 0)) return settingsFromReport(report, this.fio2, this.acked);
    const write = (cmd: { setting: number; value: number }): Promise<void> => this.transport.write(encodeControlFrame(cmd));
    this.changedAnything = true;
    const sent = [...plan.send, ...(restore?.stages.flat() ?? [])];
    if (sent.some((c) => c.setting === ControlSetting.PEEP || c.setting === ControlSetting.PlateauPressure)) this.alarms.stepChanged(this.clock.now());
    const tx = restore
      ? new ApplyTransaction([plan.send, ...restore.stages], [...plan.all, ...restore.all], write, this.clock, this.timing, { reassert: true })
      : new ApplyTransaction(plan.send, plan.all, write, this.clock, this.timing, { reassert: !fresh });
    this.tx = tx;
    try {
      tx.start();
      const confirmed = await tx.done;
      return settingsFromReport(confirmed, this.fio2, this.acked);
    } finally {
      this.tx = null;
    }
  }

  /** The last settings report is the device's state: received after the link last came back and after every ack. */
  private reportIsFresh(): boolean {
    return !this.reportStale && this.ackedSinceReport.size === 0;
  }

  /** Resolves at the next settings report; rejects TimeoutError after the apply deadline, or the link's error when it is lost. */
  private nextReport(): Promise<void> {
    const ms = this.timing.deadlineMs;
    const since = this.reportStale ? 'since the link came back' : 'since its last control ack';
    return new Promise<void>((resolve, reject) => {
      const wake = (error: Error | null): void => {
        this.clock.clearTimeout(timer);
        this.reportWaiters.delete(wake);
        if (error) reject(error);
        else resolve();
      };
      const timer = this.clock.setTimeout(() => wake(new TimeoutError(`no MakAir settings report ${since} within ${ms} ms: the settings cannot be read back`)), ms);
      this.reportWaiters.add(wake);
    });
  }

  private wakeReportWaiters(error: Error): void {
    for (const wake of [...this.reportWaiters]) wake(error);
  }

  private assertLinkUp(): void {
    if (this.closed) throw new DisconnectedError('this MakAirVentilator was closed');
    if (!this.connected) throw new DisconnectedError('not connected: call connect() first');
    if (this.lost) throw new DisconnectedError(`MakAir link lost: ${this.lost.message}`);
    if (!this.link.up) throw new DisconnectedError('MakAir telemetry stopped: link lost');
  }

  private onChunk(chunk: Uint8Array): void {
    for (const frame of this.parser.push(chunk)) this.onFrame(frame);
  }

  private onFrame(frame: TelemetryFrame): void {
    if (this.lost && this.connected && !this.closed) {
      // Frames after a lost port: the transport reopened it (ReopeningTransport). The link is
      // back; the watchdog starts again (a stopped one would ignore every frame from now on).
      this.lost = null;
      this.link.start();
    }
    this.link.seen();
    // Data snapshots (100 per second) carry only instantaneous pressure and flow, none of the
    // values a MonitorSample holds: they feed the link watchdog and are not decoded.
    if (frame.type === 'data') return;
    let msg: TelemetryMessage;
    try {
      msg = decodeTelemetryMessage(frame.body);
    } catch {
      this.decodeErrors += 1;
      return;
    }
    this.identity = { softwareVersion: msg.softwareVersion, deviceId: msg.deviceId };
    switch (msg.type) {
      case 'state':
      case 'stopped':
        this.onReport(msg);
        break;
      case 'ack':
        this.acked.set(msg.setting, msg.value);
        this.ackedSinceReport.set(msg.setting, msg.value);
        this.tx?.onAck(msg.setting, msg.value);
        break;
      case 'alarm': {
        if (!this.connected) break;
        const message = this.alarms.onTrap(msg, this.clock.now());
        if (message) this.fault('device-alarm', message);
        this.armAlarmTimer();
        break;
      }
      case 'boot':
        if (this.connected) {
          this.acked.clear();
          this.ackedSinceReport.clear();
          this.reportStale = true;
          this.alarms.clear();
          this.fault('device-reset', `MakAir rebooted (firmware ${msg.softwareVersion}): its settings are back to the firmware defaults`);
        }
        break;
      case 'fatal':
        if (this.connected) this.fault(msg.error.kind === 'watchdog-restart' ? 'device-reset' : 'device-alarm', `MakAir fatal error: ${msg.error.kind}`);
        break;
      case 'data':
      case 'eol-test':
        break;
    }
  }

  private onReport(report: SettingsMessage): void {
    this.report = report;
    this.reportStale = false;
    this.ackedSinceReport.clear();
    for (const wake of [...this.reportWaiters]) wake(null);
    if (this.connected) {
      for (const message of this.alarms.onCodes(report.currentAlarmCodes, this.clock.now(), report.type === 'state')) this.fault('device-alarm', message);
      this.armAlarmTimer();
      if (report.type === 'state') this.samples.next(sampleFromState(report, this.clock.now(), this.source));
      this.tx?.onReport(report);
    } else {
      // The report that completes connect() is not yet watched for alarms: nobody could have
      // subscribed to faults$ in time. The next report (one breath or 100 ms later) is.
      this.waitingForReport?.();
    }
  }

  /** The port itself is gone: nothing comes back unless the transport reopens it (onFrame). */
  private onPortLost(err: Error): void {
    if (this.closed || this.lost) return;
    const error = new DisconnectedError(`MakAir port lost: ${err.message}`, { cause: err });
    const wasUp = this.connected && this.link.up;
    this.lost = error;
    this.reportStale = true;
    this.wakeReportWaiters(error);
    this.link.stop();
    this.abortConnect?.(error);
    this.tx?.fail(error);
    if (wasUp) this.fault('link-lost', error.message);
  }

  /** Telemetry went silent (the watchdog runs only while connected). */
  private onSilence(silentMs: number): void {
    const error = new DisconnectedError(`no MakAir telemetry for ${silentMs} ms`);
    this.reportStale = true;
    this.wakeReportWaiters(error);
    this.tx?.fail(error);
    this.fault('link-lost', error.message);
  }

  /**
   * The Raspberry Pi watchdog of a production MakAir cuts the host's power after 60 s without
   * a Heartbeat frame (makair-firmware `rpi_watchdog.cpp`): one now, then every
   * `heartbeatIntervalMs`, for as long as the adapter is open. The firmware does not ack it. A
   * write that fails (port lost) is not an error here: the link watchdog reports the loss, and
   * the next beat goes out once the port is back.
   */
  private startHeartbeat(): void {
    if (this.stopHeartbeat || this.closed) return;
    const beat = (): void => {
      if (this.closed) return;
      this.heartbeats += 1;
      try {
        this.transport.write(encodeControlFrame({ setting: ControlSetting.Heartbeat, value: 0 })).catch(() => undefined);
      } catch {
        // A transport that throws at once (closed port): same as a failed write.
      }
    };
    beat();
    this.stopHeartbeat = every(this.clock, this.heartbeatIntervalMs, beat);
  }

  /** An expected transient alarm (plateau / PEEP not reached after a step) aborts if still active at its deadline, even if no report comes. */
  private armAlarmTimer(): void {
    const at = this.alarms.nextDeadline();
    if (this.alarmTimer && this.alarmTimerAt === at) return;
    if (this.alarmTimer) this.clock.clearTimeout(this.alarmTimer);
    this.alarmTimer = null;
    this.alarmTimerAt = at;
    if (at === null || this.closed) return;
    this.alarmTimer = this.clock.setTimeout(() => {
      this.alarmTimer = null;
      this.alarmTimerAt = null;
      for (const message of this.alarms.expire(this.clock.now())) this.fault('device-alarm', message);
      this.armAlarmTimer();
    }, Math.max(0, at - this.clock.now()));
  }

  private fault(code: DeviceFaultCode, message: string): void {
    if (this.closed) return;
    this.faults.next({ t: this.clock.now(), code, message });
    // A MakAir talks all the time and nothing is written while the link is down, so a port that
    // died without telling (hung USB adapter, a pseudo-terminal whose other end went) is only
    // noticed by the silence: a transport that can reopen the port does (settings untouched).
    if (code === 'link-lost') this.transport.recycle?.(`no MakAir telemetry (${message}); reopening the port`);
  }

  private unsubscribe(): void {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
  }
}

