/**
 * The audit journal: one JSON line per event (pino), append-only. Lines are written
 * synchronously, so a crash loses nothing already acknowledged; with durability 'fsync'
 * (device sessions) every line is also fsync'ed to disk.
 *
 * Every event sent to the machine is journaled ('input'), so `rmseq replay` can re-run the
 * machine and check it reaches the same decisions; samples and ticks may be decimated for
 * long sessions, which makes a replay approximate (it says so).
 */
import { randomUUID } from 'node:crypto';
import type { Observable, Subscription } from 'rxjs';
import { FileSink } from './fileSink.js';
import type { Protocol } from '../../machines/index.js';
import type { TelemetryEvent } from '../runner/telemetry.js';
import { GENESIS, JOURNAL_FORMAT, sealLine, sha256 } from './chain.js';
import type { DeviceIdentity } from './identity.js';
import { inspectJournalPath } from './path.js';
import { writeHead } from './head.js';

export { JOURNAL_FORMAT } from './chain.js';

export interface JournalOptions {
  /** 'write': each line is written before the call returns; 'fsync': and synced to disk. */
  durability?: 'write' | 'fsync';
  /** Keep every Nth SAMPLE and TICK input (1 = all, exact replay). */
  decimate?: number;
  /** HMAC key of the hash chain (`--journal-key`): edits without the key are detectable. */
  key?: Buffer;
  /** Where the lines go instead of the file at `path` (tests: a destination that fails like a full disk). */
  destination?: JournalDestination;
}

/** What the journal writes its lines to: a `FileSink`, or a test's stand-in. */
export interface JournalDestination {
  write(line: string): unknown;
  flushSync?: () => void;
  end?: () => void;
  on?: (event: 'error', fn: (e: unknown) => void) => unknown;
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
  /** The ventilator the session drives (absent on the simulator). */
  deviceIdentity?: DeviceIdentity;
  clock: 'virtual' | 'wall';
  argv?: string[];
}

export class Journal {
  private readonly decimate: number;
  private readonly key: Buffer | undefined;
  private lineNo: number;
  private link: string;
  private sampleCount = 0;
  private tickCount = 0;
  private sub: Subscription | null = null;
  private readonly stream: JournalDestination;
  private failed: JournalFailure | null = null;
  private readonly failureListeners: Array<(f: JournalFailure) => void> = [];
  /** Keeps `<journal>.head` up to date (not for a discarding journal). */
  private readonly anchored: boolean;
  /** The session the lines being written belong to (a new id at every header). */
  session: string = randomUUID();

  private constructor(readonly path: string, options: JournalOptions, start: { lines: number; link: string }) {
    this.decimate = Math.max(1, Math.floor(options.decimate ?? 1));
    this.key = options.key;
    this.lineNo = start.lines;
    this.link = start.link;
    this.anchored = path !== '/dev/null';
    this.stream = options.destination ?? new FileSink(path, options.durability === 'fsync');
    // A stream that reports write errors (ENOSPC, EIO) as events: unheard, they would be uncaught exceptions.
    this.stream.on?.('error', (e: unknown) => this.onWriteError(e));
  }

  /**
   * Opens (creates or appends to) a journal. Only a regular file that is new (or empty) or
   * an intact journal of this tool is accepted; anything else throws a `JournalError` before
   * any maneuver starts (nothing but a regular file is ever read). Appending continues the
   * file's hash chain.
   *
   * @example
   * const journal = Journal.open('session.jsonl', { durability: 'fsync' });
   */
  static open(path: string, options: JournalOptions = {}): Journal {
    const existing = inspectJournalPath(path, options.key);
    const journal = new Journal(path, options, { lines: existing.lines, link: existing.head });
    if (existing.tornTail) {
      // Close the fragment a crash left, and account for it in the chain.
      journal.stream.write('\n');
      journal.write('journal-resumed', { torn: { line: existing.tornTail.line, sha256: sha256(existing.tornTail.text) } });
    }
    return journal;
  }

  /**
   * A journal that computes every line and its link and discards them (to /dev/null):
   * for benchmarks of the journaling cost. `open` refuses anything but a regular file.
   *
   * @example
   * const journal = Journal.discarding();
   */
  static discarding(options: JournalOptions = {}): Journal {
    return new Journal('/dev/null', options, { lines: 0, link: GENESIS });
  }

  /**
   * Writes one event line, chained to the line before it. A write that fails (disk full, I/O
   * error) is not thrown: the journal stops there (nothing after a gap could be trusted) and
   * reports it once to `onFailure`, whose owner aborts the maneuver.
   */
  write(event: string, data: Record<string, unknown>): void {
    if (this.failed) return;
    // time, event, session and line first (a reader recognises a journal by its first bytes); data cannot override them.
    const record: Record<string, unknown> = { time: new Date().toISOString(), event, session: this.session, line: this.lineNo + 1, ...data };
    Object.assign(record, { event, session: this.session, line: this.lineNo + 1 });
    const { text, link } = sealLine(record, this.link, this.key);
    try {
      this.stream.write(`${text}\n`);
      this.lineNo++;
      this.link = link;
      if (this.anchored) writeHead(this.path, { line: this.lineNo, head: link }, this.key);
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
    this.failed = { code: err?.code ?? 'EIO', message: err?.message ?? String(e), line: this.lineNo + 1 };
    for (const fn of this.failureListeners.splice(0)) fn(this.failed);
  }

  /** Starts a new session in the journal: a fresh session id and the header line. */
  header(h: SessionHeader): void {
    this.session = randomUUID();
    this.write('session-start', { format: JOURNAL_FORMAT, integrity: this.key ? 'hmac-sha256' : 'sha256', ...h });
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
        this.write('device', { t: e.t, device: e.device, baseline: e.baseline, maneuver: e.maneuver, ...(e.patient ? { patient: e.patient } : {}), ...(e.deviceSettings ? { deviceSettings: e.deviceSettings } : {}) });
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
