/**
 * A byte transport: what protocol adapters and emulators talk through. A serial port is
 * one; tests can use `MockBinding` ports or a socat pseudo-terminal pair without touching
 * adapter code (the adapter only sees `ByteTransport`).
 */
import { Subject, type Observable } from 'rxjs';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import { DisconnectedError, VentilatorError } from '../errors.js';
import type { SerialSettings } from './config.js';

/** A serialport binding: the OS binding by default, `MockBinding` in unit tests. */
export type SerialBinding = OpenOptions['binding'];

export interface ByteTransport {
  /** Bytes as they arrive, in arbitrary chunks. Completes when the transport closes. */
  readonly data$: Observable<Uint8Array>;
  /** Emits once if the transport closes or fails on its own (cable pulled, port gone). */
  readonly lost$: Observable<Error>;
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /**
   * Treats the port as lost and reopens it (transports that can: `ReopeningTransport`). An
   * adapter calls it when its device went silent on a port that reports nothing.
   */
  recycle?(reason: string): void;
}

/** A transport over a serialport stream (real port, PTY or MockBinding). */
export class SerialTransport implements ByteTransport {
  private readonly dataSubject = new Subject<Uint8Array>();
  private readonly lostSubject = new Subject<Error>();
  readonly data$ = this.dataSubject.asObservable();
  readonly lost$ = this.lostSubject.asObservable();
  private closing = false;

  private constructor(private readonly port: SerialPortStream) {
    port.on('data', (chunk: Buffer) => this.dataSubject.next(new Uint8Array(chunk)));
    port.on('close', (err?: Error & { disconnected?: boolean }) => {
      if (!this.closing) this.lostSubject.next(err ?? new DisconnectedError(`serial port ${port.path} closed`));
      this.dataSubject.complete();
      this.lostSubject.complete();
    });
    port.on('error', (err: Error) => {
      if (!this.closing) this.lostSubject.next(err);
    });
  }

  /**
   * Opens a serial port. Rejects with a `VentilatorError('port')` that names the path and the
   * cause (missing device, permission, port in use) before anything is sent.
   *
   * @example
   * const t = await SerialTransport.open({ path: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 });
   */
  static open(settings: SerialSettings, binding: SerialBinding = autoDetect()): Promise<SerialTransport> {
    return new Promise((resolve, reject) => {
      const port = new SerialPortStream({
        binding,
        path: settings.path,
        baudRate: settings.baudRate,
        parity: settings.parity,
        dataBits: settings.dataBits,
        stopBits: settings.stopBits,
        autoOpen: false,
        lock: true,
      } as ConstructorParameters<typeof SerialPortStream>[0]);
      port.open((err) => {
        if (err) {
          reject(new VentilatorError('port', `cannot open serial port ${settings.path}: ${err.message}`, { cause: err }));
          return;
        }
        resolve(new SerialTransport(port));
      });
    });
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.port.isOpen) return Promise.reject(new DisconnectedError(`serial port ${this.port.path} is not open`));
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes), (err) => {
        if (err) reject(new DisconnectedError(`write to ${this.port.path} failed: ${err.message}`, { cause: err }));
        else this.port.drain(() => resolve());
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    if (!this.port.isOpen) {
      this.dataSubject.complete();
      this.lostSubject.complete();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.port.close(() => resolve()));
  }
}

/**
 * Two in-memory transports wired back to back: bytes written on one arrive on the other
 * (asynchronously, like a wire). For unit tests of adapters against emulators.
 */
export function transportPair(): [ByteTransport, ByteTransport] {
  const make = () => ({ data: new Subject<Uint8Array>(), lost: new Subject<Error>(), open: true });
  const a = make();
  const b = make();
  const side = (self: typeof a, peer: typeof a): ByteTransport => ({
    data$: self.data.asObservable(),
    lost$: self.lost.asObservable(),
    get isOpen() {
      return self.open;
    },
    write(bytes) {
      if (!self.open || !peer.open) return Promise.reject(new DisconnectedError('in-memory link closed'));
      const copy = bytes.slice();
      queueMicrotask(() => peer.open && peer.data.next(copy));
      return Promise.resolve();
    },
    close() {
      if (self.open) {
        self.open = false;
        self.data.complete();
        if (peer.open) {
          peer.open = false;
          peer.lost.next(new DisconnectedError('peer closed the in-memory link'));
          peer.data.complete();
        }
      }
      return Promise.resolve();
    },
  });
  return [side(a, b), side(b, a)];
}
