/**
 * `MedibusEmulator`: the device side of Draeger MEDIBUS (RS-232, Rev 6.00) for the Evita,
 * Primus and Evita V300 families, driven by a simulated patient through the family's code
 * table. It repeats ICC until the host answers (and answers the host's ICC), answers NOP,
 * device identification, measured data (24H, 2BH), current settings (29H), text messages
 * (2AH, the mode), alarms (27H/2EH/23H) and, with an empty echo, any other command; it NAKs a
 * command whose checksum is wrong; more than 3 s without a byte from the host ends the link
 * (the device goes back to repeating ICC). Settings cannot be written over MEDIBUS:
 * `turnKnob()` is the therapist at the device. A leak (`faults.leak(cmH2O)`, control `leak
 * <cmH2O>`) takes that much (in mbar) off the measured airway pressures it answers with;
 * the settings (29H) stay as set.
 */
import { Subject, type Subscription } from 'rxjs';
import { every, type Clock, type TimerHandle } from '../../common/clock.js';
import type { SimWorld } from '../../hal/simulated/world.js';
import type { ByteTransport } from '../../hal/serial/transport.js';
import {
  MedibusCommand,
  MedibusStreamParser,
  codeTableFor,
  commandName,
  encodeCommand,
  encodeResponse,
  type MedibusAlarmRecord,
  type MedibusCodeTable,
  type MedibusDeviceId,
  type MedibusFamily,
  type MedibusFrame,
} from '../../hal/medibus/index.js';
import type { VentSettings } from '../../machines/types.js';
import type { VentilatorReading } from '../../sim/index.js';
import { FaultSwitches } from '../faults.js';
import type { DeviceEmulator, EmulatorEvent, EmulatorEventKind, EmulatorStatus } from '../types.js';
import { FrameWriter } from '../wire.js';
import { FLUSH_LIMIT_MS } from '../writeQueue.js';
import { answerFor, corruptChecksum, describeSettings } from './answers.js';
import { draegerFrom, patientSettings, turn, ventSettingsOf, type DraegerSettings } from './draeger.js';

export interface MedibusEmulatorOptions {
  transport: ByteTransport;
  clock: Clock;
  world: SimWorld;
  family: MedibusFamily;
  /** A vendor's code table instead of the built-in one of `family`. */
  codeTable?: MedibusCodeTable;
  /** Device identification (52H); defaults per family (e.g. Evita4, Primus, Evita V300). */
  identity?: Partial<MedibusDeviceId>;
  /** Time from a command to its response (default 20 ms; 0 answers at once, without a timer). */
  replyDelayMs?: number;
  /** ICC is repeated at this interval until answered (default 1000). */
  iccRetryMs?: number;
  /** No byte from the host for this long ends the link (MEDIBUS: 3000). */
  hostSilenceTimeoutMs?: number;
}

/**
 * What each emulated family answers to 52H: its own identification number, name and
 * revision. The numbers are the emulator's (one per family, so a host that tells devices
 * apart by the number sees three different devices); the real ones are in each device's
 * MEDIBUS document (section "Device Identification") and were not available here.
 */
export const MEDIBUS_EMULATOR_IDENTITY: Readonly<Record<MedibusFamily, Readonly<MedibusDeviceId>>> = Object.freeze({
  evita: Object.freeze({ idNumber: '0161', name: 'Evita4', revision: '04.03:06.00' }),
  primus: Object.freeze({ idNumber: '0162', name: 'Primus', revision: '04.03:06.00' }),
  v300: Object.freeze({ idNumber: '0163', name: 'Evita V300', revision: '02.10:06.00' }),
});

export type MedibusLinkState = 'initialising' | 'up';

/**
 * @example
 * const emulator = new MedibusEmulator({ transport: deviceSide, clock, world, family: 'evita' });
 * emulator.start();                          // repeats ICC until the host answers
 * emulator.turnKnob({ peepCmH2O: 20 });      // the therapist sets PEEP 20 (the device rounds to 20 mbar)
 */
