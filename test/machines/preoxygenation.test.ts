/**
 * Pre-oxygenation before the first step (issue 15, item 8): FiO2 raised and held until SpO2
 * settles (bounded), preconditions and the desaturation guard relative to the pre-oxygenated SpO2
 * with an absolute critical floor, FiO2 per protocol at the end (weaned by SpO2 by default:
 * test/machines/finalFio2.test.ts), and kept on abort.
 */
import { describe, expect, it } from 'vitest';
import {
  checkPreconditions,
  DEFAULT_SAFETY,
  emptyLatest,
  ProtocolSchema,
  relativeSpo2Floor,
  restoreTargetOf,
} from '../../machines/index.js';
import { BASELINE, Driver } from '../support/driver.js';

const SEVERE = { spo2Pct: 81, mapMmHg: 78, sbpMmHg: 115, hrBpm: 90 };

/** A patient whose SpO2 follows FiO2: `low` on the baseline FiO2, `high` once FiO2 is 1.0 (after `lagMs`). */
function oxygenResponder(d: Driver, low: number, high: number, lagMs = 30_000): void {
  let raisedAt: number | null = null;
  d.vitals.spo2Pct = low;
  const step = () => {
    const fio2 = d.context.verified?.fio2 ?? BASELINE.fio2;
    if (fio2 >= 0.99 && raisedAt === null) raisedAt = d.now;
    if (fio2 < 0.99) raisedAt = null;
    d.vitals.spo2Pct = raisedAt !== null && d.now - raisedAt >= lagMs ? high : low;
  };
  const orig = d.sample.bind(d);
  d.sample = (extra = {}) => {
    step();
    orig(extra);
  };
}

