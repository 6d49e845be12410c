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
import { fsFdWriter, OrderedWriter, type FdWriter, type WritePath } from './directWrite.js';

/** A serialport binding: the OS binding by default, `MockBinding` in unit tests. */
export type SerialBinding = OpenOptions['binding'];

export { transportPair, type ByteTransport } from '../transport.js';
export { DIRECT_WRITE_MAX_BYTES, type FdWriter, type WritePath } from './directWrite.js';

/** How one `write()` went, for instrumentation (the bench's serial section). */
export interface WriteTiming {
  bytes: number;
  path: WritePath;
  /** `performance.now()` when `write()` was called (matches a write to its timing). */
  startedAt: number;
  /** From `write()` to every byte written to the port's fd (handed to the kernel), ms. */
  toKernelMs: number;
  /** From `write()` to its promise settling (after the port drained: `tcdrain`), ms. */
  toDoneMs: number;
}

export interface SerialTransportOptions {
  /**
   * Write frames of up to `DIRECT_WRITE_MAX_BYTES` with a non-blocking `write(2)` on the port's
   * fd from the event loop when nothing is queued (default true; see directWrite.ts). False
   * sends every write through the binding's thread-pool path.
   */
  directWrite?: boolean;
  /** The direct write (default `fs.writeSync`); tests inject a fake. */
  writeFd?: FdWriter;
  /** Told how each successful write went (instrumentation only; never changes a write). */
  onWrite?: (timing: WriteTiming) => void;
}

/** A transport over a serialport stream (real port, PTY or MockBinding). */
export class SerialTransport implements ByteTransport {
  private readonly dataSubject = new Subject<Uint8Array>();
  private readonly lostSubject = new Subject<Error>();
  readonly data$ = this.dataSubject.asObservable();
  readonly lost$ = this.lostSubject.asObservable();
  private closing = false;
  private readonly writer: OrderedWriter;
  private readonly onWrite: ((timing: WriteTiming) => void) | undefined;

  private constructor(
    private readonly port: SerialPortStream,
    options: SerialTransportOptions = {},
  ) {
    this.writer = new OrderedWriter({
      fd: () => this.fd(),
      writeFd: options.writeFd ?? fsFdWriter,
      queue: (bytes, done) => this.port.write(bytes, (err) => done(err)),
    });
    this.writer.enabled = options.directWrite ?? true;
    this.onWrite = options.onWrite;
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
  static open(settings: SerialSettings, binding: SerialBinding = autoDetect(), options: SerialTransportOptions = {}): Promise<SerialTransport> {
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
        resolve(new SerialTransport(port, options));
      });
    });
  }

  get isOpen(): boolean {
    return this.port.isOpen;
  }

  /** Whether small frames may be written directly on the fd (see `SerialTransportOptions.directWrite`). */
  get directWrite(): boolean {
    return this.writer.enabled;
  }

  set directWrite(on: boolean) {
    this.writer.enabled = on;
  }

  /**
   * Writes `bytes` after every byte of the writes before it; resolves once they are written and
   * the port has drained (`tcdrain`), rejects with `DisconnectedError` when the port fails (the
   * port then closes and `lost$` says why).
   */
  write(bytes: Uint8Array): Promise<void> {
    if (!this.port.isOpen) return Promise.reject(new DisconnectedError(`serial port ${this.port.path} is not open`));
    const startedAt = performance.now();
    let w: ReturnType<OrderedWriter['write']>;
    try {
      w = this.writer.write(bytes);
    } catch (e) {
      return Promise.reject(new DisconnectedError(`write to ${this.port.path} failed: ${(e as Error).message}`, { cause: e }));
    }
    const directAt = w.path === 'direct' ? performance.now() : 0;
    return w.written.then(
      () => {
        const inKernelAt = directAt || performance.now();
        return new Promise<void>((resolve) =>
          this.port.drain(() => {
            try {
              this.onWrite?.({ bytes: bytes.length, path: w.path, startedAt, toKernelMs: inKernelAt - startedAt, toDoneMs: performance.now() - startedAt });
            } catch {
              // instrumentation only: a failing observer never fails the write
            }
            resolve();
          }),
        );
      },
      (err: Error) => {
        throw new DisconnectedError(`write to ${this.port.path} failed: ${err.message}`, { cause: err });
      },
    );
  }

  /** The port's fd for a direct write: open ports of the OS binding on Linux and macOS only. */
  private fd(): number | null {
    if (process.platform === 'win32' || !this.port.isOpen) return null;
    const fd = (this.port.port as { fd?: unknown } | undefined)?.fd;
    return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
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
