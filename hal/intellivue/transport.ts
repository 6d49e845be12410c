/**
 * The two transports of one codec: UDP on the monitor's LAN port, and RS232 through the MIB
 * interface (framed, see mib.ts). Both carry whole Data Export messages.
 */
import { createSocket, type Socket } from 'node:dgram';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { DisconnectedError, VentilatorError } from '../errors.js';
import type { ByteTransport } from '../serial/transport.js';
import { encodeMibFrame, MibDecoder } from './mib.js';

export interface MessageTransport {
  /** Whole messages as they arrive. Completes when the transport closes. */
  readonly messages$: Observable<Uint8Array>;
  /** Emits when the transport fails on its own (port gone). */
  readonly lost$: Observable<Error>;
  send(message: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Where it talks to, for messages ("udp 10.0.0.5:24105", "serial /dev/ttyUSB2"). */
  readonly description: string;
  /** Messages refused by the transport itself (MIB frames with a bad FCS or header). */
  readonly dropped: number;
}

/**
 * UDP to the monitor's Data Export port. The socket is connected to the monitor's address, so
 * datagrams from anyone else are not taken.
 *
 * @example
 * const t = await UdpMessageTransport.open('10.0.0.5', 24105);
 */
export class UdpMessageTransport implements MessageTransport {
  private readonly messages = new Subject<Uint8Array>();
  private readonly lost = new Subject<Error>();
  readonly messages$ = this.messages.asObservable();
  readonly lost$ = this.lost.asObservable();
  readonly dropped = 0;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    readonly description: string,
  ) {
    socket.on('message', (msg: Buffer) => this.messages.next(new Uint8Array(msg)));
    // ICMP "port unreachable" shows up as ECONNREFUSED on a connected socket: the association
    // timers deal with a monitor that does not answer, so it is not a loss of the transport.
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNREFUSED' && !this.closed) this.lost.next(e);
    });
  }

  static open(host: string, port: number): Promise<UdpMessageTransport> {
    const family = host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket(family);
    return new Promise((resolve, reject) => {
      const fail = (e: Error): void => {
        socket.close();
        reject(new VentilatorError('port', `IntelliVue udp ${host}:${port}: ${e.message}`, { cause: e }));
      };
      socket.once('error', fail);
      socket.connect(port, host, () => {
        socket.off('error', fail);
        resolve(new UdpMessageTransport(socket, `udp ${host}:${port}`));
      });
    });
  }

  send(message: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new DisconnectedError(`${this.description}: closed`));
    return new Promise((resolve, reject) => this.socket.send(message, (e) => (e && (e as NodeJS.ErrnoException).code !== 'ECONNREFUSED' ? reject(e) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.messages.complete();
    this.lost.complete();
  }
}

/**
 * RS232 through the MIB interface, over any `ByteTransport` (serial port, pseudo-terminal).
 *
 * @example
 * const t = new MibMessageTransport(await SerialTransport.open({ path: '/dev/ttyUSB2', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 }), '/dev/ttyUSB2');
 */
export class MibMessageTransport implements MessageTransport {
  private readonly messages = new Subject<Uint8Array>();
  readonly messages$ = this.messages.asObservable();
  readonly lost$: Observable<Error>;
  readonly description: string;
  private readonly decoder = new MibDecoder();
  private readonly sub: Subscription;

  constructor(
    private readonly port: ByteTransport,
    path: string,
  ) {
    this.description = `serial ${path}`;
    this.lost$ = port.lost$;
    this.sub = port.data$.subscribe({
      next: (chunk) => {
        for (const m of this.decoder.push(chunk)) this.messages.next(m);
      },
      complete: () => this.messages.complete(),
    });
  }

  get dropped(): number {
    const s = this.decoder.stats;
    return s.badFcs + s.badHeader;
  }

  send(message: Uint8Array): Promise<void> {
    return this.port.write(encodeMibFrame(message));
  }

  async close(): Promise<void> {
    this.sub.unsubscribe();
    this.messages.complete();
    await this.port.close();
  }
}
