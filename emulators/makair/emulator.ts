/**
 * `MakAirEmulator`: the ventilator side of the MakAir control/telemetry protocol (telemetry
 * v2), driven by a simulated patient. It sends a boot message, one machine state snapshot at
 * the end of every breath, data snapshots while ventilating (every 10 ms on a real MakAir;
 * decimated here, 100 ms by default), stopped messages every 100 ms when respiration is off,
 * and alarm traps; it decodes control frames, applies them as the firmware does (clamped,
 * effective from the next breath, mmH2O -> cmH2O for the patient) and acknowledges each with
 * the value it kept, after a short reply delay. A leak (`faults.leak(cmH2O)`, control `leak
 * <cmH2O>`) leaves the settings, acks and reports as they are and takes that much off the
 * measured pressures it sends (telemetry.ts). Everything runs on the injected clock.
 */
import { Subject, type Subscription } from 'rxjs';
import { every, type Clock } from '../../common/clock.js';
import type { SimWorld } from '../../hal/simulated/world.js';
import type { ByteTransport } from '../../hal/serial/transport.js';
import { ControlFrameParser, ControlSetting, DISABLE_RPI_WATCHDOG, controlSettingInfo, encodeTelemetryFrame, type TelemetryHeader, type TelemetryMessage } from '../../hal/makair/index.js';
import type { VentSettings } from '../../machines/types.js';
import { FaultSwitches } from '../faults.js';
import type { DeviceEmulator, EmulatorEvent, EmulatorEventKind, EmulatorStatus } from '../types.js';
import { FrameWriter } from '../wire.js';
import { FLUSH_LIMIT_MS } from '../writeQueue.js';
import { applyControl, copyFirmware, currentValue, firmwareFrom, firmwareSideEffects, knobCommands, patientSettings, reportOf, ventSettingsOf, wireSettingsOf, type FirmwareSettings } from './firmware.js';
import { BreathClock, alarmTrap, dataSnapshot, isHighPriority, stateSnapshot } from './telemetry.js';

export interface MakAirEmulatorOptions {
  transport: ByteTransport;
  clock: Clock;
  /** The simulated patient (and monitor); its current settings become the firmware's boot settings. */
  world: SimWorld;
  /** FiO2 of the oxygen supply: the MakAir neither sets nor measures it. Default: the patient's current FiO2. */
  fio2?: number;
  softwareVersion?: string;
  /** Three decimal u32 words joined by '-'. */
  deviceId?: string;
  /** Period of data snapshots (the firmware sends one every 10 ms; default 100 = decimated 10x). */
  dataPeriodMs?: number;
  /** Period of stopped messages while respiration is off (default 100). */
  stoppedPeriodMs?: number;
  /** Time from a control frame to its ack (the firmware's serial loop; default 5; 0 acks at once, without a timer). */
  replyDelayMs?: number;
  /**
   * Enforce the Raspberry Pi watchdog of a production MakAir (default true): 60 one-second steps
   * without a Heartbeat control frame and the firmware cuts the host's power for one step, then
   * restores it and counts again. Heartbeat value 43690 disables it (makair-firmware `rpi_watchdog.cpp`).
   */
  rpiWatchdog?: boolean;
  /** How long the host's power (and so the serial link) is cut by the watchdog (default 1000: one firmware step). */
  rpiPowerOffMs?: number;
}

/** Seconds without a heartbeat before the firmware power-cycles the host (`COUNTDOWN_IN_S`). */
export const RPI_WATCHDOG_COUNTDOWN_S = 60;

/**
 * @example
 * const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: baseline });
 * const emulator = new MakAirEmulator({ transport: deviceSide, clock, world });
 * emulator.start();
 * const vent = new MakAirVentilator({ transport: hostSide, clock, fio2: baseline.fio2 });
 */