export class MedibusEmulator implements DeviceEmulator {
  readonly protocol = 'medibus' as const;
  readonly world: SimWorld;
  readonly faults: FaultSwitches;
  readonly table: MedibusCodeTable;
  private readonly eventsSubject = new Subject<EmulatorEvent>();
  readonly events$ = this.eventsSubject.asObservable();
  private readonly transport: ByteTransport;
  private readonly clock: Clock;
  private readonly wire: FrameWriter;
  private readonly identity: MedibusDeviceId;
  private readonly replyDelayMs: number;
  private readonly iccRetryMs: number;
  private readonly silenceMs: number;
  private parser = new MedibusStreamParser();
  private settings: DraegerSettings;
  private reading: VentilatorReading;
  private readonly alarms = new Map<number, MedibusAlarmRecord>();
  private readonly held: Uint8Array[] = [];
  private readonly counts = { commands: 0, naksSent: 0, iccsSent: 0, answered: 0, linkUps: 0 };
  private link: MedibusLinkState = 'initialising';
  private lastRxAt = 0;
  private stops: Array<() => void> = [];
  private breathTimer: TimerHandle | null = null;
  private subs: Subscription[] = [];
  private running = false;

  constructor(options: MedibusEmulatorOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.world = options.world;
    this.table = options.codeTable ?? codeTableFor(options.family);
    this.identity = { ...MEDIBUS_EMULATOR_IDENTITY[options.family], ...(options.identity ?? {}) };
    this.replyDelayMs = Math.max(0, options.replyDelayMs ?? 20);
    this.iccRetryMs = options.iccRetryMs ?? 1000;
    this.silenceMs = options.hostSilenceTimeoutMs ?? 3000;
    this.faults = new FaultSwitches(this.clock);
    this.settings = draegerFrom(this.table, this.world.patient.settings());
    this.world.patient.setSettings(patientSettings(this.table, this.settings));
    this.reading = this.world.monitor.ventilator(this.clock.now());
    this.wire = new FrameWriter({ transport: this.transport, faults: this.faults, corruptFrame: corruptChecksum });
    this.subs.push(
      this.faults.changes$.subscribe((c) => {
        this.log('fault', c.detail);
        if (c.kind === 'stall-end') this.drainHeld();
      }),
    );
  }

  /** The link as the device sees it. */
  get linkState(): MedibusLinkState {
    return this.link;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.world.start();
    this.subs.push(this.transport.data$.subscribe((chunk) => this.onBytes(chunk)));
    this.lastRxAt = this.clock.now();
    this.stops.push(every(this.clock, this.iccRetryMs, () => this.onIccTimer()));
    this.stops.push(every(this.clock, Math.min(500, this.silenceMs / 2), () => this.checkSilence()));
    this.scheduleBreath();
    this.log('boot', `${this.identity.name} (${this.table.family}) on line; ${describeSettings(ventSettingsOf(this.table, this.settings))}; sending ICC until answered`);
    this.sendIcc();
  }

  turnKnob(change: Partial<VentSettings>): VentSettings {
    this.settings = turn(this.table, this.settings, change);
    this.world.catchUp();
    this.world.patient.setSettings(patientSettings(this.table, this.settings));
    const now = ventSettingsOf(this.table, this.settings);
    this.log('knob', `knob turned ${JSON.stringify(change)} -> ${describeSettings(now)}`);
    return now;
  }

  /** The communication interface restarts: it forgets the link and repeats ICC until answered. */
  reboot(): void {
    this.log('reboot', 'interface restarted: repeating ICC until answered (therapy settings unchanged)');
    this.parser = new MedibusStreamParser();
    this.held.length = 0;
    this.link = 'initialising';
    this.sendIcc();
  }