describe('pre-oxygenation', () => {
  it('a patient near the floor: FiO2 1.0 first, held until SpO2 settles, then the RM on FiO2 1.0; the guard measures from the settled SpO2', async () => {
    const d = new Driver('sustained-inflation');
    d.vitals = { ...SEVERE };
    oxygenResponder(d, 81, 88);
    d.start();
    expect(d.state).toBe('active.preoxygenation.applying');
    expect(d.lastCommand?.settings).toEqual({ ...BASELINE, fio2: 1 });
    expect(d.context.run.preconditionIssues.find((i) => i.code === 'spo2-low-preoxygenation-first')?.severity).toBe('warn');
    await d.runUntilState('active.inflation', 10 * 60_000);
    const holds = d.context.steps.filter((s) => s.phase === 'preoxygenation');
    // Hold 1 (FiO2 changed; SpO2 81 -> 88 within it) never counts as settled; hold 2 differs from
    // it by 3.5 points: not settled either; hold 3 is within 1 point of hold 2: settled at 88.
    expect(holds.map((h) => h.spo2Pct)).toEqual([84.5, 88, 88]);
    expect(holds.every((h) => h.endedAt - h.startedAt === 60_000)).toBe(true);
    // Only one command for the whole pre-oxygenation: the holds do not re-apply the same settings.
    expect(d.commands.filter((c) => c.settings.fio2 === 1 && c.settings.mode === 'VC')).toHaveLength(1);
    expect(d.context.run.preox).toMatchObject({ fio2: 1, spo2Pct: 88 });
    expect(d.context.run.guardVitals?.spo2Pct).toBe(88);
    await d.run(5000);
    expect(d.lastCommand?.settings).toMatchObject({ mode: 'CPAP', peepCmH2O: 40, fio2: 1 });
  });

  it('after pre-oxygenation a fall below the relative floor aborts (88 - 5 = 83), a dip that stays above it does not', async () => {
    const d = new Driver('sustained-inflation');
    d.vitals = { ...SEVERE };
    oxygenResponder(d, 81, 88);
    d.start();
    await d.runUntilState('active.inflation.dwelling', 10 * 60_000);
    d.sample({ spo2Pct: 84 });
    expect(d.state).toBe('active.inflation.dwelling');
    // Below 83 (the floor relative to 88) for longer than the desaturation delay: abort.
    await d.run(15_000, { until: (x) => x.state.startsWith('aborting') });
    const before = d.state;
    d.vitals.spo2Pct = 82;
    const orig = d.sample;
    d.sample = (extra = {}) => orig({ spo2Pct: 82, ...extra });
    await d.run(15_000, { until: (x) => x.state.startsWith('aborting') });
    expect(before).toBe('active.inflation.dwelling');
    expect(d.context.abort?.reason).toBe('desaturation');
    // The abort keeps FiO2 1.0 (not the baseline's 0.6), and says so.
    expect(d.lastCommand?.purpose).toBe('restore-baseline');
    expect(d.lastCommand?.settings).toEqual({ ...BASELINE, fio2: 1 });
    expect(d.lastCommand?.label).toMatch(/FiO2 kept at 1/);
    await d.run(2000);
    expect(d.state).toBe('aborted');
    expect(d.context.verified).toEqual({ ...BASELINE, fio2: 1 });
  });

  it('the critical floor stays absolute: SpO2 79 aborts at once, whatever the reference', async () => {
    const d = new Driver('sustained-inflation');
    d.vitals = { ...SEVERE };
    oxygenResponder(d, 81, 88);
    d.start();
    await d.runUntilState('active.inflation.dwelling', 10 * 60_000);
    d.sample({ spo2Pct: 79 });
    expect(d.state).toBe('aborting.restoring');
    expect(d.context.abort?.guard).toBe('spo2Critical');
  });

  it('settled below the minimum: no RM, the baseline restored with FiO2 1.0 kept, for a stated reason', async () => {
    const d = new Driver('staircase');
    d.vitals = { ...SEVERE };
    oxygenResponder(d, 81, 83);
    d.start();
    await d.runUntilState('aborting', 10 * 60_000);
    expect(d.context.abort).toMatchObject({ reason: 'desaturation', guard: 'preoxygenationInsufficient' });
    expect(d.context.abort?.message).toMatch(/83% on FiO2 1 .*below the 85%/);
    expect(d.commands.some((c) => c.label.startsWith('Recruitment'))).toBe(false);
    expect(d.lastCommand?.settings).toEqual({ ...BASELINE, fio2: 1 });
  });

  it('SpO2 that does not settle within maxS: no RM (bounded wait)', async () => {
    const d = new Driver('high-pressure-pcv', { protocol: { preoxygenation: { maxS: 180 } } });
    d.vitals = { ...SEVERE };
    // SpO2 climbs 2 points a minute: never within 1 point of the previous hold.
    const orig = d.sample.bind(d);
    const t0 = d.now;
    d.sample = (extra = {}) => orig({ spo2Pct: Math.min(99, 81 + Math.floor((d.now - t0) / 60_000) * 2), ...extra });
    d.start();
    await d.runUntilState('aborting', 10 * 60_000);
    expect(d.context.abort).toMatchObject({ reason: 'desaturation', guard: 'preoxygenationNotSettled' });
    // Three 60-s holds fit in 180 s; the third ends the wait (recorded as the aborted step).
    const holds = d.context.steps.filter((s) => s.phase === 'preoxygenation');
    expect(holds.map((h) => h.aborted ?? false)).toEqual([false, false, true]);
    expect(d.context.abort!.at - holds[0]!.startedAt).toBe(180_000);
    expect(d.context.abort?.message).toMatch(/did not settle within 1 points on FiO2 1 in 180 s/);
  });

  it('FiO2 unchanged (baseline already 1.0): the first hold counts when SpO2 is within the settle band of the baseline', async () => {
    const d = new Driver('sustained-inflation', { baseline: { ...BASELINE, fio2: 1 } });
    d.vitals = { ...SEVERE, spo2Pct: 87 };
    d.start();
    await d.runUntilState('active.inflation', 10 * 60_000);
    expect(d.context.steps.filter((s) => s.phase === 'preoxygenation')).toHaveLength(1);
  });

  it('if-needed: a patient at SpO2 94 is not pre-oxygenated (the RM starts at once, on the baseline FiO2); always: everyone is', async () => {
    const d = new Driver('sustained-inflation');
    d.start();
    expect(d.state).toBe('active.inflation.applying');
    expect(d.context.run.preox).toBeNull();
    expect(d.lastCommand?.settings.fio2).toBe(BASELINE.fio2);
    const a = new Driver('sustained-inflation', { protocol: { preoxygenation: { when: 'always' } } });
    a.start();
    expect(a.state).toBe('active.preoxygenation.applying');
  });

  it('never: the absolute floor applies as before and a patient at 81% is not started', () => {
    const d = new Driver('staircase', { protocol: { preoxygenation: { when: 'never' } } });
    d.vitals = { ...SEVERE };
    d.start();
    expect(d.state).toBe('notStarted');
    expect(d.context.run.preconditionIssues.some((i) => i.severity === 'block' && /spo2BelowFloor/.test(i.message))).toBe(true);
  });

  it('below the hard pre-oxygenation floor the start is refused even with pre-oxygenation', () => {
    const d = new Driver('staircase');
    d.vitals = { ...SEVERE, spo2Pct: 69 };
    d.start();
    expect(d.state).toBe('notStarted');
    expect(d.context.run.preconditionIssues.some((i) => i.severity === 'block' && /spo2Critical/.test(i.message))).toBe(true);
  });

  it('finalFio2 baseline (chosen by the protocol): the baseline FiO2 in the final settings; SpO2 falls from then on measured from the baseline SpO2', async () => {
    const d = new Driver('sustained-inflation', { protocol: { finalFio2: { afterPreoxygenation: 'baseline' } } });
    d.vitals = { ...SEVERE };
    oxygenResponder(d, 81, 88, 0);
    d.start();
    await d.runUntilState('active.assessment.dwelling', 10 * 60_000);
    expect(d.lastCommand?.settings).toEqual(BASELINE); // FiO2 0.6 again
    expect(d.context.run.guardVitals?.spo2Pct).toBe(81); // re-anchored: the return to 0.6 is not a desaturation
    await d.runUntilState('completed', 5 * 60_000);
    expect(d.state).toBe('completed');
  });

  it('the relative floor: the absolute floor lowered for a patient who starts near it, never below the critical floor', () => {
    expect(relativeSpo2Floor(DEFAULT_SAFETY, 99)).toBe(85);
    expect(relativeSpo2Floor(DEFAULT_SAFETY, 88)).toBe(83);
    expect(relativeSpo2Floor(DEFAULT_SAFETY, 84)).toBe(80);
  });

  it('the restore target keeps the raised FiO2 only once the run pre-oxygenates', () => {
    const run = { preox: { fio2: 1, reason: 'x', spo2Pct: null, settledAt: null } } as never;
    expect(restoreTargetOf({ baseline: BASELINE, run })).toEqual({ ...BASELINE, fio2: 1 });
    expect(restoreTargetOf({ baseline: BASELINE, run: { preox: null } as never })).toBe(BASELINE);
  });

  it('preconditions: SpO2 below the floor blocks without pre-oxygenation and only warns with it', () => {
    const latest = { ...emptyLatest(), spo2Pct: 81, spo2At: 0, mapMmHg: 78, mapAt: 0, sbpMmHg: 115, sbpAt: 0, hrBpm: 90, hrAt: 0, peakCmH2O: 30, peakAt: 0, peepCmH2O: 10, peepAt: 0 };
    const base = { now: 0, latest, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55, fault: null };
    expect(checkPreconditions(base).find((i) => /spo2BelowFloor/.test(i.message))?.severity).toBe('block');
    const withPreox = checkPreconditions({ ...base, preoxygenation: { fio2: 1, minSpo2Pct: 85, hardFloorSpo2Pct: 70 } });
    expect(withPreox.some((i) => i.severity === 'block')).toBe(false);
    expect(withPreox.find((i) => i.code === 'spo2-low-preoxygenation-first')?.message).toMatch(/FiO2 1 first.*85%/);
  });

  it('the schema names field, value and range', () => {
    const bad = (preoxygenation: object) => ProtocolSchema.safeParse({ maneuver: 'staircase', preoxygenation });
    expect(bad({ fio2: 1.2 }).error?.issues[0]).toMatchObject({ path: ['preoxygenation', 'fio2'], message: expect.stringMatching(/between 0.21 and 1/) });
    expect(bad({ when: 'sometimes' }).error?.issues[0]?.message).toMatch(/if-needed, always or never \(got "sometimes"\)/);
    expect(bad({ holdS: 120, maxS: 200 }).error?.issues[0]).toMatchObject({ path: ['preoxygenation', 'maxS'], message: expect.stringMatching(/two holds .*240/) });
    expect(ProtocolSchema.safeParse({ maneuver: 'staircase', preoxygenation: { minSpo2Pct: 82 }, safety: { spo2CriticalPct: 84, spo2FloorPct: 90 } }).error?.issues[0]).toMatchObject({
      path: ['preoxygenation', 'minSpo2Pct'],
      message: expect.stringMatching(/above safety.spo2CriticalPct \(84%; got 82\)/),
    });
  });
});

