/** Issue 19 item 2: `rmseq run --watch-min/--watch-event` end to end (child process, virtual clock). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';

beforeAll(() => assertBuilt());

describe('rmseq run: post-maneuver watch', () => {
  it('a scripted disconnection: --json carries the advisories with their evidence, the journal the watch, no command during the watch, the outcome last', async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'rmseq-watch-')), 'j.jsonl');
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--json', '--watch-event', 'disconnection@5:30', '--journal', journal]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { outcome, watch } = JSON.parse(r.stdout);
    expect(outcome).toBe('completed');
    expect(watch).toMatchObject({ plannedMs: 1_800_000, watchedMs: 1_800_000, endedBy: 'time', derecruitmentSuspected: true });
    expect(watch.advisories[0]).toMatchObject({ cause: 'peep-lost', evidence: { setPeepCmH2O: watch.setPeepCmH2O } });
    expect(watch.advisories[0].message).toMatch(/derecruitment suspected: consider re-recruitment/);
    expect(watch.peepLosses[0].to - watch.peepLosses[0].from).toBeGreaterThanOrEqual(24_000);
    const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l.slice(l.indexOf('{'))));
    // the watch runs while the completed maneuver waits: its lines come before the outcome, which stays last
    expect(lines.at(-1)).toMatchObject({ event: 'outcome', summary: { outcome: 'completed', state: 'finished' } });
    const watchAt = lines.findIndex((l) => l.event === 'watch');
    const during = lines.slice(watchAt, -1);
    expect(during.filter((l) => l.event === 'watch').map((l) => l.stage)).toEqual(['started', ...watch.advisories.concat(watch.alarms).map(() => 'finding'), 'ended']);
    expect(during.some((l) => l.event === 'command' || l.event === 'readback' || l.event === 'apply-error')).toBe(false);
    // the HTML report shows the watch with its verdict and findings
    const html = join(journal, '..', 'r.html');
    expect((await runCli(['report', journal, '--out', html])).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/<h2 id="watch">Post-maneuver watch<\/h2>/);
    expect(page).toMatch(/id="watch-verdict">Derecruitment suspected: consider re-recruitment/);
    expect(page).toMatch(/ADVISORY PEEP lost since \+5:0\d into the watch/);
  }, 90_000);

  it('the readable output says the controller changes nothing, lists findings with times and ends with the verdict', async () => {
    const r = await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--watch-min', '10', '--watch-event', 'suction@2:20']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/watching for 10 min at the final settings .*changes nothing/);
    expect(r.stdout).toMatch(/\+2:0\d ADVISORY PEEP lost since \+2:0\d into the watch/);
    expect(r.stdout).toMatch(/Post-maneuver watch at PEEP [\d.]+ cmH2O: 10:00 of 10:00 \(ended by time\)/);
    expect(r.stdout).toMatch(/=> derecruitment suspected: consider re-recruitment/);
  }, 60_000);

  it('--watch-min 0 disables the watch (watch: null); without events nothing is suspected', async () => {
    const off = JSON.parse((await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--json', '--watch-min', '0'])).stdout);
    expect(off.watch).toBeNull();
    const on = JSON.parse((await runCli(['run', 'sustained-inflation', '--patient', 'moderate-ards', '--json'])).stdout);
    expect(on.watch).toMatchObject({ plannedMs: 1_800_000, derecruitmentSuspected: false, advisories: [], alarms: [] });
  }, 60_000);

  it.each([
    [['--watch-min', '500'], /--watch-min = "500": must be a number of minutes between 0 and 240/],
    [['--watch-min', 'x'], /--watch-min = "x"/],
    [['--watch-event', 'fire@3'], /--watch-event = "fire@3": must be <disconnection\|suction>@/],
    [['--watch-event', 'disconnection@45'], /below --watch-min 30/],
    [['--watch-event', 'suction@1:900'], /1-600/],
    [['--watch-min', '0', '--watch-event', 'suction@1'], /needs a post-maneuver watch/],
  ])('bad watch flags %j are refused before anything starts (exit 2)', async (flags, message) => {
    const r = await runCli(['run', 'staircase', '--patient', 'moderate-ards', ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--watch-event is for the simulator only', async () => {
    const r = await runCli(['run', 'staircase', '--device', 'makair:/dev/null', '--vitals', 'line:/dev/null', '--watch-event', 'suction@1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--watch-event is for the simulator/);
  });
});
