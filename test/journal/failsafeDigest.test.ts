/**
 * FAILSAFE in the journal: state changes and a periodic summary, not a line per retry
 * (finding: about 670 journal lines a minute at --speed 20), and the journal still replays.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProtocol } from '../../machines/index.js';
import { FailsafeWatch } from '../../src/cli/failsafe.js';
import { failsafeDigest } from '../../src/journal/failsafeDigest.js';
import { Journal } from '../../src/journal/journal.js';
import { readJournal } from '../../src/journal/read.js';
import { replayJournal } from '../../src/journal/replay.js';
import { runSession } from '../../src/runner/drive.js';
import { openModerateArds } from '../support/simSession.js';

async function failsafeFor(ms: number, healAfterMs: number | null) {
  const { clock, sim } = await openModerateArds('high-pressure-pcv', 'wait');
  const { session } = sim;
  const path = join(mkdtempSync(join(tmpdir(), 'rmseq-digest-')), 'j.jsonl');
  const journal = Journal.open(path);
  journal.header({ versions: {}, maneuver: 'high-pressure-pcv', protocol: defaultProtocol('high-pressure-pcv'), device: 'simulator', clock: 'virtual' });
  journal.attach(session.telemetry$.pipe(failsafeDigest()));
  const watch = new FailsafeWatch(session, { stdin: null, interactive: false, timeoutMs: ms, write: () => undefined });
  let retries = 0;
  let inFailsafe = false;
  session.telemetry$.subscribe((e) => {
    if (e.kind === 'state' && e.state === 'active.highPressure.dwelling' && !sim.ventilator.faults.refuseApplies) {
      sim.ventilator.faults.refuseApplies = 1_000_000;
      clock.setTimeout(() => session.operator('abort', 'test'), 5_000);
    }
    if (e.kind === 'state' && e.state.startsWith('failsafe') && !inFailsafe) {
      inFailsafe = true;
      if (healAfterMs !== null) clock.setTimeout(() => (sim.ventilator.faults.refuseApplies = 0), healAfterMs);
    }
    if (inFailsafe && e.kind === 'command') retries++;
  });
  const summary = await runSession(session);
  watch.stop();
  await session.close();
  journal.close();
  return { summary, retries, parsed: readJournal(path) };
}

describe('FAILSAFE in the journal', () => {
  it('ten minutes of failsafe: a bounded digest (state changes, one summary a minute), not every retry; replay agrees', async () => {
    const { summary, retries, parsed } = await failsafeFor(600_000, null);
    expect(summary.outcome).toBe('failsafe');
    expect(retries).toBeGreaterThan(100);
    const start = parsed.lines.findIndex((l) => l.event === 'state' && String(l['state']).startsWith('failsafe'));
    const during = parsed.lines.slice(start);
    const noisy = during.filter((l) => l.event === 'command' || l.event === 'apply-error' || l.event === 'state' || (l.event === 'input' && (l['input'] as { type: string }).type === 'APPLY_FAILED'));
    expect(noisy.length).toBeLessThan(5);
    const summaries = during.filter((l) => l.event === 'alarm' && /^FAILSAFE for /.test(String(l['message'])));
    expect(summaries.length).toBeGreaterThanOrEqual(9);
    expect(summaries.length).toBeLessThanOrEqual(11);
    expect(during.some((l) => l.event === 'state' && l['state'] === 'halted')).toBe(true);
    const replay = replayJournal(parsed);
    expect(replay.differences).toEqual([]);
  });

  it('a failsafe resolved by a later retry is journaled (failsafe.restored) and replays the same outcome', async () => {
    const { summary, parsed } = await failsafeFor(600_000, 120_000);
    expect(summary).toMatchObject({ outcome: 'failsafe', baselineVerified: true });
    expect(parsed.lines.some((l) => l.event === 'state' && l['state'] === 'failsafe.restored')).toBe(true);
    expect(parsed.lines.some((l) => l.event === 'alarm' && /FAILSAFE resolved/.test(String(l['message'])))).toBe(true);
    expect(replayJournal(parsed).differences).toEqual([]);
  });
});
