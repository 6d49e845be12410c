/**
 * The host's outgoing commands: one outstanding at a time, the rest queued in order. Matches
 * each response to the outstanding command by its echoed command byte, retransmits on NAK,
 * and enforces the response deadline. Knows nothing of handshakes or keep-alives (session.ts).
 */
import type { Clock, TimerHandle } from '../../common/clock.js';
import { TimeoutError, VentilatorError } from '../errors.js';
import { MedibusCommand, commandName } from './constants.js';
import { encodeCommand, type MedibusFrame } from './frame.js';

interface Pending {
  command: number;
  bytes: Uint8Array;
  naks: number;
  resolve(payload: Uint8Array): void;
  reject(e: Error): void;
}

export interface CommandQueueCounters {
  commandsSent: number;
  retransmits: number;
  naksReceived: number;
  unexpectedResponses: number;
}

export interface CommandQueueDeps {
  clock: Clock;
  responseTimeoutMs: number;
  maxNakRetries: number;
  /** Puts bytes on the wire (in order). */
  write(bytes: Uint8Array): void;
  /** Called when the outstanding command got no response in time (after it was rejected). */
  onResponseTimeout(message: string): void;
  /** Whether a command may be sent now (link up, not paused by flow control). */
  canSend(): boolean;
  /** Called after each transmission (the session re-arms its keep-alive). */
  onSent(): void;
  /** Called when a command settled and nothing else is queued. */
  onIdle(): void;
}

/**
 * @example
 * const q = new CommandQueue({ clock, responseTimeoutMs: 10_000, maxNakRetries: 2, write, onResponseTimeout, canSend, onSent, onIdle });
 * const payload = await q.enqueue(MedibusCommand.DEVICE_SETTINGS);
 */
export class CommandQueue {
  readonly counters: CommandQueueCounters = { commandsSent: 0, retransmits: 0, naksReceived: 0, unexpectedResponses: 0 };
  private queue: Pending[] = [];
  private current: Pending | null = null;
  private deadline: TimerHandle | null = null;

  constructor(private readonly deps: CommandQueueDeps) {}

  /** True while a command waits for its response. */
  get busy(): boolean {
    return this.current !== null;
  }

  get queued(): number {
    return this.queue.length;
  }

  enqueue(command: number, payload?: Uint8Array): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ command, bytes: encodeCommand(command, payload), naks: 0, resolve, reject });
      this.pump();
    });
  }

  /** Sends the next queued command if none is outstanding and sending is allowed. */
  pump(): void {
    if (this.current || !this.deps.canSend()) return;
    const next = this.queue.shift();
    if (!next) return;
    this.current = next;
    this.transmit(next);
  }

  /** Sends the outstanding command again (e.g. the device re-initialised with ICC). */
  retransmit(): void {
    if (!this.current) return;
    this.counters.retransmits++;
    this.transmit(this.current);
  }

  /** Offers a response frame; returns false if it does not answer the outstanding command. */
  onResponse(frame: MedibusFrame): boolean {
    const p = this.current;
    if (!p) {
      this.counters.unexpectedResponses++;
      return false;
    }
    if (frame.command === MedibusCommand.NAK) {
      this.counters.naksReceived++;
      if (p.naks < this.deps.maxNakRetries) {
        p.naks++;
        this.retransmit();
      } else {
        this.settle();
        p.reject(new VentilatorError('protocol', `MEDIBUS device rejected ${commandName(p.command)} as corrupt ${p.naks + 1} times`));
      }
      return true;
    }
    if (frame.command !== p.command) {
      this.counters.unexpectedResponses++;
      return false;
    }
    this.settle();
    p.resolve(frame.payload);
    return true;
  }

  /** Rejects the outstanding and every queued command; clears the deadline. */
  rejectAll(error: Error): void {
    this.clearDeadline();
    const all = this.current ? [this.current, ...this.queue] : [...this.queue];
    this.current = null;
    this.queue = [];
    for (const p of all) p.reject(error);
  }

  private transmit(p: Pending): void {
    this.deps.write(p.bytes);
    this.counters.commandsSent++;
    this.clearDeadline();
    this.deadline = this.deps.clock.setTimeout(() => {
      this.deadline = null;
      if (this.current !== p) return;
      const message = `no response to ${commandName(p.command)} within ${this.deps.responseTimeoutMs} ms`;
      this.current = null;
      p.reject(new TimeoutError(message));
      this.deps.onResponseTimeout(message);
    }, this.deps.responseTimeoutMs);
    this.deps.onSent();
  }

  private settle(): void {
    this.current = null;
    this.clearDeadline();
    queueMicrotask(() => {
      this.pump();
      if (!this.current) this.deps.onIdle();
    });
  }

  private clearDeadline(): void {
    if (this.deadline) this.deps.clock.clearTimeout(this.deadline);
    this.deadline = null;
  }
}
