/**
 * A serial port that comes back: a USB adapter that re-enumerates, a cable pulled and put
 * back. When the port is lost, `lost$` says so (each time), writes fail with
 * `DisconnectedError`, and the port is reopened on the injected clock with capped exponential
 * backoff (0.5 s, 1 s, 2 s ... 10 s) until it opens or the transport is closed. Bytes from the
 * reopened port arrive on the same `data$`, so the adapter above resumes where it was (a
 * restore in progress is retried by the machine on the reopened port).
 *
 * A small hand-written backoff rather than a retry library: it must run on the injected
 * `Clock` (virtual in tests, scaled by --speed), which the libraries' timers do not.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { DisconnectedError } from '../errors.js';
import type { ByteTransport } from './transport.js';

export interface ReopenBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_REOPEN_BACKOFF: ReopenBackoff = { initialMs: 500, maxMs: 10_000 };

/** Once per change of situation, never per attempt. */
export type PortEvent = { kind: 'lost'; t: number; message: string } | { kind: 'reopened'; t: number; attempts: number; downMs: number };

export class ReopeningTransport implements ByteTransport {
  private readonly dataSubject = new Subject<Uint8Array>();
  private readonly lostSubject = new Subject<Error>();
  private readonly eventsSubject = new Subject<PortEvent>();
  readonly data$ = this.dataSubject.asObservable();
  readonly lost$ = this.lostSubject.asObservable();
  /** `lost` when the port goes, `reopened` when it is back. */
  readonly events$: Observable<PortEvent> = this.eventsSubject.asObservable();
  private current: ByteTransport | null = null;
  private subs: Subscription[] = [];
  private timer: TimerHandle | null = null;
  private closed = false;
  private attempts = 0;
  private lostAt = 0;

  constructor(
    first: ByteTransport,
    private readonly reopen: () => Promise<ByteTransport>,
    private readonly clock: Clock,
    private readonly backoff: ReopenBackoff = DEFAULT_REOPEN_BACKOFF,
  ) {
    this.use(first);
  }

  get isOpen(): boolean {
    return this.current?.isOpen ?? false;
  }

  /** True while the port is lost and being reopened. */
  get reopening(): boolean {
    return !this.closed && this.current === null;
  }

  /**
   * Treats the port as lost and reopens it: for a device that went silent on a port that
   * reports nothing (a pseudo-terminal whose other end died, a hung USB adapter). No-op while
   * already reopening.
   */
  recycle(reason: string): void {
    if (this.current) this.onLost(this.current, new DisconnectedError(reason));
  }

  write(bytes: Uint8Array): Promise<void> {
    if (!this.current) return Promise.reject(new DisconnectedError(this.closed ? 'port closed' : `port lost; reopening it (attempt ${this.attempts})`));
    return this.current.write(bytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const t = this.current;
    this.drop();
    await t?.close().catch(() => undefined);
    this.dataSubject.complete();
    this.lostSubject.complete();
    this.eventsSubject.complete();
  }

  private use(t: ByteTransport): void {
    this.current = t;
    this.subs = [t.data$.subscribe((b) => this.dataSubject.next(b)), t.lost$.subscribe((e) => this.onLost(t, e))];
  }

  private drop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.current = null;
  }

  private onLost(t: ByteTransport, err: Error): void {
    if (this.closed || this.current !== t) return;
    this.drop();
    void t.close().catch(() => undefined);
    this.attempts = 0;
    this.lostAt = this.clock.now();
    this.eventsSubject.next({ kind: 'lost', t: this.lostAt, message: err.message });
    this.lostSubject.next(err);
    this.schedule();
  }

  private schedule(): void {
    const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.attempts);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.attempts++;
      this.reopen().then(
        (t) => {
          if (this.closed) {
            void t.close().catch(() => undefined);
            return;
          }
          this.use(t);
          this.eventsSubject.next({ kind: 'reopened', t: this.clock.now(), attempts: this.attempts, downMs: this.clock.now() - this.lostAt });
        },
        () => !this.closed && this.schedule(),
      );
    }, delay);
  }
}
