/**
 * The MEDIBUS link, host side: ICC handshake, NOP keep-alive, silence and flow-control
 * watchdogs, and the answers a host owes to device-initiated commands. Outgoing commands go
 * through `CommandQueue` (one outstanding at a time). Every timer runs on the injected `Clock`.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { DisconnectedError } from '../errors.js';
import type { ByteTransport } from '../serial/transport.js';
import { CommandQueue, type CommandQueueCounters } from './commandQueue.js';
import { HOST_COMMANDS, MedibusCommand, commandName } from './constants.js';
import { encodeCommand, encodeResponse, type MedibusFrame, type MedibusFrameKind } from './frame.js';
import { MedibusStreamParser, type MedibusDropReason, type MedibusFlowControl, type MedibusParserStats } from './parser.js';
import { encodeDeviceId, type MedibusDeviceId } from './records.js';
import { resolveTiming, type MedibusTiming } from './timing.js';

/**
 * How this controller identifies itself when a device asks (command 52H).
 *
 * @example
 * new MedibusSession({ transport, clock, hostId: { ...MEDIBUS_HOST_ID, name: 'ward-3-rmseq' } });
 */
export const MEDIBUS_HOST_ID: Readonly<MedibusDeviceId> = Object.freeze({ idNumber: '0161', name: 'rm-sequencer', revision: '00.10:06.00' });

export type MedibusSessionState = 'idle' | 'handshaking' | 'up' | 'lost' | 'closed';
export type MedibusLinkLossReason = 'silence' | 'response-timeout' | 'flow-stalled' | 'device-stop' | 'transport' | 'write-failed';

export type MedibusSessionEvent =
  | { type: 'up'; t: number }
  | { type: 'lost'; t: number; reason: MedibusLinkLossReason; message: string }
  | { type: 'device-command'; t: number; command: number }
  | { type: 'realtime'; t: number; bytes: Uint8Array }
  | { type: 'flow'; t: number; control: MedibusFlowControl }
  | { type: 'dropped'; t: number; kind: MedibusFrameKind; reason: MedibusDropReason };

export interface MedibusSessionStats extends CommandQueueCounters {
  keepAlivesSent: number;
  naksSent: number;
  deviceCommands: number;
  deviceIccs: number;
  parser: MedibusParserStats;
}

export interface MedibusSessionOptions {
  transport: ByteTransport;
  clock: Clock;
  timing?: Partial<MedibusTiming>;
  hostId?: MedibusDeviceId;
  maxFrameBytes?: number;
}

type TimerName = 'keepAlive' | 'silence' | 'icc' | 'handshake' | 'flow';

/**
 * @example
 * const session = new MedibusSession({ transport, clock });
 * await session.start();                                            // ICC handshake
 * const payload = await session.request(MedibusCommand.MEASURED_CP1);
 * await session.close();                                            // STOP, every timer cleared
 */
export class MedibusSession {
  readonly timing: Readonly<MedibusTiming>;
  private readonly eventsSubject = new Subject<MedibusSessionEvent>();
  /** Link events: up, lost (with reason), device commands, real-time bytes, flow control, dropped frames. */
  readonly events$: Observable<MedibusSessionEvent> = this.eventsSubject.asObservable();
  private readonly transport: ByteTransport;
  private readonly clock: Clock;
  private readonly parser: MedibusStreamParser;
  private readonly queue: CommandQueue;
  private readonly hostIdPayload: Uint8Array;
  private st: MedibusSessionState = 'idle';
  private subs: Subscription[] = [];
  private handshake: { resolve(): void; reject(e: Error): void } | null = null;
  private lastSentAt = 0;
  private lastRxAt = 0;
  private paused = false;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly counts = { keepAlivesSent: 0, naksSent: 0, deviceCommands: 0, deviceIccs: 0 };

  constructor(options: MedibusSessionOptions) {
    this.transport = options.transport;
    this.clock = options.clock;
    this.timing = resolveTiming(options.timing);
    this.parser = new MedibusStreamParser({ maxFrameBytes: options.maxFrameBytes ?? 4096 });
    this.hostIdPayload = encodeDeviceId(options.hostId ?? MEDIBUS_HOST_ID);
    this.queue = new CommandQueue({
      clock: this.clock,
      responseTimeoutMs: this.timing.responseTimeoutMs,
      maxNakRetries: this.timing.maxNakRetries,
      write: (bytes) => this.write(bytes),
      onResponseTimeout: (message) => this.lose('response-timeout', message),
      canSend: () => this.st === 'up' && !this.paused,
      onSent: () => {
        this.lastSentAt = this.clock.now();
        this.armKeepAlive();
      },
      onIdle: () => this.armKeepAlive(),
    });
  }

