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
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Observable, Subscription } from 'rxjs';
import { FileSink } from './fileSink.js';
import type { Protocol } from '../../machines/index.js';
import type { TelemetryEvent } from '../runner/telemetry.js';

export const JOURNAL_FORMAT = 'rm-sequencer-journal/1';

export interface JournalOptions {
  /** 'write': each line is written before the call returns; 'fsync': and synced to disk. */
  durability?: 'write' | 'fsync';
  /** Keep every Nth SAMPLE and TICK input (1 = all, exact replay). */
  decimate?: number;
  /** Where the lines go instead of the file at `path` (tests: a destination that fails like a full disk). */
  destination?: DestinationStream;
}

/** The first write that failed: the journal holds lines 1..line-1 (the last one maybe torn). */
export interface JournalFailure {
  code: string;
  message: string;
  /** The line number that could not be written. */
  line: number;
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
  private readonly stream: DestinationStream & { flushSync?: () => void; end?: () => void; on?: (event: 'error', fn: (e: unknown) => void) => unknown };
  private failed: JournalFailure | null = null;
  private readonly failureListeners: Array<(f: JournalFailure) => void> = [];

  private constructor(readonly path: string, options: JournalOptions) {
    this.decimate = Math.max(1, Math.floor(options.decimate ?? 1));
    this.stream = options.destination ?? new FileSink(path, options.durability === 'fsync');
    // A stream that reports write errors (ENOSPC, EIO) as events: unheard, they would be uncaught exceptions.
    this.stream.on?.('error', (e: unknown) => this.onWriteError(e));
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

  /**
   * Writes one event line. A write that fails (disk full, I/O error) is not thrown: the
   * journal stops there (nothing after a gap could be trusted) and reports it once to
   * `onFailure`, whose owner aborts the maneuver.
   */
  write(event: string, data: Record<string, unknown>): void {
    if (this.failed) return;
    try {
      this.log.info({ ...data, line: ++this.lineNo, event });
    } catch (e) {
      this.onWriteError(e);
    }
  }

  /** The write failure that stopped this journal, if any. */
  get failure(): JournalFailure | null {
    return this.failed;
  }

  /** Calls `fn` once when a write fails (at once if one already has). */
  onFailure(fn: (f: JournalFailure) => void): void {
    if (this.failed) fn(this.failed);
    else this.failureListeners.push(fn);
  }

  private onWriteError(e: unknown): void {
    if (this.failed) return;
    const err = e as NodeJS.ErrnoException;
    this.failed = { code: err?.code ?? 'EIO', message: err?.message ?? String(e), line: this.lineNo };
    for (const fn of this.failureListeners.splice(0)) fn(this.failed);
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
    try {
      this.stream.flushSync?.();
      this.stream.end?.();
    } catch (e) {
      this.onWriteError(e);
    }
  }
}
