import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { defaultProtocol } from '../../machines/index.js';
import { Journal } from '../../src/journal/journal.js';
import { readJournal } from '../../src/journal/read.js';
import { findUnfinished, recoverBaseline } from '../../src/journal/recover.js';
import { Session } from '../../src/runner/session.js';
import { BASELINE, NORMAL_VITALS } from '../support/driver.js';
import { FakeVentilator } from '../support/fakeVentilator.js';
import { ScriptedVitals } from '../support/scriptedVitals.js';

/** Runs a staircase into its third step, then "crashes": the journal is left without an outcome. */
async function crashedJournal(spo2Pct: number = NORMAL_VITALS.spo2Pct): Promise<{ path: string; ventilator: FakeVentilator; clock: VirtualClock }> {
  const path = join(mkdtempSync(join(tmpdir(), 'rmseq-recover-')), 'j.jsonl');
  const clock = new VirtualClock(0);
  const ventilator = new FakeVentilator({ ...BASELINE }, clock);
  const vitals = new ScriptedVitals(clock, () => ({ ...NORMAL_VITALS, spo2Pct }));
  const protocol = defaultProtocol('staircase');
  const session = await Session.open({ maneuver: 'staircase', protocol, ventilator, vitals, clock });
  const journal = Journal.open(path);
  journal.header({ versions: {}, maneuver: 'staircase', protocol, clock: 'virtual', device: 'fake' });
  journal.attach(session.telemetry$);
  session.begin();
  for (let i = 0; i < 300; i++) {
    clock.advanceBy(1000);
    await Promise.resolve();
    await Promise.resolve();
  }
  journal.close(); // the process dies here: no outcome line
  return { path, ventilator, clock };
}

/** Settles a promise whose device replies on the virtual clock. */
async function onClock<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  while (!done) {
    clock.advanceBy(100);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

describe('crash recovery', () => {
  it('after pre-oxygenation, recovery restores the baseline with FiO2 kept at the pre-oxygenation FiO2 (H37)', async () => {
    // SpO2 87 < 90: the staircase pre-oxygenates (FiO2 1.0) before its steps; the process dies in them.
    const { path, ventilator, clock } = await crashedJournal(87);
    const u = findUnfinished(readJournal(path));
    expect(u?.restore).toEqual({ ...BASELINE, fio2: 1 });
    const r = await onClock(clock, recoverBaseline(u!, ventilator, { journal: Journal.open(path) }));
    expect(r.restored).toBe(true);
    expect(ventilator.settings).toEqual({ ...BASELINE, fio2: 1 });
  });

  it('finds the unfinished maneuver and restores the recorded baseline, verified, journaled', async () => {
    const { path, ventilator, clock } = await crashedJournal();
    expect(ventilator.settings.peepCmH2O).toBe(40); // left at maneuver pressure
    const u = findUnfinished(readJournal(path));
    expect(u).toMatchObject({ maneuver: 'staircase', baseline: BASELINE, lastState: 'active.incremental.dwelling' });
    expect(u?.lastCommand?.settings.peepCmH2O).toBe(40);
    const r = await onClock(clock, recoverBaseline(u!, ventilator, { journal: Journal.open(path) }));
    expect(r).toMatchObject({ restored: true, alreadyAtBaseline: false, attempts: 1 });
    expect(ventilator.settings).toEqual(BASELINE);
    // Recovered: a second look finds nothing to do.
    expect(findUnfinished(readJournal(path))).toBeNull();
  });

  it('reports a failed restore (and keeps the session unfinished)', async () => {
    const { path, ventilator, clock } = await crashedJournal();
    ventilator.failWith = new Error('link down');
    const u = findUnfinished(readJournal(path))!;
    const r = await onClock(clock, recoverBaseline(u, ventilator, { journal: Journal.open(path), attempts: 2 }));
    expect(r.restored).toBe(false);
    expect(r.errors).toHaveLength(2);
    expect(findUnfinished(readJournal(path))).not.toBeNull();
  });

  it('says nothing is unfinished when the session ended', async () => {
    const { path } = await crashedJournal();
    const j = readJournal(path);
    expect(findUnfinished({ ...j, outcome: { line: 1, event: 'outcome', summary: {} } })).toBeNull();
  });
});
