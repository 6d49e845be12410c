/**
 * What the alarm list holds (issue 17 point 4) and which steps a result lists (point 5),
 * at the level of the translator and the model the page draws from.
 */
import { describe, expect, it } from 'vitest';
import type { ManeuverContext, StepRecord } from '../../machines/index.js';
import { applyEvent, newSessionModel } from '../../src/console/model.js';
import { Translator } from '../../src/console/translate.js';
import type { AlarmView, ConsoleEvent, SessionModel } from '../../src/console/wire.js';
import { stepsThatRan } from '../../src/report/steps.js';

function translator(pendingSeq: number | null) {
  const events: ConsoleEvent[] = [];
  const context = { pending: pendingSeq === null ? null : { seq: pendingSeq, purpose: 'restore-baseline', requestedAt: 0 }, restore: { attempts: 1 }, safety: { restoreAttempts: 3 } } as unknown as ManeuverContext;
  const t = new Translator({ id: 1, t0: 0, plan: [] } as unknown as SessionModel['info'], () => context, { row: () => undefined, event: (e) => events.push(e) });
  const alarms = () => events.flatMap((e) => (e.kind === 'alarm' ? [e.alarm] : []));
  return { t, events, alarms };
}

describe('console alarms', () => {
  it('a command the machine no longer waits for (withdrawn by the restore) failing is logged, not an alarm', () => {
    const { t, alarms, events } = translator(7);
    t.on({ kind: 'apply-error', t: 1000, seq: 6, code: 'refused', message: 'superseded by a newer instruction' });
    expect(alarms()).toEqual([]);
    expect(events).toContainEqual({ kind: 'log', entry: expect.objectContaining({ text: expect.stringMatching(/#6 withdrawn/) }) });
  });

  it('the pending command failing is still an alarm', () => {
    const { t, alarms } = translator(7);
    t.on({ kind: 'apply-error', t: 1000, seq: 7, code: 'refused', message: 'mode not allowed' });
    expect(alarms()).toEqual([expect.objectContaining({ priority: 'medium', title: 'Setting not applied (refused)' })]);
  });

  it('a missed restore deadline is a HIGH alarm, resolved once the baseline is verified after all; others stay', () => {
    const { t, alarms } = translator(7);
    t.on({ kind: 'alarm', t: 61_000, priority: 'high', message: 'Baseline restore not confirmed (attempt 1 of 3): no confirmation within 60 s; attempt 2 of 3 follows' });
    t.on({ kind: 'fault', t: 62_000, code: 'link-lost', message: 'no answer' });
    const [missed, fault] = alarms() as [AlarmView, AlarmView];
    expect(missed).toMatchObject({ priority: 'high', source: 'restore', title: 'Baseline restore not confirmed in time' });
    const m = newSessionModel({ id: 1, t0: 0 } as SessionModel['info']);
    for (const a of [missed, fault]) applyEvent(m, { kind: 'alarm', alarm: { ...a } });
    applyEvent(m, { kind: 'state', t: 70_000, step: { state: 'aborted', outcome: 'aborted', phase: null, label: null, stepIndex: 0, planIndex: null, dwellEndsAt: null, settings: null } });
    expect(m.alarms[0]?.resolvedAt).toBe(70_000);
    expect(m.alarms[1]?.resolvedAt).toBeUndefined();
  });
});

describe('steps that ran', () => {
  const settings = { mode: 'PCV', peepCmH2O: 30, peakCmH2O: 45, rateBpm: 20, fio2: 0.6 } as const;
  const rec = (label: string, startedAt: number, endedAt: number, aborted?: boolean): StepRecord =>
    ({ phase: 'incremental', label, settings, startedAt, endedAt, ...(aborted ? { aborted } : {}) }) as StepRecord;

  it('leaves out the step an abort caught before it was set, and names it', () => {
    const r = stepsThatRan([rec('Baseline', 0, 0), rec('Recruitment 1/3', 0, 180_000), rec('Recruitment 2/3', 200_000, 200_000, true)]);
    expect(r.ran.map((s) => s.label)).toEqual(['Baseline', 'Recruitment 1/3']);
    expect(r.notStarted?.label).toBe('Recruitment 2/3');
  });

  it('keeps a step aborted while it ran', () => {
    const r = stepsThatRan([rec('Recruitment 1/3', 0, 180_000), rec('Recruitment 2/3', 190_000, 200_000, true)]);
    expect(r.ran.map((s) => s.label)).toEqual(['Recruitment 1/3', 'Recruitment 2/3']);
    expect(r.notStarted).toBeNull();
  });
});
