/**
 * The FiO2 at the end of a completed maneuver after pre-oxygenation (protocol `finalFio2`):
 * `wean` lowers FiO2 towards the baseline's in weanStepFio2 steps held weanHoldS, steps back to
 * the previous FiO2 (verified) when the hold's SpO2 is below weanMinSpo2Pct, and ends there or on
 * the baseline FiO2; `keep` ends on the FiO2 in use; `baseline` drops to the baseline FiO2.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolSchema, weanFio2Value, weanMinSpo2Of } from '../../machines/index.js';
import { BASELINE, Driver } from '../support/driver.js';

/** SpO2 as a function of the verified FiO2 (a patient on the flat or steep part of the curve). */
function byFio2(d: Driver, table: Record<string, number>): void {
  const orig = d.sample.bind(d);
  d.sample = (extra = {}) => {
    const f = (d.context.verified ?? d.context.baseline).fio2.toFixed(1);
    d.vitals.spo2Pct = table[f] ?? 94;
    orig(extra);
  };
}

const ALWAYS = { preoxygenation: { when: 'always' as const } };

describe('finalFio2 wean (default after pre-oxygenation)', () => {
  it('steps FiO2 down by 0.1 each held 60 s at the final PEEP; SpO2 below 90 % after a hold: the previous FiO2 again (verified), and it ends there', async () => {
    const d = new Driver('sustained-inflation', { protocol: { ...ALWAYS, postRmPeep: { mode: 'baseline-plus', plusCmH2O: 5 } } });
    byFio2(d, { '1.0': 97, '0.9': 95, '0.8': 92, '0.7': 89, '0.6': 85 });
    d.start();
    await d.runUntilState('active.assessment.dwelling', 10 * 60_000);
    // The post-RM step keeps the FiO2 in use (the pre-oxygenation FiO2).
    expect(d.lastCommand?.settings).toMatchObject({ peepCmH2O: 15, fio2: 1 });
    await d.runUntilState('active.wean.dwelling', 5 * 60_000);
    expect(d.lastCommand).toMatchObject({ purpose: 'final', settings: { peepCmH2O: 15, fio2: 0.9 } });
    await d.runUntilState('completed', 10 * 60_000);
    const wean = d.context.steps.filter((s) => s.phase === 'wean');
    expect(wean.map((s) => [s.settings.fio2, s.spo2Pct])).toEqual([
      [0.9, 95],
      [0.8, 92],
      [0.7, 89],
      [0.8, expect.any(Number)],
    ]);
    expect(wean.slice(0, 3).every((s) => s.endedAt - s.startedAt === 60_000)).toBe(true);
    expect(wean[3]?.label).toMatch(/back to 0.8.*89.*below 90/);
    expect(d.lastCommand?.settings).toMatchObject({ peepCmH2O: 15, fio2: 0.8 });
    expect(d.context.verified?.fio2).toBe(0.8);
    expect(d.context.titration.finalFio2).toMatchObject({ policy: 'wean', fromFio2: 1, baselineFio2: 0.6, fio2: 0.8, spo2Pct: 92, message: 'FiO2 ended at 0.8 (baseline 0.6): wean by SpO2' });
    // Never below the baseline FiO2; the response is judged on the post-RM step, not on a wean hold.
    expect(d.commands.every((c) => c.settings.fio2 >= BASELINE.fio2)).toBe(true);
    expect(d.context.run.response?.spo2AfterPct).toBe(97);
  });

  it('reaches the baseline FiO2 with SpO2 >= 90 %: ends on the baseline FiO2', async () => {
    const d = new Driver('high-pressure-pcv', { protocol: ALWAYS });
    byFio2(d, { '1.0': 98, '0.9': 97, '0.8': 96, '0.7': 95, '0.6': 93 });
    d.start();
    await d.runUntilState('completed', 20 * 60_000);
    expect(d.context.steps.filter((s) => s.phase === 'wean').map((s) => s.settings.fio2)).toEqual([0.9, 0.8, 0.7, 0.6]);
    expect(d.context.verified).toEqual(BASELINE);
    expect(d.context.titration.finalFio2).toMatchObject({ fio2: 0.6, spo2Pct: 93, message: null });
  });

  it('SpO2 already below the wean threshold on the FiO2 in use: no wean, it ends there', async () => {
    const d = new Driver('sustained-inflation', { protocol: ALWAYS });
    byFio2(d, { '1.0': 88, '0.9': 86, '0.6': 86 });
    d.start();
    await d.runUntilState('completed', 20 * 60_000);
    expect(d.context.steps.some((s) => s.phase === 'wean')).toBe(false);
    expect(d.context.verified?.fio2).toBe(1);
    expect(d.context.titration.finalFio2?.message).toBe('FiO2 ended at 1 (baseline 0.6): wean by SpO2');
  });

  it('pre-oxygenated on a baseline FiO2 already at 1.0: nothing to wean, it ends on the baseline FiO2 and says so', async () => {
    const d = new Driver('sustained-inflation', { protocol: ALWAYS, baseline: { ...BASELINE, fio2: 1 } });
    d.start();
    await d.runUntilState('completed', 20 * 60_000);
    expect(d.context.steps.some((s) => s.phase === 'wean')).toBe(false);
    expect(d.context.titration.finalFio2).toMatchObject({ policy: 'wean', fio2: 1, baselineFio2: 1, message: null, detail: 'the final step ran on the baseline FiO2: nothing to wean' });
  });

  it('the last step stops at the baseline FiO2, not below it (0.75 -> 0.65 -> 0.6)', () => {
    expect([0, 1, 2].map((i) => weanFio2Value(0.75, 0.6, 0.1, i))).toEqual([0.65, 0.6, 0.6]);
    expect(weanFio2Value(1, 0.6, 0.05, 3)).toBe(0.8);
  });

  it('an abort during the wean (the guards stay on) keeps the pre-oxygenation FiO2', async () => {
    const d = new Driver('sustained-inflation', { protocol: ALWAYS });
    byFio2(d, { '1.0': 97, '0.9': 95, '0.8': 93 });
    d.start();
    await d.runUntilState('active.wean.dwelling', 20 * 60_000);
    d.sample({ spo2Pct: 75 });
    expect(d.state).toBe('aborting.restoring');
    expect(d.context.abort).toMatchObject({ reason: 'desaturation', guard: 'spo2Critical' });
    expect(d.lastCommand).toMatchObject({ purpose: 'restore-baseline', settings: { ...BASELINE, fio2: 1 } });
    await d.run(2000);
    expect(d.state).toBe('aborted');
    expect(d.context.steps[d.context.steps.length - 1]).toMatchObject({ phase: 'wean', aborted: true });
  });

  it('confirmEachStep: each wean step waits for the operator; the step back does not', async () => {
    const d = new Driver('sustained-inflation', { protocol: { ...ALWAYS, confirmEachStep: true } });
    byFio2(d, { '1.0': 97, '0.9': 89 });
    d.start();
    const confirmUntil = async (prefix: string) => {
      for (let i = 0; i < 30 && !d.state.startsWith(prefix); i++) {
        if (d.state.endsWith('confirming')) d.actor.send({ type: 'OPERATOR_CONFIRM', now: d.now });
        await d.run(30_000, { until: (x) => x.state.endsWith('confirming') || x.state.startsWith(prefix) });
      }
    };
    await confirmUntil('active.wean.confirming');
    expect(d.state).toBe('active.wean.confirming');
    await confirmUntil('completed');
    expect(d.state).toBe('completed');
    expect(d.context.verified?.fio2).toBe(1);
    const labels = d.commands.map((c) => c.label);
    expect(labels[labels.length - 1]).toMatch(/back to 1/);
  });
});

