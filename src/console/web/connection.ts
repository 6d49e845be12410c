/**
 * The page's WebSocket: connects, says hello with the token, reconnects with backoff when
 * the link drops, and treats silence (no heartbeat) as a lost link. Every change of link
 * status is reported at once so the page can show it.
 */
import type { ServerMessage } from '../wire.js';

export type LinkStatus = 'connecting' | 'open' | 'lost';

export interface ConnectionOptions {
  url: string;
  token: () => string | null;
  onMessage: (m: ServerMessage) => void;
  onStatus: (status: LinkStatus, detail: { attempt: number; retryInMs: number | null }) => void;
  /** No message for this long means the link is dead (the server sends at least one a second). */
  silenceMs?: number;
  /** Called as each hello goes out: whether it carries a token. */
  onHello?: (withToken: boolean) => void;
}

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];

export class Connection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private lastMessageAt = 0;
  private watchdog: number | null = null;
  private retryTimer: number | null = null;
  private status: LinkStatus = 'connecting';

  constructor(private readonly o: ConnectionOptions) {}

  get isOpen(): boolean {
    return this.status === 'open';
  }

  start(): void {
    this.connect();
    this.watchdog = window.setInterval(() => this.checkSilence(), 500);
  }

  /** Sends a message; false when the link is down (the caller must say so). */
  send(message: Record<string, unknown>): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Sends a control message with the token. */
  control(message: Record<string, unknown>): boolean {
    const token = this.o.token();
    return this.send({ ...message, ...(token ? { token } : {}) });
  }

  /** Says hello again (e.g. after the token was entered); true when it went out with a token. */
  hello(): boolean {
    const token = this.o.token();
    this.o.onHello?.(token !== null && token !== '');
    this.send({ type: 'hello', ...(token ? { token } : {}) });
    return token !== null;
  }

  private connect(): void {
    if (this.retryTimer !== null) {
      window.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.setStatus('connecting', null);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.o.url);
    } catch {
      this.lost();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastMessageAt = Date.now();
      this.setStatus('open', null);
      this.hello();
    };
    ws.onmessage = (ev) => {
      this.lastMessageAt = Date.now();
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      this.o.onMessage(msg);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.lost();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private checkSilence(): void {
    if (this.status !== 'open') return;
    if (Date.now() - this.lastMessageAt > (this.o.silenceMs ?? 3500)) {
      const ws = this.ws;
      this.ws = null;
      ws?.close();
      this.lost();
    }
  }

  private lost(): void {
    if (this.retryTimer !== null) return;
    this.ws = null;
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? 5000;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt++;
    this.setStatus('lost', delay);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private setStatus(status: LinkStatus, retryInMs: number | null): void {
    this.status = status;
    this.o.onStatus(status, { attempt: this.attempt, retryInMs });
  }
}
