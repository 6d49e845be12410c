import { describe, expect, it } from 'vitest';
import {
  accumulate,
  checkCommandLimits,
  defaultProtocol,
  emptyAccumulator,
  emptyLatest,
  incrementalPlan,
  initialContext,
  inMeasureWindow,
  newStep,
  outcomeOf,
  planOf,
  plannedDurationMs,
  ProtocolSchema,
  stateName,
  stepMeasurement,
  updateLatest,
  withPeep,
} from '../../machines/index.js';
import { BASELINE } from '../support/driver.js';
import { checked } from '../support/checked.js';

describe('plans', () => {
  it('the staircase plan lists every step with its settings and dwell', () => {
    const plan = planOf(defaultProtocol('staircase'), BASELINE, { fio2Steps: true });
    expect(plan.map((s) => [s.phase, s.label, s.dwellMs / 1000, s.peepCmH2O, s.peakCmH2O, s.conditional])).toEqual([
      // Pre-oxygenation (issue 15, item 8): conditional (if-needed), at most 300 s in 60-s holds.
      ...[1, 2, 3, 4, 5].map((i) => ['preoxygenation', `Pre-oxygenation ${i}: FiO2 1 until SpO2 settles (hold 60 s, at most 300 s; SpO2 >= 85% to go on)`, 60, 10, 30, true]),
      ['incremental', 'Recruitment 1/3: PEEP 20, peak 35 cmH2O', 120, 20, 35, false],
      ['incremental', 'Recruitment 2/3: PEEP 30, peak 45 cmH2O', 120, 30, 45, false],
      ['incremental', 'Recruitment 3/3: PEEP 40, peak 55 cmH2O', 120, 40, 55, false],
      ['fio2', 'FiO2 titration 1: FiO2 0.5 at PEEP 25 for SpO2 90-92%', 60, 25, 40, true],
      ['fio2', 'FiO2 titration 2: FiO2 0.4 at PEEP 25 for SpO2 90-92%', 60, 25, 40, true],
      ['fio2', 'FiO2 titration 3: FiO2 0.3 at PEEP 25 for SpO2 90-92%', 60, 25, 40, true],
      ['fio2', 'FiO2 titration 4: FiO2 0.21 at PEEP 25 for SpO2 90-92%', 60, 25, 40, true],
      ['decremental', 'Titration 1/7: PEEP 25, peak 40 cmH2O', 180, 25, 40, false],
      ['decremental', 'Titration 2/7: PEEP 22.5, peak 37.5 cmH2O', 180, 22.5, 37.5, true],
      ['decremental', 'Titration 3/7: PEEP 20, peak 35 cmH2O', 180, 20, 35, true],
      ['decremental', 'Titration 4/7: PEEP 17.5, peak 32.5 cmH2O', 180, 17.5, 32.5, true],
      ['decremental', 'Titration 5/7: PEEP 15, peak 30 cmH2O', 180, 15, 30, true],
      // Below PHARLAP's floor only while no derecruitment is seen (decremental.extendToPeepCmH2O, default 10).
      ['decremental', 'Titration 6/7: PEEP 12.5, peak 27.5 cmH2O (below the floor 15: no derecruitment seen yet)', 180, 12.5, 27.5, true],
      ['decremental', 'Titration 7/7: PEEP 10, peak 25 cmH2O (below the floor 15: no derecruitment seen yet)', 180, 10, 25, true],
      ['re-recruit', 'Re-recruitment: PEEP 40, peak 55 cmH2O for 60 s', 60, 40, 55, true],
      ['final', 'Titrated PEEP 12.5 cmH2O (no derecruitment seen); assessing for 60 s', 60, 12.5, 32.5, false],
    ]);
    expect(plannedDurationMs(defaultProtocol('staircase'), BASELINE, { fio2Steps: true })).toBe((5 * 60 + 3 * 120 + 4 * 60 + 7 * 180 + 60 + 60) * 1000);
    expect(plan.filter((s) => s.phase === 'preoxygenation').every((s) => s.settings.fio2 === 1 && s.settings.mode === BASELINE.mode)).toBe(true);
    // Without fio2Steps (the console's rows before issue 15) the FiO2 steps are left out.
    expect(planOf(defaultProtocol('staircase'), BASELINE).map((s) => s.phase)).not.toContain('fio2');
    expect(planOf(defaultProtocol('staircase'), BASELINE).map((s) => s.phase)).not.toContain('preoxygenation');
    // `never`: no pre-oxygenation rows; `always`: the first hold is not conditional.
    const never = ProtocolSchema.parse({ maneuver: 'staircase', preoxygenation: { when: 'never' } });
    expect(planOf(never, BASELINE, { fio2Steps: true }).map((s) => s.phase)).not.toContain('preoxygenation');
    const always = ProtocolSchema.parse({ maneuver: 'staircase', preoxygenation: { when: 'always', maxS: 120 } });
    expect(planOf(always, BASELINE, { fio2Steps: true }).filter((s) => s.phase === 'preoxygenation').map((s) => s.conditional)).toEqual([false, true]);
  });

  it('sustained inflation and high-pressure PCV plans', () => {
    expect(planOf(defaultProtocol('sustained-inflation'), BASELINE).map((s) => [s.phase, s.label, s.dwellMs, s.peepCmH2O, s.peakCmH2O])).toEqual([
      ['inflation', 'Sustained inflation: CPAP 40 cmH2O for 30 s', 30_000, 40, 40],
      ['assessment', 'Back to baseline (PEEP 10); assessing response for 60 s', 60_000, 10, 30],
    ]);
    expect(planOf(defaultProtocol('high-pressure-pcv'), BASELINE).map((s) => [s.label, s.dwellMs])).toEqual([
      ['High-pressure PCV: PEEP 25, peak 40 cmH2O for 120 s', 120_000],
      ['Back to baseline (PEEP 10); assessing response for 60 s', 60_000],
    ]);
  });

  it('the titrated setting keeps the baseline mode and its peak-PEEP gap, clamped to the peak limit', () => {
    expect(withPeep(BASELINE, 20, 55)).toEqual({ ...BASELINE, peepCmH2O: 20, peakCmH2O: 40 });
    expect(withPeep({ ...BASELINE, peakCmH2O: 40, peepCmH2O: 0 }, 25, 55)).toMatchObject({ peepCmH2O: 25, peakCmH2O: 55 });
    expect(withPeep({ ...BASELINE, mode: 'CPAP', peakCmH2O: 10 }, 20, 55)).toMatchObject({ peepCmH2O: 20, peakCmH2O: 20 });
  });

  it('a plan for another maneuver is refused with a message that says what to do', () => {
    const ctx = initialContext({ protocol: ProtocolSchema.parse({ maneuver: 'sustained-inflation' }), baseline: BASELINE });
    expect(() => incrementalPlan(ctx)).toThrow('a staircase step was planned with a sustained-inflation protocol: create the machine with its own protocol');
  });

  it('an incremental step past the end of the list stays at the last level', () => {
    const ctx = initialContext({ protocol: defaultProtocol('staircase'), baseline: BASELINE });
    expect(incrementalPlan({ ...ctx, stepIndex: 5 }).settings.peepCmH2O).toBe(40);
    expect(incrementalPlan({ ...ctx, stepIndex: 1 }).settings.peepCmH2O).toBe(30);
  });
});