  get state(): MedibusSessionState {
    return this.st;
  }

  /** Counters of the session, its command queue and its parser (a snapshot). */
  stats(): MedibusSessionStats {
    return { ...this.queue.counters, ...this.counts, parser: { ...this.parser.stats } };
  }

  /**
   * Handshake: sends ICC (again every `iccRetryMs`) until the device answers it, answering the
   * device's own ICC meanwhile. Rejects with `DisconnectedError` after `handshakeTimeoutMs`.
   * May be called again after the link was lost.
   */
  start(): Promise<void> {
    if (this.st === 'closed') return Promise.reject(new DisconnectedError('MEDIBUS session is closed'));
    if (this.st === 'handshaking' || this.st === 'up') {
      return Promise.reject(new TypeError(`MEDIBUS session is already ${this.st}: call start() once, or again after the link was lost`));
    }
    this.st = 'handshaking';
    this.parser.reset();
    const done = new Promise<void>((resolve, reject) => (this.handshake = { resolve, reject }));
    this.subs.push(
      this.transport.data$.subscribe({ next: (chunk) => this.onChunk(chunk), complete: () => this.lose('transport', 'the transport closed') }),
      this.transport.lost$.subscribe((e) => this.lose('transport', `the transport failed: ${e.message}`)),
    );
    if (this.st !== 'handshaking') return done; // the transport was already gone: rejected
    const ms = this.timing.handshakeTimeoutMs;
    this.timers.set('handshake', this.clock.setTimeout(() => this.lose('silence', `MEDIBUS device did not answer ICC within ${ms} ms`), ms));
    const sendIcc = (): void => {
      if (this.st !== 'handshaking') return;
      this.write(encodeCommand(MedibusCommand.ICC));
      this.timers.set('icc', this.clock.setTimeout(sendIcc, this.timing.iccRetryMs));
    };
    sendIcc();
    return done;
  }

  /**
   * Sends a read command and resolves with the response payload (queued: one outstanding at a
   * time). Rejects with `TimeoutError` (no response in time; the link is then lost),
   * `DisconnectedError`, or `VentilatorError('protocol')` after repeated NAKs. Throws `TypeError`
   * for commands outside `HOST_COMMANDS`: MEDIBUS is never used to change a setting.
   */
  request(command: number, payload?: Uint8Array): Promise<Uint8Array> {
    if (!HOST_COMMANDS.has(command) || command === MedibusCommand.ICC || command === MedibusCommand.STOP) {
      throw new TypeError(`${commandName(command)} is not a read command this controller may send; start() sends ICC and close() sends STOP`);
    }
    if (this.st !== 'up') return Promise.reject(new DisconnectedError(`MEDIBUS link is ${this.st}: ${commandName(command)} not sent`));
    return this.queue.enqueue(command, payload);
  }

  /** Sends STOP if the link is up, rejects whatever is pending, clears every timer, completes `events$`. */
  async close(): Promise<void> {
    if (this.st === 'closed') return;
    const wasUp = this.st === 'up';
    this.st = 'closed';
    this.teardown(new DisconnectedError('MEDIBUS session closed'));
    if (wasUp && this.transport.isOpen) {
      this.write(encodeCommand(MedibusCommand.STOP));
      await this.writeChain;
    }
    this.eventsSubject.complete();
  }

  private onChunk(chunk: Uint8Array): void {
    this.lastRxAt = this.clock.now();
    for (const ev of this.parser.push(chunk)) {
      if (this.st !== 'up' && this.st !== 'handshaking') return;
      const t = this.clock.now();
      if (ev.type === 'frame') {
        if (ev.frame.kind === 'command') this.onDeviceCommand(ev.frame);
        else if (this.st === 'handshaking') {
          if (ev.frame.command === MedibusCommand.ICC) this.up();
        } else this.queue.onResponse(ev.frame);
      } else if (ev.type === 'dropped') {
        // A device command that arrived corrupt (wrong sum, or checksum characters that are not upper-case hex) gets a NAK.
        if (ev.kind === 'command' && (ev.reason === 'checksum' || ev.reason === 'malformed')) {
          this.counts.naksSent++;
          this.write(encodeResponse(MedibusCommand.NAK));
        }
        this.eventsSubject.next({ type: 'dropped', t, kind: ev.kind, reason: ev.reason });
      } else if (ev.type === 'flow') {
        this.onFlow(ev.control);
        this.eventsSubject.next({ type: 'flow', t, control: ev.control });
      } else {
        this.eventsSubject.next({ type: 'realtime', t, bytes: ev.bytes });
      }
    }
  }

