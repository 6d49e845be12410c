/**
 * The emulated patient monitor: writes the simulated patient's vitals (SpO2, MAP/SBP, HR from
 * `SimMonitor`) as a line-oriented JSON feed on a second port, one line per sample, each with
 * the monitor's timestamp and the age of its values (the format `LineVitalsSource` reads; see
 * hal/vitals/line.ts). It can fall silent or write garbage lines, to exercise the reader.
 */
import { every, type Clock } from '../common/clock.js';
import type { SimWorld } from '../hal/simulated/world.js';
import type { ByteTransport } from '../hal/serial/transport.js';
import { formatVitalsLine } from '../hal/vitals/index.js';
import { FLUSH_LIMIT_MS, WriteQueue } from './writeQueue.js';

export interface VitalsFeedOptions {
  transport: ByteTransport;
  clock: Clock;
  world: SimWorld;
  /** One line per period (default 1000 ms). */
  periodMs?: number;
  /** Age stated for every sample: processing delay of the monitor (default 0). */
  ageMs?: number;
  /** `source` written in each line (default 'sim-monitor'). */
  source?: string;
}

export interface VitalsFeedStats {
  lines: number;
  garbageLines: number;
  writeErrors: number;
}

/**
 * @example
 * const feed = new VitalsFeedEmulator({ transport: vitalsPort, clock, world });
 * feed.start();
 * feed.silence(true); // the monitor cable is pulled
 */
export class VitalsFeedEmulator {
  readonly stats: VitalsFeedStats = { lines: 0, garbageLines: 0, writeErrors: 0 };
  private readonly periodMs: number;
  private readonly ageMs: number;
  private readonly source: string;
  private stop: (() => void) | null = null;
  private silent = false;
  private seq = 0;
  private readonly queue: WriteQueue;

  constructor(private readonly o: VitalsFeedOptions) {
    this.queue = new WriteQueue(o.transport, () => this.stats.writeErrors++);
    this.periodMs = o.periodMs ?? 1000;
    this.ageMs = o.ageMs ?? 0;
    this.source = o.source ?? 'sim-monitor';
    if (!(this.periodMs > 0)) throw new TypeError(`VitalsFeedEmulator option periodMs must be positive (got ${this.periodMs})`);
    if (!(this.ageMs >= 0 && this.ageMs <= 60_000)) throw new TypeError(`VitalsFeedEmulator option ageMs must be within 0-60000 (got ${this.ageMs})`);
  }

  get silenced(): boolean {
    return this.silent;
  }

  start(): void {
    this.o.world.start();
    this.stop ??= every(this.o.clock, this.periodMs, () => this.emit());
  }

  /** Stops (true) or resumes (false) the feed, as a pulled or replugged monitor cable. */
  silence(on: boolean): void {
    this.silent = on;
  }

  /** Writes `n` lines the reader must reject (not JSON, wrong types, no vital sign). */
  garbage(n: number): void {
    const samples = ['this is not JSON', '{"t":"soon","spo2Pct":"high"}', '{"t":1,"note":"no vitals here"}', '{"t":1,"spo2Pct":140}'];
    for (let i = 0; i < n; i++) {
      this.write(`${samples[i % samples.length]}\n`);
      this.stats.garbageLines++;
    }
  }

  async close(): Promise<void> {
    this.stop?.();
    this.stop = null;
    await this.queue.flushed({ clock: this.o.clock, limitMs: FLUSH_LIMIT_MS });
  }

  private emit(): void {
    if (this.silent || !this.o.transport.isOpen || this.queue.pending > 16) return;
    const { world, clock } = this.o;
    world.catchUp();
    const now = clock.now();
    const v = world.monitor.vitals(now);
    if (Object.keys(v).length === 0) return; // every sensor in a dropout: the monitor sends nothing
    this.write(formatVitalsLine({ t: Math.round(now), ageMs: this.ageMs, source: this.source, seq: this.seq++, ...v }));
    this.stats.lines++;
  }

  private write(text: string): void {
    this.queue.write(new TextEncoder().encode(text));
  }
}
