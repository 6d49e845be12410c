/**
 * A byte transport: what protocol adapters and emulators talk through. A serial port is one
 * (`SerialTransport` in rm-sequencer/hal/serial, the only part that loads the native serial
 * binding); a UDP socket, a TCP bridge or the in-memory pair below are others: the adapter
 * only sees `ByteTransport`.
 */
import { Subject, type Observable } from 'rxjs';
import { DisconnectedError } from './errors.js';

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