export class MakAirEmulator implements DeviceEmulator {
  readonly protocol = 'makair' as const;
  readonly world: SimWorld;
  readonly faults: FaultSwitches;
  private readonly eventsSubject = new Subject<EmulatorEvent>();
  readonly events$ = this.eventsSubject.asObservable();
  private readonly transport: ByteTransport;
  private readonly clock: Clock;
  private readonly wire: FrameWriter;
  private readonly header: Omit<TelemetryHeader, 'systickUs'>;
  private readonly dataPeriodMs: number;
  private readonly stoppedPeriodMs: number;
  private readonly replyDelayMs: number;
  private readonly defaults: FirmwareSettings;
  private fw: FirmwareSettings;
  private fio2: number;
  private parser = new ControlFrameParser();
  private readonly breath: BreathClock;
  private readonly alarms = new Set<number>();
  private readonly held: Uint8Array[] = [];
  private subs: Subscription[] = [];
  private stops: Array<() => void> = [];
  private bootedAt = 0;
  private changedSinceBreath = false;
  private controlFrames = 0;
  private running = false;
  private readonly rpiPowerOffMs: number;
  /** The firmware's RpiWatchdog: counting down, about to cut the power, about to restore it, or disabled. */
  private rpi: { step: 'count' | 'cut' | 'restore' | 'disabled'; countdown: number };
  private rpiPowerCycles = 0;
  private heartbeats = 0;

  constructor(options: MakAirEmulatorOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.world = options.world;
    this.faults = new FaultSwitches(this.clock);
    const sim = this.world.patient.settings();
    this.fio2 = options.fio2 ?? sim.fio2;
    this.defaults = firmwareFrom(sim);
    this.fw = copyFirmware(this.defaults);
    this.header = { softwareVersion: options.softwareVersion ?? '4.0.0-rmseq-emulator', deviceId: options.deviceId ?? '4242-1-2' };
    this.dataPeriodMs = positive('dataPeriodMs', options.dataPeriodMs ?? 100);
    this.stoppedPeriodMs = positive('stoppedPeriodMs', options.stoppedPeriodMs ?? 100);
    this.replyDelayMs = Math.max(0, options.replyDelayMs ?? 5);
    this.rpiPowerOffMs = positive('rpiPowerOffMs', options.rpiPowerOffMs ?? 1000);
    this.rpi = { step: options.rpiWatchdog === false ? 'disabled' : 'count', countdown: RPI_WATCHDOG_COUNTDOWN_S };
    this.breath = new BreathClock(this.clock);
    this.wire = new FrameWriter({
      transport: this.transport,
      faults: this.faults,
      corruptFrame: (f) => {
        const out = f.slice();
        out[out.length - 3] = out[out.length - 3]! ^ 0x5a; // a CRC byte: the frame fails its CRC
        return out;
      },
    });
    this.subs.push(this.faults.changes$.subscribe((c) => {
      this.log('fault', c.detail);
      if (c.kind === 'stall-end') this.drainHeld();
    }));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.subs.push(this.transport.data$.subscribe((chunk) => this.onBytes(chunk)));
    this.world.start();
    this.boot();
  }

  turnKnob(change: Partial<VentSettings>): VentSettings {
    const commands = knobCommands(this.fw, change);
    if (change.fio2 !== undefined) {
      if (!(change.fio2 >= 0.21 && change.fio2 <= 1)) throw new RangeError(`FiO2 ${change.fio2} outside 0.21-1`);
      this.fio2 = change.fio2;
    }
    for (const c of commands) {
      const kept = applyControl(this.fw, c.setting, c.value);
      if (kept !== null) this.sendAck(c.setting, kept);
      for (const side of firmwareSideEffects(this.fw, c.setting)) this.sendAck(side.setting, side.value);
    }
    this.changedSinceBreath = true;
    const now = ventSettingsOf(this.fw, this.fio2);
    this.log('knob', `touchscreen: ${JSON.stringify(change)} -> ${describe(now)} (from the next breath)`);
    return now;
  }

  reboot(): void {
    this.log('reboot', 'rebooting: settings back to the firmware defaults');
    this.stopLoops();
    this.fw = copyFirmware(this.defaults);
    this.alarms.clear();
    this.parser = new ControlFrameParser();
    this.held.length = 0;
    this.boot();
  }

  raiseAlarm(code: number, _text?: string): void {
    this.setAlarm(code, true);
  }

  clearAlarm(code: number): void {
    this.setAlarm(code, false);
  }

  /** The wire value of every setting the emulated firmware holds, by setting id. */
  wireSettings(): Record<number, number> {
    return wireSettingsOf(this.fw);
  }