describe('a patient already below the critical floor on the baseline FiO2', () => {
  it('is pre-oxygenated (raising FiO2 is the treatment), not refused; the RM starts only once SpO2 settles at 85 % or above', async () => {
    const d = new Driver('sustained-inflation');
    d.vitals = { ...SEVERE, spo2Pct: 78 };
    oxygenResponder(d, 78, 88);
    d.start();
    expect(d.state).toBe('active.preoxygenation.applying');
    expect(d.context.run.preconditionIssues.filter((i) => i.severity === 'block')).toEqual([]);
    expect(d.context.run.preconditionIssues.find((i) => i.code === 'spo2-low-preoxygenation-first')?.severity).toBe('warn');
    await d.runUntilState('active.inflation', 10 * 60_000);
    expect(d.context.run.preox).toMatchObject({ fio2: 1, spo2Pct: 88 });
  });

  it('while FiO2 is being raised, a further fall of more than the allowed points aborts at once (78 -> 72), FiO2 kept high', async () => {
    const d = new Driver('sustained-inflation');
    d.vitals = { ...SEVERE, spo2Pct: 78 };
    d.start();
    await d.run(20_000);
    expect(d.state).toMatch(/^active\.preoxygenation/);
    d.vitals.spo2Pct = 72;
    await d.run(2000);
    expect(d.context.abort).toMatchObject({ reason: 'desaturation' });
    expect(restoreTargetOf(d.context).fio2).toBe(1);
  });

  it('below the hard pre-oxygenation floor (70 %) nothing starts', () => {
    const d = new Driver('sustained-inflation');
    d.vitals = { ...SEVERE, spo2Pct: 68 };
    d.start();
    expect(d.context.run.preconditionIssues.some((i) => i.severity === 'block')).toBe(true);
    expect(d.state).not.toMatch(/^active/);
  });
});

