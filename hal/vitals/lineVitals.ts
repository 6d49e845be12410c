/**
 * `LineVitalsSource`: the `VitalsSource` port over a line-oriented feed (see line.ts) on a
 * `ByteTransport` (serial port, pseudo-terminal). Every line is validated; bad lines are
 * counted and dropped, never passed on. When no valid sample arrives for `lostAfterMs`, or
 * the port goes away, `faults$` emits `vitals-source-lost` (once per outage).
 */
import { Subject, type Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../../common/clock.js';
import type { MonitorSample } from '../../machines/types.js';
import { DisconnectedError } from '../errors.js';
import type { DeviceFault, VitalsSource } from '../port.js';
import { SerialTransport, type ByteTransport, type SerialBinding } from '../serial/transport.js';
import { parseOrThrow } from '../../common/validation.js';
import { SerialSettingsSchema, type SerialSettingsInput } from '../serial/config.js';
import { LineSplitter, VitalsLineSchema } from './line.js';

export interface LineVitalsOptions {
  transport: ByteTransport;
  clock: Clock;
  /** No valid sample for this long is a lost feed (default 5000 ms). */
  lostAfterMs?: number;
  /** `source` of the samples when the line names none (default 'line-vitals'). */
  source?: string;
  /** Longest line accepted (default 4096 bytes). */
  maxLineBytes?: number;
}

export interface LineVitalsStats {
  lines: number;
  samples: number;
  /** Lines that are not JSON, fail the schema, or are too long. */
  badLines: number;
  /** Valid lines whose monitor timestamp went backwards. */
  outOfOrder: number;
  /** The last problem seen with a bad line, for diagnostics. */
  lastProblem: string | null;
}

/**
 * @example
 * const transport = await SerialTransport.open({ path: '/dev/ttyUSB2', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
 * const vitals = new LineVitalsSource({ transport, clock: new WallClock() });
 * await vitals.connect();
 * vitals.samples$.subscribe((s) => console.log(s.spo2Pct, s.mapMmHg));
 */
export class LineVitalsSource implements VitalsSource {
  private readonly samplesSubject = new Subject<MonitorSample>();
  private readonly faultsSubject = new Subject<DeviceFault>();
  readonly samples$ = this.samplesSubject.asObservable();
  readonly faults$ = this.faultsSubject.asObservable();
  readonly stats: LineVitalsStats = { lines: 0, samples: 0, badLines: 0, outOfOrder: 0, lastProblem: null };
  private readonly transport: ByteTransport;
  private readonly clock: Clock;
  private readonly lostAfterMs: number;
  private readonly source: string;
  private readonly splitter: LineSplitter;
  private subs: Subscription[] = [];
  private timer: TimerHandle | null = null;
  private lastSampleAt = 0;
  private lastMonitorT = -Infinity;
  private lost = false;
  private connected = false;
  private closed = false;

  constructor(options: LineVitalsOptions) {
    if (typeof options?.transport?.write !== 'function') throw new TypeError('LineVitalsSource option transport must be a ByteTransport');
    if (typeof options.clock?.setTimeout !== 'function') throw new TypeError('LineVitalsSource option clock must be a Clock');
    const lost = options.lostAfterMs ?? 5000;
    if (!(lost > 0) || !Number.isFinite(lost)) throw new TypeError(`LineVitalsSource option lostAfterMs must be a positive number of milliseconds (got ${String(options.lostAfterMs)})`);
    this.transport = options.transport;
    this.clock = options.clock;
    this.lostAfterMs = lost;
    this.source = options.source ?? 'line-vitals';
    this.splitter = new LineSplitter(options.maxLineBytes ?? 4096);
  }

  /**
   * Opens a serial port (or pseudo-terminal) and returns the source over it. Rejects with
   * `VentilatorError('port')` naming the path when the port cannot be opened.
   *
   * @example
   * const vitals = await LineVitalsSource.open({ path: '/dev/ttyUSB2', baudRate: 9600 }, { clock });
   */
  static async open(serial: SerialSettingsInput, options: Omit<LineVitalsOptions, 'transport'>, binding?: SerialBinding): Promise<LineVitalsSource> {
    const settings = parseOrThrow(SerialSettingsSchema, serial, 'vitals feed serial settings');
    const transport = binding ? await SerialTransport.open(settings, binding) : await SerialTransport.open(settings);
    return new LineVitalsSource({ ...options, transport });
  }

  /** Starts reading; the lost-feed watchdog counts from now. */
  async connect(): Promise<void> {
    if (this.closed) throw new DisconnectedError('LineVitalsSource is closed: create a new one');
    if (this.connected) return;
    if (!this.transport.isOpen) throw new DisconnectedError('vitals feed: the port is not open');
    this.connected = true;
    this.lastSampleAt = this.clock.now();
    this.subs.push(
      this.transport.data$.subscribe((chunk) => this.onChunk(chunk)),
      this.transport.lost$.subscribe((e) => this.onLost(`vitals feed port lost: ${e.message}`)),
    );
    this.arm(this.lostAfterMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    this.samplesSubject.complete();
    this.faultsSubject.complete();
    await this.transport.close();
  }

  private onChunk(chunk: Uint8Array): void {
    const { lines, overflows } = this.splitter.push(chunk);
    if (overflows) this.bad(overflows, 'line too long');
    for (const line of lines) this.onLine(line);
  }

  private onLine(text: string): void {
    if (text.trim() === '') return;
    this.stats.lines++;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.bad(1, 'not JSON');
      return;
    }
    const r = VitalsLineSchema.safeParse(json);
    if (!r.success) {
      this.bad(1, r.error.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; '));
      return;
    }
    const line = r.data;
    if (line.t < this.lastMonitorT) {
      this.stats.outOfOrder++;
      return;
    }
    this.lastMonitorT = line.t;
    const now = this.clock.now();
    const sample: MonitorSample = { t: now - line.ageMs, source: line.source ?? this.source };
    if (line.spo2Pct !== undefined) sample.spo2Pct = line.spo2Pct;
    if (line.mapMmHg !== undefined) sample.mapMmHg = line.mapMmHg;
    if (line.sbpMmHg !== undefined) sample.sbpMmHg = line.sbpMmHg;
    if (line.hrBpm !== undefined) sample.hrBpm = line.hrBpm;
    this.stats.samples++;
    this.lastSampleAt = now;
    if (this.lost) {
      this.lost = false;
      this.arm(this.lostAfterMs);
    }
    this.samplesSubject.next(sample);
  }

  private bad(n: number, problem: string): void {
    this.stats.badLines += n;
    this.stats.lastProblem = problem;
  }

  private arm(ms: number): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = null;
    const silent = this.clock.now() - this.lastSampleAt;
    if (silent < this.lostAfterMs) {
      this.arm(this.lostAfterMs - silent);
      return;
    }
    this.onLost(`no valid vitals line for ${Math.round(silent)} ms (${this.stats.badLines} bad line(s) so far${this.stats.lastProblem ? `, last: ${this.stats.lastProblem}` : ''})`);
  }

  private onLost(message: string): void {
    if (this.closed || this.lost) return;
    this.lost = true;
    this.faultsSubject.next({ t: this.clock.now(), code: 'vitals-source-lost', message });
  }
}
