/**
 * A journal that cannot be written (disk full, I/O error): the failure is caught, reported
 * once, no further line is written, and a running maneuver aborts once with the reason
 * `journal-failure`, restores and verifies its baseline, with no emergency-restore storm.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { settingsMatch } from '../../machines/index.js';
import { FileSink } from '../../src/journal/fileSink.js';
import { Journal, type JournalFailure } from '../../src/journal/journal.js';
import { runSession } from '../../src/runner/drive.js';
import { guardJournal } from '../../src/runner/journalGuard.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';
import { openModerateArds } from '../support/simSession.js';

/** A destination that takes `okLines` lines, then fails every write like a full disk. */
function fullAfter(okLines: number) {
  const lines: string[] = [];
  let attempts = 0;
  return {
    lines,
    attempts: () => attempts,
    write(s: string): void {
      attempts++;
      if (lines.length >= okLines) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      lines.push(s);
    },
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'rmseq-jfail-'));

describe('Journal write failures', () => {
  it('a write that throws (disk full) is caught, reported once, and no further line is written', () => {
    const dest = fullAfter(3);
    const journal = Journal.open(join(tmp(), 'j.jsonl'), { destination: dest });
    const failures: JournalFailure[] = [];
    journal.onFailure((f) => failures.push(f));
    for (let i = 0; i < 20; i++) expect(() => journal.write('note', { i })).not.toThrow();
    expect(dest.lines).toHaveLength(3);
    expect(dest.attempts()).toBe(4); // the failed one, then nothing more
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'ENOSPC', line: 4 });
    expect(journal.failure?.code).toBe('ENOSPC');
    expect(() => journal.close()).not.toThrow();
  });

  it("a stream's error event (ENOSPC) is caught the same way, never an uncaught error", () => {
    const stream = new EventEmitter() as EventEmitter & { write: (s: string) => void };
    stream.write = () => void stream.emit('error', Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const journal = Journal.open(join(tmp(), 'j.jsonl'), { destination: stream });
    const failures: JournalFailure[] = [];
    journal.onFailure((f) => failures.push(f));
    for (let i = 0; i < 5; i++) journal.write('note', { i });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.code).toBe('ENOSPC');
    expect(() => journal.close()).not.toThrow();
  });

  it('the journal file itself on a full device (/dev/full): the write fails, is reported once, and close does not block', () => {
    // `--journal /dev/full` is refused up front (not a regular file); here the file sink itself
    // writes to the full device, as a journal on a disk that fills up would.
    const journal = Journal.open(join(tmp(), 'j.jsonl'), { destination: new FileSink('/dev/full', false) });
    const failures: JournalFailure[] = [];
    journal.onFailure((f) => failures.push(f));
    const started = Date.now();
    for (let i = 0; i < 5; i++) journal.write('note', { i });
    journal.close();
    expect(failures).toEqual([expect.objectContaining({ code: 'ENOSPC', line: 1 })]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a listener registered after the failure still hears of it (once)', () => {
    const journal = Journal.open(join(tmp(), 'j.jsonl'), { destination: fullAfter(0) });
    journal.write('note', {});
    journal.write('note', {});
    const failures: JournalFailure[] = [];
    journal.onFailure((f) => failures.push(f));
    expect(failures).toHaveLength(1);
  });

  it('a disk full mid-maneuver aborts once with journal-failure, restores and verifies the baseline, no emergency restores', async () => {
    const { sim } = await openModerateArds('staircase', 'end');
    const dest = fullAfter(400);
    const journal = Journal.open(join(tmp(), 'j.jsonl'), { destination: dest });
    const events: TelemetryEvent[] = [];
    sim.session.telemetry$.subscribe((e) => events.push(e));
    journal.attach(sim.session.telemetry$);
    const stop = guardJournal(journal, sim.session);
    const summary = await runSession(sim.session);
    stop();
    await sim.session.close();
    journal.close();
    expect(summary.outcome).toBe('aborted');
    expect(summary.abort?.reason).toBe('journal-failure');
    expect(summary.baselineVerified).toBe(true);
    expect(settingsMatch(summary.baseline, sim.world.patient.settings())).toBe(true);
    expect(events.filter((e) => e.kind === 'guard')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'fault' && e.code === 'journal-failure')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'alarm' && /emergency restore/.test(e.message))).toEqual([]);
    expect(events.some((e) => e.kind === 'alarm' && /journal .*incomplete/i.test(e.message))).toBe(true);
    expect(dest.lines).toHaveLength(400);
    expect(dest.attempts()).toBe(401);
  });

  it('a journal file on a real path still works as before (no destination given)', () => {
    const path = join(tmp(), 'ok.jsonl');
    const journal = Journal.open(path);
    journal.write('note', { a: 1 });
    journal.close();
    expect(JSON.parse(readFileSync(path, 'utf8').trim())).toMatchObject({ event: 'note', a: 1, line: 1 });
  });
});
