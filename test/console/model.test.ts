/** The session model: the page rebuilds exactly what the server keeps, and steps land on the plan. */
import { describe, expect, it } from 'vitest';
import { defaultProtocol } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { displayPlan } from '../../src/console/plans.js';
import { applyUpdate, LIMITS, newSessionModel } from '../../src/console/model.js';
import { planIndexOf } from '../../src/console/translate.js';
import type { SessionModel } from '../../src/console/wire.js';
import { startTestConsole, TestClient } from './support.js';

describe('planIndexOf', () => {
  const plan = displayPlan(defaultProtocol('staircase'), DEFAULT_SIM_BASELINE);
  it('places each step of each phase on its plan row', () => {
    // Rows 0-4: the pre-oxygenation holds (issue 15, item 8), run only for a patient who needs them.
    expect(planIndexOf(plan, 'preoxygenation', 0)).toBe(0);
    expect(planIndexOf(plan, 'preoxygenation', 4)).toBe(4);
    expect(planIndexOf(plan, 'incremental', 0)).toBe(5);
    expect(planIndexOf(plan, 'incremental', 2)).toBe(7);
    // Rows 8-11: the FiO2 titration (0.6 -> 0.5, 0.4, 0.3, 0.21), run only while SpO2 is above the target.
    expect(planIndexOf(plan, 'fio2', 0)).toBe(8);
    expect(planIndexOf(plan, 'fio2', 3)).toBe(11);
    expect(planIndexOf(plan, 'decremental', 0)).toBe(12);
    expect(planIndexOf(plan, 'decremental', 4)).toBe(16);
    // Rows 17-18: below PHARLAP's floor (12.5, 10), run only while no derecruitment is seen.
    expect(planIndexOf(plan, 'decremental', 6)).toBe(18);
    expect(planIndexOf(plan, 're-recruit', 3)).toBe(19);
    expect(planIndexOf(plan, 'final', 3)).toBe(20);
    expect(planIndexOf(plan, 'restore', 0)).toBeNull();
    expect(planIndexOf(plan, null, 0)).toBeNull();
  });
  it('describes the titrated PEEP by its rule, not by a guess', () => {
    expect(plan[20]?.label).toBe('Titrated PEEP: derecruitment PEEP + 2.5 cmH2O, assessed for 60 s');
  });
});

describe('session model', () => {
  it('keeps at most LIMITS.rows chart rows', () => {
    const m = newSessionModel({ id: 1, t0: 0 } as SessionModel['info']);
    const row = { t: 0, peakCmH2O: 1, peepCmH2O: 1, spo2Pct: 1, mapMmHg: 1, sbpMmHg: 1, hrBpm: 1, complianceMlPerCmH2O: 1 };
    applyUpdate(m, 1, Array.from({ length: LIMITS.rows + 10 }, (_, i) => ({ ...row, t: i })), []);
    expect(m.rows.length).toBe(LIMITS.rows);
    expect(m.rows[0]?.t).toBe(10);
  });

  it('a page that applies every update ends with the model the server snapshots', async () => {
    const con = await startTestConsole();
    const page = await TestClient.connect(con.server.port);
    try {
      await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation' });
      await page.state(/^completed$/, 15_000);
      await page.request({ type: 'end', token: con.token });
      await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'));
      const opened = page.messages.find((m) => m.type === 'session');
      if (opened?.type !== 'session') throw new Error('no session message');
      const model: SessionModel = structuredClone(opened.session);
      for (const m of page.messages) if (m.type === 'update') applyUpdate(model, m.now, m.rows, m.events);
      expect(model).toEqual(con.server.hub.snapshot());
      expect(model.summary?.outcome).toBe('completed');
      // Rows 0-4 are the pre-oxygenation holds, not needed for this patient: the inflation and the assessment.
      expect(model.visited).toEqual([5, 6]);
      expect(model.closed).toBe(true);
    } finally {
      await page.close();
      await con.shutdown('test end', 5000);
    }
  });
});
