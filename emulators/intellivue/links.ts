/**
 * Where the emulated IntelliVue listens: a UDP socket (the LAN interface; clients send to it and
 * get their answers back at their own address) or a serial port / pseudo-terminal (the MIB
 * RS232 interface, framed).
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Subscription } from 'rxjs';
import type { ByteTransport } from '../../hal/serial/transport.js';
import { WriteQueue } from '../writeQueue.js';
import type { IntelliVueEmulator } from './monitor.js';
import { mibFrame, MibReader } from './pdu.js';

export interface MonitorLink {
  /** Where it listens ("udp 127.0.0.1:24105", "serial /tmp/mon"). */
  readonly address: string;
  send(message: Uint8Array, peer: string): void;
  /** Starts handing received messages to the emulator. */
  attach(monitor: IntelliVueEmulator): void;
  close(): Promise<void>;
}

/**
 * @example
 * const link = await UdpMonitorLink.listen('127.0.0.1', 24105);
 * const monitor = new IntelliVueEmulator({ clock, world, send: (m, p) => link.send(m, p) });
 * link.attach(monitor);
 */
export class UdpMonitorLink implements MonitorLink {
  private constructor(
    private readonly socket: Socket,
    readonly address: string,
  ) {}

  static listen(host: string, port: number): Promise<UdpMonitorLink> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined); // a client gone (ICMP) is not the monitor's problem
        const a = socket.address();
        resolve(new UdpMonitorLink(socket, `udp ${a.address}:${a.port}`));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(message: Uint8Array, peer: string): void {
    const m = /^udp (.+):(\d+)$/.exec(peer);
    if (!m) return;
    this.socket.send(message, Number(m[2]), m[1]!);
  }

  attach(monitor: IntelliVueEmulator): void {
    this.socket.on('message', (msg, r) => monitor.receive(new Uint8Array(msg), `udp ${r.address}:${r.port}`));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** The MIB/RS232 interface on a byte transport (one client: whoever is on the cable). */
export class SerialMonitorLink implements MonitorLink {
  private readonly reader = new MibReader();
  private readonly queue: WriteQueue;
  private sub: Subscription | null = null;
  writeErrors = 0;

  constructor(
    private readonly transport: ByteTransport,
    readonly address: string,
  ) {
    this.queue = new WriteQueue(transport, () => this.writeErrors++);
  }

  get badFrames(): number {
    return this.reader.bad;
  }

  send(message: Uint8Array): void {
    if (this.transport.isOpen && this.queue.pending < 64) this.queue.write(mibFrame(message));
  }

  attach(monitor: IntelliVueEmulator): void {
    this.sub = this.transport.data$.subscribe((chunk) => {
      for (const m of this.reader.push(chunk)) monitor.receive(m, 'serial');
    });
  }

  async close(): Promise<void> {
    this.sub?.unsubscribe();
    await this.queue.flushed();
  }
}