  raiseAlarm(code: number, text = 'Alarm'): void {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`alarm code must be 0-255 (got ${code})`);
    this.alarms.set(code, { priority: 25, code, phrase: text.slice(0, 12) });
    this.log('alarm', `alarm ${code.toString(16).toUpperCase()}H "${text.slice(0, 12)}" active`);
  }

  clearAlarm(code: number): void {
    if (this.alarms.delete(code)) this.log('alarm', `alarm ${code.toString(16).toUpperCase()}H cleared`);
  }

  status(): EmulatorStatus {
    return {
      protocol: 'medibus',
      device: ventSettingsOf(this.table, this.settings),
      patient: { ...this.world.patient.settings() },
      faults: this.faults.status(),
      wire: { ...this.wire.stats },
      alarms: [...this.alarms.keys()],
      counters: { ...this.counts, link: this.link, badChecksum: this.parser.stats.badChecksum },
    };
  }

  async close(): Promise<void> {
    if (!this.running && this.subs.length === 0) return;
    this.running = false;
    for (const stop of this.stops) stop();
    this.stops = [];
    if (this.breathTimer) this.clock.clearTimeout(this.breathTimer);
    this.breathTimer = null;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.faults.dispose();
    this.world.halt();
    await this.wire.flushed({ clock: this.clock, limitMs: FLUSH_LIMIT_MS });
    this.eventsSubject.complete();
  }

  /** Measured values are updated once per breath (every 2 s without machine breaths). */
  private scheduleBreath(): void {
    const s = ventSettingsOf(this.table, this.settings);
    this.breathTimer = this.clock.setTimeout(() => {
      this.breathTimer = null;
      this.world.catchUp();
      this.reading = this.world.monitor.ventilator(this.clock.now());
      if (this.running) this.scheduleBreath();
    }, s.rateBpm > 0 ? 60_000 / s.rateBpm : 2000);
  }

  private onIccTimer(): void {
    if (this.link === 'initialising') this.sendIcc();
  }

  private sendIcc(): void {
    if (this.wire.send(encodeCommand(MedibusCommand.ICC))) this.counts.iccsSent++;
  }

  private checkSilence(): void {
    if (this.link !== 'up' || this.faults.stalled) return; // a pulled cable is silence too; a stalled device checks nothing
    const silent = this.clock.now() - this.lastRxAt;
    if (silent > this.silenceMs) {
      this.link = 'initialising';
      this.log('link', `no byte from the host for ${Math.round(silent)} ms: link ended; repeating ICC`);
      this.sendIcc();
    }
  }

  private linkUp(how: string): void {
    if (this.link === 'up') return;
    this.link = 'up';
    this.counts.linkUps++;
    this.log('link', `link up (${how})`);
  }

  private onBytes(chunk: Uint8Array): void {
    if (this.faults.dropped) return; // the cable is out
    if (this.faults.stalled) {
      this.held.push(chunk.slice());
      return;
    }
    this.lastRxAt = this.clock.now();
    for (const ev of this.parser.push(chunk)) {
      if (ev.type === 'frame') {
        if (ev.frame.kind === 'command') this.onCommand(ev.frame);
        else if (ev.frame.command === MedibusCommand.ICC) this.linkUp('the host answered our ICC');
      } else if (ev.type === 'dropped' && ev.kind === 'command' && (ev.reason === 'checksum' || ev.reason === 'malformed')) {
        // A wrong sum, checksum characters that are not upper-case hex (e.g. "3f"), or a frame too short to hold them: corrupt.
        this.counts.naksSent++;
        this.log('refused', `command ${ev.reason === 'checksum' ? 'with a bad checksum' : 'malformed (checksum not two upper-case hex characters)'}: NAK`);
        this.reply(encodeResponse(MedibusCommand.NAK));
      }
    }
  }

  private drainHeld(): void {
    for (const c of this.held.splice(0)) this.onBytes(c);
  }

  private onCommand(frame: MedibusFrame): void {
    const cmd = frame.command;
    this.counts.commands++;
    if (cmd === MedibusCommand.ICC) {
      this.linkUp('the host sent ICC');
      this.reply(encodeResponse(cmd));
      return;
    }
    if (this.link !== 'up') {
      this.log('ignored', `${commandName(cmd)} before ICC: not answered`);
      return;
    }
    if (cmd === MedibusCommand.STOP) {
      // STOP is answered (its echo), then the link ends: a host waiting for the reply can shut down cleanly.
      this.counts.answered++;
      this.reply(encodeResponse(cmd));
      this.link = 'initialising';
      this.log('link', 'the host sent STOP: answered, link ended');
      return;
    }
    if (this.faults.takeNoAnswer()) {
      this.log('ignored', `${commandName(cmd)}: not answered (fault)`);
      return;
    }
    if (this.faults.takeRefusal()) {
      this.counts.naksSent++;
      this.log('refused', `${commandName(cmd)}: NAK (fault)`);
      this.reply(encodeResponse(MedibusCommand.NAK));
      return;
    }
    if (cmd !== MedibusCommand.NOP && cmd !== MedibusCommand.MEASURED_CP1 && cmd !== MedibusCommand.MEASURED_CP2) {
      this.log('command', `${commandName(cmd)} answered`);
    }
    this.counts.answered++;
    this.reply(answerFor(cmd, { table: this.table, identity: this.identity, settings: this.settings, reading: this.reading, leakCmH2O: this.faults.leakCmH2O, alarms: [...this.alarms.values()], now: this.clock.now() }));
  }

  private reply(bytes: Uint8Array): void {
    if (this.replyDelayMs === 0) this.wire.send(bytes);
    else this.clock.setTimeout(() => this.wire.send(bytes), this.replyDelayMs);
  }

  private log(kind: EmulatorEventKind, message: string): void {
    this.eventsSubject.next({ t: this.clock.now(), kind, message });
  }
}
