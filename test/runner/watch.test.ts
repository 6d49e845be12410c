/**
 * Issue 19 item 2: the post-maneuver watch wired to a simulated session. The watch never
 * writes to the ventilator; a scripted disconnection on the simulated patient is seen as a
 * loss of PEEP and the derecruitment it leaves behind.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WATCH_CONFIG } from '../../machines/index.js';
import { runSession } from '../../src/runner/drive.js';
import type { TelemetryEvent } from '../../src/runner/telemetry.js';
import { driveWatch, watchAfter } from '../../src/runner/watch.js';
import { openModerateArds } from '../support/simSession.js';

async function completedStaircase() {
  const { clock, sim } = await openModerateArds('staircase', 'end');
  const events: TelemetryEvent[] = [];
  sim.session.telemetry$.subscribe((e) => events.push(e));
  const writes: { t: number; change: unknown }[] = [];
  const apply = sim.ventilator.apply.bind(sim.ventilator);
  sim.ventilator.apply = (change) => {
    writes.push({ t: clock.now(), change });
    return apply(change);
  };
  const summary = await runSession(sim.session);
  expect(summary.outcome).toBe('completed');
  return { clock, sim, summary, events, writes };
}

describe('post-maneuver watch on the simulator', () => {
  it('watches 30 virtual minutes at the final settings, never writing to the ventilator, and journals start, findings and end', async () => {
    const { clock, sim, summary, events, writes } = await completedStaircase();
    const writesBefore = writes.length;
    const endOfManeuver = clock.now();
    sim.world.scheduleCircuitEvent({ kind: 'disconnection', atMs: endOfManeuver + 5 * 60_000, durationMs: 30_000 });
    const watch = watchAfter(sim.session, summary, DEFAULT_WATCH_CONFIG)!;
    const w = await driveWatch(watch, clock);
    await sim.session.close();
    expect(writesBefore).toBeGreaterThan(0);
    expect(writes.slice(writesBefore)).toEqual([]); // nothing written during the watch
    expect(clock.now() - endOfManeuver).toBe(30 * 60_000);
    expect(w.endedBy).toBe('time');
    expect(w.setPeepCmH2O).toBe(summary.verifiedSettings!.peepCmH2O);
    // the disconnection: a loss of PEEP, then the derecruitment it leaves (compliance down)
    expect(w.peepLosses).toHaveLength(1);
    expect(w.peepLosses[0]!.from - endOfManeuver).toBeGreaterThanOrEqual(5 * 60_000);
    expect(w.peepLosses[0]!.from - endOfManeuver).toBeLessThan(5 * 60_000 + 7000);
    const causes = w.advisories.map((a) => a.cause);
    expect(causes[0]).toBe('peep-lost');
    expect(causes).toContain('compliance-fall');
    expect(w.alarms.map((a) => a.guard)).toContain('deliveryMismatch');
    // on the telemetry (journal, console): started, each finding, ended; alarms as alarms too
    const watchEvents = events.filter((e) => e.kind === 'watch');
    expect(watchEvents[0]).toMatchObject({ stage: 'started', plannedMs: 30 * 60_000 });
    expect(watchEvents.at(-1)).toMatchObject({ stage: 'ended', summary: { endedBy: 'time' } });
    expect(watchEvents.filter((e) => e.kind === 'watch' && e.stage === 'finding')).toHaveLength(w.advisories.length + w.alarms.length);
    expect(events.filter((e) => e.kind === 'alarm' && /post-maneuver watch/.test(e.message)).length).toBe(w.alarms.length);
  }, 30_000);

  it('without an event nothing is raised; the operator can end the watch early', async () => {
    const { clock, sim, summary } = await completedStaircase();
    const watch = watchAfter(sim.session, summary, { ...DEFAULT_WATCH_CONFIG, durationMin: 10 })!;
    clock.setTimeout(() => watch.end('operator'), 4 * 60_000);
    const w = await driveWatch(watch, clock);
    await sim.session.close();
    expect(w).toMatchObject({ endedBy: 'operator', watchedMs: 4 * 60_000, advisories: [], alarms: [], derecruitmentSuspected: false });
  }, 30_000);

  it('no watch after an aborted maneuver, or when disabled', async () => {
    const { sim, summary } = await completedStaircase();
    expect(watchAfter(sim.session, summary, { ...DEFAULT_WATCH_CONFIG, durationMin: 0 })).toBeNull();
    expect(watchAfter(sim.session, { ...summary, outcome: 'aborted' }, DEFAULT_WATCH_CONFIG)).toBeNull();
    await sim.session.close();
  }, 30_000);
});