  status(): EmulatorStatus {
    const p = this.world.patient.settings();
    return {
      protocol: 'makair',
      device: ventSettingsOf(this.fw, this.fio2),
      patient: { ...p },
      faults: this.faults.status(),
      wire: { ...this.wire.stats },
      alarms: [...this.alarms],
      counters: {
        cycle: this.breath.cycle,
        controlFrames: this.controlFrames,
        crcErrors: this.parser.stats.crcErrors,
        respirationEnabled: this.fw.respirationEnabled,
        rpiWatchdog: this.rpi.step === 'disabled' ? 'disabled' : this.rpi.countdown,
        rpiPowerCycles: this.rpiPowerCycles,
        heartbeats: this.heartbeats,
      },
    };
  }

  async close(): Promise<void> {
    if (!this.running && this.subs.length === 0) return;
    this.running = false;
    this.stopLoops();
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.faults.dispose();
    this.world.halt();
    await this.wire.flushed({ clock: this.clock, limitMs: FLUSH_LIMIT_MS });
    this.eventsSubject.complete();
  }

  private boot(): void {
    this.bootedAt = this.clock.now();
    this.breath.reset();
    this.applyToPatient();
    this.send({ type: 'boot', ...this.head(), mode: 'production', value128: 128 });
    this.log('boot', `boot message sent (firmware ${this.header.softwareVersion}, device ${this.header.deviceId}); ${describe(ventSettingsOf(this.fw, this.fio2))}`);
    this.stops.push(every(this.clock, this.dataPeriodMs, () => this.onDataTick()));
    this.stops.push(every(this.clock, this.stoppedPeriodMs, () => this.onStoppedTick()));
    if (this.rpi.step !== 'disabled') this.rpi = { step: 'count', countdown: RPI_WATCHDOG_COUNTDOWN_S };
    this.stops.push(every(this.clock, 1000, () => this.onWatchdogTick()));
    this.breath.startBreath(this.fw, () => this.endBreath());
  }

  private stopLoops(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
    this.breath.stop();
  }

  private endBreath(): void {
    this.world.catchUp();
    const reading = this.world.monitor.ventilator(this.clock.now());
    if (this.fw.respirationEnabled) {
      this.send(stateSnapshot(this.head(), reportOf(this.fw, [...this.alarms]), this.breath, reading, this.faults.leakCmH2O));
    }
    if (this.changedSinceBreath) this.applyToPatient();
    this.breath.startBreath(this.fw, () => this.endBreath());
  }

  /** The firmware's `RpiWatchdog::update`, once a second. */
  private onWatchdogTick(): void {
    const w = this.rpi;
    // A stalled firmware is frozen: its watchdog does not count either.
    if (this.faults.stalled) return;
    switch (w.step) {
      case 'count':
        w.countdown -= 1;
        if (w.countdown <= 0) w.step = 'cut';
        return;
      case 'cut':
        this.rpiPowerCycles += 1;
        this.log('link', `RPi watchdog: no heartbeat for ${RPI_WATCHDOG_COUNTDOWN_S} s: host power cut for ${this.rpiPowerOffMs} ms (power cycle ${this.rpiPowerCycles})`);
        {
          // The host loses power: its serial link is dead for the power-off time (a cable already out stays out).
          const until = this.faults.status().droppedUntil;
          if (until === null || until < this.clock.now() + this.rpiPowerOffMs) this.faults.drop(this.rpiPowerOffMs);
        }
        w.step = 'restore';
        return;
      case 'restore':
        w.countdown = RPI_WATCHDOG_COUNTDOWN_S;
        w.step = 'count';
        return;
      case 'disabled':
        return;
    }
  }

  /** A Heartbeat control frame: restart the countdown, or disable the watchdog (43690). */
  private onHeartbeat(value: number): void {
    if (this.rpi.step === 'disabled') return;
    if (value === DISABLE_RPI_WATCHDOG) {
      this.rpi = { step: 'disabled', countdown: RPI_WATCHDOG_COUNTDOWN_S };
      this.log('link', 'RPi watchdog disabled by heartbeat 43690');
      return;
    }
    if (this.rpi.step === 'count') this.rpi.countdown = RPI_WATCHDOG_COUNTDOWN_S;
  }