  private onDeviceCommand(frame: MedibusFrame): void {
    const cmd = frame.command;
    this.counts.deviceCommands++;
    this.eventsSubject.next({ type: 'device-command', t: this.clock.now(), command: cmd });
    // Every device command is answered by echoing it; 52H carries our identification.
    this.write(encodeResponse(cmd, cmd === MedibusCommand.DEVICE_ID ? this.hostIdPayload : undefined));
    if (this.st !== 'up') return;
    if (cmd === MedibusCommand.ICC) {
      // The device (re)initialised: whatever it was answering is gone, so ask again.
      this.counts.deviceIccs++;
      this.queue.retransmit();
    } else if (cmd === MedibusCommand.STOP) {
      this.lose('device-stop', 'the MEDIBUS device sent STOP');
    }
  }

  private onFlow(control: MedibusFlowControl): void {
    if (control === 'xoff') {
      if (this.paused) return;
      this.paused = true;
      const ms = this.timing.responseTimeoutMs;
      this.timers.set('flow', this.clock.setTimeout(() => this.lose('flow-stalled', `MEDIBUS device held transmission (DC3) for ${ms} ms`), ms));
    } else if (this.paused) {
      this.paused = false;
      this.clear('flow');
      this.queue.pump();
      if (!this.queue.busy) this.armKeepAlive(); // a keep-alive due while paused was skipped
    }
  }

  private up(): void {
    this.clear('icc');
    this.clear('handshake');
    this.st = 'up';
    this.lastSentAt = this.clock.now();
    this.armSilence();
    this.armKeepAlive();
    this.eventsSubject.next({ type: 'up', t: this.clock.now() });
    const h = this.handshake;
    this.handshake = null;
    h?.resolve();
  }

  private armKeepAlive(): void {
    if (this.st !== 'up') return;
    this.clear('keepAlive');
    const due = Math.max(0, this.lastSentAt + this.timing.keepAliveMs - this.clock.now());
    this.timers.set(
      'keepAlive',
      this.clock.setTimeout(() => {
        this.timers.delete('keepAlive');
        if (this.st !== 'up' || this.paused || this.queue.busy) return; // re-armed when the queue settles
        if (this.queue.queued) return this.queue.pump();
        this.counts.keepAlivesSent++;
        this.queue.enqueue(MedibusCommand.NOP).catch(() => undefined);
      }, due),
    );
  }

  private armSilence(): void {
    const due = Math.max(0, this.lastRxAt + this.timing.silenceTimeoutMs - this.clock.now());
    this.timers.set(
      'silence',
      this.clock.setTimeout(() => {
        this.timers.delete('silence');
        if (this.clock.now() - this.lastRxAt >= this.timing.silenceTimeoutMs) {
          this.lose('silence', `no byte from the MEDIBUS device for ${this.timing.silenceTimeoutMs} ms`);
        } else this.armSilence();
      }, due),
    );
  }

  /** Ends the link (once): rejects pending work; emits `lost` if it was up, fails the handshake otherwise. */
  private lose(reason: MedibusLinkLossReason, message: string): void {
    if (this.st !== 'up' && this.st !== 'handshaking') return;
    const wasUp = this.st === 'up';
    this.st = 'lost';
    this.teardown(new DisconnectedError(wasUp ? `MEDIBUS link lost: ${message}` : message));
    if (wasUp) this.eventsSubject.next({ type: 'lost', t: this.clock.now(), reason, message });
  }

  private teardown(error: DisconnectedError): void {
    for (const name of [...this.timers.keys()]) this.clear(name);
    for (const sub of this.subs) sub.unsubscribe();
    this.subs = [];
    this.paused = false;
    this.queue.rejectAll(error);
    const h = this.handshake;
    this.handshake = null;
    h?.reject(error);
  }

  private clear(name: TimerName): void {
    const h = this.timers.get(name);
    if (h) this.clock.clearTimeout(h);
    this.timers.delete(name);
  }

  private write(bytes: Uint8Array): void {
    this.writeChain = this.writeChain
      .then(() => this.transport.write(bytes))
      .catch((e: unknown) => this.lose('write-failed', `write failed: ${e instanceof Error ? e.message : String(e)}`));
  }
}