describe('step measurement', () => {
  it('medians over the window, rounded to 0.01; peak is the maximum; falls back to the latest values', () => {
    let acc = emptyAccumulator();
    for (const [spo2Pct, mapMmHg, peakCmH2O] of [[94, 78, 30], [95, 80, 32], [96, 79, 31]] as const) {
      acc = accumulate(acc, checked({ t: 0, source: 's', spo2Pct, mapMmHg, peakCmH2O, hrBpm: 90, complianceMlPerCmH2O: 33.333 }));
    }
    const step = { ...newStep('incremental', 'x', BASELINE, 1000), startedAt: 0, acc };
    expect(stepMeasurement(step, emptyLatest())).toEqual({ spo2Pct: 95, mapMmHg: 79, hrBpm: 90, complianceMlPerCmH2O: 33.33, peakCmH2O: 32, plateauCmH2O: null, tidalVolumeMl: null });
    const latest = { ...emptyLatest(), spo2Pct: 91, mapMmHg: 70, hrBpm: 80, complianceMlPerCmH2O: 30, peakCmH2O: 28, plateauCmH2O: 26, tidalVolumeMl: 400 };
    expect(stepMeasurement({ ...step, acc: emptyAccumulator() }, latest)).toEqual({ spo2Pct: 91, mapMmHg: 70, hrBpm: 80, complianceMlPerCmH2O: 30, peakCmH2O: 28, plateauCmH2O: 26, tidalVolumeMl: 400 });
    // Plateau and tidal volume are medians over the window too (the lung-protective limits of the final step).
    let acc2 = emptyAccumulator();
    for (const plateauCmH2O of [27, 29, 28]) acc2 = accumulate(acc2, checked({ t: 0, source: 's', plateauCmH2O, tidalVolumeMl: plateauCmH2O * 15 }));
    expect(stepMeasurement({ ...step, acc: acc2 }, emptyLatest())).toMatchObject({ plateauCmH2O: 28, tidalVolumeMl: 420 });
  });

  it('the measurement window is the end of the dwell (strictly after its start)', () => {
    const step = { ...newStep('decremental', 'x', BASELINE, 180_000), startedAt: 1000 };
    expect(inMeasureWindow(step, 121_000, 60_000)).toBe(false);
    expect(inMeasureWindow(step, 121_001, 60_000)).toBe(true);
    expect(inMeasureWindow({ ...step, startedAt: null }, 500_000, 60_000)).toBe(false);
    expect(inMeasureWindow({ ...step, dwellMs: 30_000 }, 1001, 60_000)).toBe(true);
  });

  it('latest values keep the newest reading of each vital', () => {
    let l = updateLatest(emptyLatest(), checked({ t: 10, source: 's', spo2Pct: 94, mapMmHg: 78 }));
    l = updateLatest(l, checked({ t: 5, source: 's', spo2Pct: 80, mapMmHg: 50 }));
    expect(l).toMatchObject({ spo2Pct: 94, spo2At: 10, mapMmHg: 78, mapAt: 10 });
    l = updateLatest(l, checked({ t: 10, source: 's', spo2Pct: 93 }));
    expect(l).toMatchObject({ spo2Pct: 93, spo2At: 10 });
  });
});