describe('the recruitability screen after pre-oxygenation', () => {
  it('runs its steps on the pre-oxygenation FiO2 (it dropped to the baseline FiO2 on its first step before) and weans FiO2 at the end', async () => {
    const d = new Driver('recruitability-screen', { protocol: { ...ALWAYS, highDwellS: 30, returnDwellS: 5, measureWindowS: 10 } });
    byFio2(d, { '1.0': 97, '0.9': 95, '0.8': 89 });
    d.start();
    await d.runUntilState('completed', 20 * 60_000);
    const screen = d.context.steps.filter((s) => s.phase === 'screen' || s.phase === 'release');
    expect(screen.length).toBeGreaterThan(0);
    expect(screen.every((s) => s.settings.fio2 === 1)).toBe(true);
    expect(d.context.steps.filter((s) => s.phase === 'wean').map((s) => s.settings.fio2)).toEqual([0.9, 0.8, 0.9]);
    expect(d.context.verified?.fio2).toBe(0.9);
  });
});

describe('finalFio2 keep / baseline, and patients not pre-oxygenated', () => {
  it('keep: ends on the FiO2 in use, no wean steps', async () => {
    const d = new Driver('sustained-inflation', { protocol: { ...ALWAYS, finalFio2: { afterPreoxygenation: 'keep' } } });
    d.start();
    await d.runUntilState('completed', 20 * 60_000);
    expect(d.context.steps.some((s) => s.phase === 'wean')).toBe(false);
    expect(d.context.verified?.fio2).toBe(1);
    expect(d.context.titration.finalFio2).toMatchObject({ policy: 'keep', fio2: 1, message: 'FiO2 ended at 1 (baseline 0.6): wean by SpO2' });
  });

  it('baseline: the post-RM step drops to the baseline FiO2 (explicitly chosen)', async () => {
    const d = new Driver('sustained-inflation', { protocol: { ...ALWAYS, finalFio2: { afterPreoxygenation: 'baseline' } } });
    d.start();
    await d.runUntilState('completed', 20 * 60_000);
    expect(d.context.steps.find((s) => s.phase === 'assessment')?.settings.fio2).toBe(0.6);
    expect(d.context.verified).toEqual(BASELINE);
    expect(d.context.titration.finalFio2).toMatchObject({ policy: 'baseline', fio2: 0.6, message: null });
  });

  it('not pre-oxygenated: the baseline FiO2 at the end, whatever the policy', async () => {
    const d = new Driver('sustained-inflation', { protocol: { finalFio2: { afterPreoxygenation: 'keep' } } });
    d.start();
    expect(d.context.run.preox).toBeNull();
    await d.runUntilState('completed', 20 * 60_000);
    expect(d.context.verified).toEqual(BASELINE);
    expect(d.context.steps.some((s) => s.phase === 'wean')).toBe(false);
  });

  it('the schema: defaults, and field, value and range on bad input', () => {
    const p = ProtocolSchema.parse({ maneuver: 'staircase' });
    expect(p.finalFio2).toEqual({ afterPreoxygenation: 'wean', weanStepFio2: 0.1, weanHoldS: 60 });
    expect(weanMinSpo2Of(p)).toBe(90);
    const bad = (finalFio2: object, extra: object = {}) => ProtocolSchema.safeParse({ maneuver: 'sustained-inflation', finalFio2, ...extra }).error?.issues[0];
    expect(bad({ weanStepFio2: 0.3 })).toMatchObject({ path: ['finalFio2', 'weanStepFio2'], message: expect.stringMatching(/between 0.05 and 0.2/) });
    expect(bad({ weanHoldS: 10 })).toMatchObject({ path: ['finalFio2', 'weanHoldS'], message: expect.stringMatching(/between 30 and 300/) });
    expect(bad({ weanMinSpo2Pct: 97 })).toMatchObject({ path: ['finalFio2', 'weanMinSpo2Pct'], message: expect.stringMatching(/between 88 and 95/) });
    expect(bad({ afterPreoxygenation: 'drop' })?.message).toMatch(/wean, keep or baseline \(got "drop"\)/);
    expect(bad({ weanMinSpo2Pct: 88 }, { safety: { spo2FloorPct: 90 } })).toMatchObject({ path: ['finalFio2', 'weanMinSpo2Pct'], message: expect.stringMatching(/above safety.spo2FloorPct \(90%; got 88\)/) });
  });

  it('a protocol that raises the desaturation floor stays valid: the default wean threshold moves one point above the floor', () => {
    // A protocol valid before finalFio2 existed (floor 92) must not be rejected for a field it never set.
    const raised = ProtocolSchema.parse({ maneuver: 'sustained-inflation', safety: { spo2FloorPct: 92 } });
    expect(weanMinSpo2Of(raised)).toBe(93);
    expect(weanMinSpo2Of(ProtocolSchema.parse({ maneuver: 'staircase', safety: { spo2FloorPct: 95, spo2DetectCeilingPct: 98 } }))).toBe(96);
    // Given explicitly, it is the protocol's and validated against the floor.
    expect(weanMinSpo2Of(ProtocolSchema.parse({ maneuver: 'staircase', finalFio2: { weanMinSpo2Pct: 94 }, safety: { spo2FloorPct: 92 } }))).toBe(94);
  });
});