  private onDataTick(): void {
    if (!this.fw.respirationEnabled) return;
    this.send(dataSnapshot(this.head(), this.breath, this.world.patient.breath(), this.fw, this.faults.leakCmH2O), { droppable: true });
  }

  private onStoppedTick(): void {
    if (this.fw.respirationEnabled) return;
    if (this.changedSinceBreath) this.applyToPatient();
    this.send({ type: 'stopped', ...this.head(), ...reportOf(this.fw, [...this.alarms]) });
  }

  /** Settings take effect at the start of the next breath. */
  private applyToPatient(): void {
    this.changedSinceBreath = false;
    this.world.catchUp();
    this.world.patient.setSettings(patientSettings(this.fw, this.fio2));
  }

  private onBytes(chunk: Uint8Array): void {
    if (this.faults.dropped) return; // the cable is out: the bytes never arrive
    if (this.faults.stalled) {
      this.held.push(chunk.slice());
      return;
    }
    for (const msg of this.parser.push(chunk)) this.onControl(msg.setting, msg.value);
  }

  private drainHeld(): void {
    const chunks = this.held.splice(0);
    for (const c of chunks) this.onBytes(c);
  }

  private onControl(setting: number, value: number): void {
    if (setting === ControlSetting.Heartbeat) {
      this.heartbeats++;
      this.onHeartbeat(value);
      return;
    }
    this.controlFrames++;
    const name = controlSettingInfo(setting)?.name ?? String(setting);
    if (this.faults.takeNoAnswer()) {
      this.log('ignored', `control ${name} = ${value}: dropped (fault: no ack)`);
      return;
    }
    let kept: number | null;
    let side: Array<{ setting: number; value: number }> = [];
    if (this.faults.takeRefusal()) {
      kept = currentValue(this.fw, setting);
      this.log('refused', `control ${name} = ${value}: refused, keeps ${kept} (fault)`);
    } else {
      kept = applyControl(this.fw, setting, value);
      this.changedSinceBreath = true;
      if (kept !== null) this.log('setting', `control ${name} = ${value}${kept !== value ? ` -> clamped to ${kept}` : ''} (from the next breath)`);
      side = firmwareSideEffects(this.fw, setting);
      for (const c of side) this.log('setting', `firmware moved ${controlSettingInfo(c.setting)?.name ?? c.setting} to ${c.value} after ${name}`);
    }
    if (kept === null) return;
    const acks = [{ setting, value: kept }, ...side];
    const send = (): void => acks.forEach((a) => this.sendAck(a.setting, a.value));
    if (this.replyDelayMs === 0) send();
    else this.clock.setTimeout(send, this.replyDelayMs);
  }

  private sendAck(setting: number, value: number): void {
    this.send({ type: 'ack', ...this.head(), setting: setting as never, value });
  }

  private setAlarm(code: number, on: boolean): void {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`alarm code must be 0-255 (got ${code})`);
    if (on === this.alarms.has(code)) return;
    if (on) this.alarms.add(code);
    else this.alarms.delete(code);
    this.log('alarm', `alarm ${code} ${on ? 'triggered' : 'cleared'}${isHighPriority(code) ? ' (high priority)' : ''}`);
    this.send(alarmTrap(this.head(), this.breath, code, on, this.world.patient.breath(), this.faults.leakCmH2O));
  }

  private head(): TelemetryHeader {
    return { ...this.header, systickUs: Math.max(0, Math.round((this.clock.now() - this.bootedAt) * 1000)) };
  }

  private send(msg: TelemetryMessage, options: { droppable?: boolean } = {}): void {
    this.wire.send(encodeTelemetryFrame(msg), options);
  }

  private log(kind: EmulatorEventKind, message: string): void {
    this.eventsSubject.next({ t: this.clock.now(), kind, message });
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new TypeError(`MakAirEmulator option ${name} must be a positive number of milliseconds (got ${v})`);
  return v;
}

function describe(s: VentSettings): string {
  const peak = s.mode === 'VC' ? `peak alarm ${s.peakCmH2O}, Vt ${s.tidalVolumeMl} mL` : `plateau ${s.peakCmH2O}`;
  return `${s.mode} PEEP ${s.peepCmH2O} cmH2O, ${peak}, ${s.rateBpm}/min, FiO2 ${s.fio2}`;
}