describe('outcomes and limits', () => {
  it('every state maps to its outcome class', () => {
    expect(['idle', 'active.incremental.dwelling', 'aborting.restoring'].map(outcomeOf)).toEqual(['running', 'running', 'running']);
    expect(['completed', 'finished'].map(outcomeOf)).toEqual(['completed', 'completed']);
    expect(['aborted', 'failsafe.waiting', 'halted', 'notStarted', 'cancelled'].map(outcomeOf)).toEqual(['aborted', 'failsafe', 'failsafe', 'not-started', 'cancelled']);
    expect(stateName({ active: { incremental: 'dwelling' } })).toBe('active.incremental.dwelling');
    expect(stateName('idle')).toBe('idle');
  });

  it('command limit messages name the value and the limit', () => {
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 51, peakCmH2O: 60, rateBpm: 20, fio2: 0.6 }, 60).map((v) => v.message)).toEqual(['PEEP 51 cmH2O outside 0-50']);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: -1, peakCmH2O: 10, rateBpm: 41, fio2: 0.2 }, 60).map((v) => v.message)).toEqual([
      'PEEP -1 cmH2O outside 0-50',
      'FiO2 0.2 outside 0.21-1',
      'rate 41/min outside 0-40',
    ]);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 50, peakCmH2O: 55, rateBpm: 0, fio2: 1 }, 55)).toEqual([]);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 56, rateBpm: 40, fio2: 0.21 }, 55).map((v) => v.message)).toEqual(['peak 56 cmH2O above the limit 55']);
    expect(checkCommandLimits({ mode: 'PCV', peepCmH2O: Number.NaN, peakCmH2O: Number.NaN, rateBpm: 20, fio2: 0.5 }, 55).map((v) => v.field)).toEqual(['peepCmH2O', 'peakCmH2O', 'peakCmH2O']);
  });
});
