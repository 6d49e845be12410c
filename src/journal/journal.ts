/**
 * The audit journal: one JSON line per event (pino), append-only. Lines are written
 * synchronously, so a crash loses nothing already acknowledged; with durability 'fsync'
 * (device sessions) every line is also fsync'ed to disk.
 *
 * Every event sent to the machine is journaled ('input'), so `rmseq replay` can re-run the
 * machine and check it reaches the same decisions; samples and ticks may be decimated for
 * long sessions, which makes a replay approximate (it says so).
 */
import { closeSync, openSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { Observable, Subscription } from 'rxjs';
import type { Protocol } from '../../machines/index.js';
import type { TelemetryEvent } from '../runner/telemetry.js';

export const JOURNAL_FORMAT = 'rm-sequencer-journal/1';

export interface JournalOptions {
  /** 'write': each line is written before the call returns; 'fsync': and synced to disk. */
  durability?: 'write' | 'fsync';
  /** Keep every Nth SAMPLE and TICK input (1 = all, exact replay). */
  decimate?: number;
}

/** What a session journals about itself at the start. */
export interface SessionHeader {
  versions: Record<string, string>;
  maneuver: string;
  protocol: Protocol;
  patient?: unknown;
  seed?: number;
  device?: string;
  clock: 'virtual' | 'wall';
  argv?: string[];
}

export class Journal {
  private readonly log: Logger;
  private readonly decimate: number;
  private lineNo = 0;
  private sampleCount = 0;
  private tickCount = 0;
  private sub: Subscription | null = null;
  private readonly stream: ReturnType<typeof pino.destination>;

  private constructor(readonly path: string, options: JournalOptions) {
    this.decimate = Math.max(1, Math.floor(options.decimate ?? 1));
    this.stream = pino.destination({ dest: path, sync: true, append: true, mkdir: true, fsync: options.durability === 'fsync' });
    this.log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg', level: 'info' }, this.stream);
  }

  /**
   * Opens (creates or appends to) a journal. Fails at once, before any maneuver starts,
   * when the path cannot be written.
   *
   * @example
   * const journal = Journal.open('session.jsonl', { durability: 'fsync' });
   */
  static open(path: string, options: JournalOptions = {}): Journal {
    // Probe writability synchronously so a bad path fails before anything starts.
    closeSync(openSync(path, 'a'));
    return new Journal(path, options);
  }

  /** Writes one event line. */
  write(event: string, data: Record<string, unknown>): void {
    this.log.info({ ...data, line: ++this.lineNo, event });
  }

  header(h: SessionHeader): void {
    this.write('session-start', { format: JOURNAL_FORMAT, ...h });
  }

  /** Journals a session's telemetry until it completes (a journal follows one session at a time). */
  attach(telemetry$: Observable<TelemetryEvent>): void {
    this.sub?.unsubscribe();
    this.sub = telemetry$.subscribe((e) => this.record(e));
  }

  record(e: TelemetryEvent): void {
    switch (e.kind) {
      case 'input': {
        const type = e.event.type;
        if (type === 'SAMPLE' && this.sampleCount++ % this.decimate !== 0) return;
        if (type === 'TICK' && this.tickCount++ % this.decimate !== 0) return;
        this.write('input', { t: e.t, input: e.event, ...(this.decimate > 1 ? { decimate: this.decimate } : {}) });
        return;
      }
      case 'session':
        this.write('device', { t: e.t, device: e.device, baseline: e.baseline, maneuver: e.maneuver });
        return;
      case 'outcome':
        this.write('outcome', { t: e.t, summary: e.summary });
        return;
      default: {
        const { kind, ...rest } = e;
        this.write(kind, rest);
      }
    }
  }

  close(): void {
    this.sub?.unsubscribe();
    this.stream.flushSync();
    this.stream.end();
  }
}
