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
import { pino } from 'pino';
import type { Observable, Subscription } from 'rxjs';
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
  private readonly stream: ReturnType<typeof pino.destination>;
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
    this.stream = pino.destination({ dest: path, sync: true, append: true, mkdir: true, fsync: options.durability === 'fsync' });
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

  /** Writes one event line, chained to the line before it. */
  write(event: string, data: Record<string, unknown>): void {
    // time, event, session and line first (a reader recognises a journal by its first bytes); data cannot override them.
    const record: Record<string, unknown> = { time: new Date().toISOString(), event, session: this.session, line: this.lineNo + 1, ...data };
    Object.assign(record, { event, session: this.session, line: this.lineNo + 1 });
    const { text, link } = sealLine(record, this.link, this.key);
    this.stream.write(`${text}\n`);
    this.lineNo++;
    this.link = link;
    if (this.anchored) writeHead(this.path, { line: this.lineNo, head: link }, this.key);
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
