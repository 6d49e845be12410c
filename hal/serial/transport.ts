/**
 * A byte transport: what protocol adapters and emulators talk through. A serial port is
 * one; tests can use `MockBinding` ports or a socat pseudo-terminal pair without touching
 * adapter code (the adapter only sees `ByteTransport`).
 */
import { Subject } from 'rxjs';
import type { ByteTransport } from '../transport.js';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import { DisconnectedError, VentilatorError } from '../errors.js';
import type { SerialSettings } from './config.js';

/** A serialport binding: the OS binding by default, `MockBinding` in unit tests. */
export type SerialBinding = OpenOptions['binding'];

export { transportPair, type ByteTransport } from '../transport.js';

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
