/**
 * The console plan's rows (issue 19 review): the pre-oxygenation holds, once their phase is
 * over, are one row ("Pre-oxygenation: not needed" / "ended after N holds"), not up to five
 * struck-through "not run" rows; while they run, or before the start, each is listed.
 */
import { describe, expect, it } from 'vitest';
import { defaultProtocol } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import { displayPlan } from '../../src/console/plans.js';
import { newSessionModel } from '../../src/console/model.js';
import { planRows } from '../../src/console/web/planRows.js';
import type { SessionModel } from '../../src/console/wire.js';

function model(): SessionModel {
  const protocol = defaultProtocol('staircase');
  const plan = displayPlan(protocol, DEFAULT_SIM_BASELINE);
  return newSessionModel({
    id: 1,
    maneuver: 'staircase',
    protocol,
    plan,
    plannedMs: 0,
    baseline: DEFAULT_SIM_BASELINE,
    device: { vendor: 'sim', model: 'sim', protocol: 'sim' },
    guided: false,
    t0: 0,
    thresholds: {} as SessionModel['info']['thresholds'],
    patient: null,
  });
}
const preoxIndices = (m: SessionModel) => m.info.plan.flatMap((p, i) => (p.phase === 'preoxygenation' ? [i] : []));
const firstOf = (m: SessionModel, phase: string) => m.info.plan.findIndex((p) => p.phase === phase);
const at = (m: SessionModel, planIndex: number, visited: number[]) => {
  m.startedAt = 0;
  m.visited = visited;
  m.step = { ...m.step, state: 'active.incremental.dwelling', planIndex, phase: m.info.plan[planIndex]!.phase };
};

describe('console plan rows: pre-oxygenation', () => {
  it('the default staircase plans several pre-oxygenation holds (the case the rows collapse)', () => {
    expect(preoxIndices(model()).length).toBeGreaterThanOrEqual(2);
  });

  it('before the start: every hold listed, "if needed"', () => {
    const m = model();
    const rows = planRows(m).filter((r) => /Pre-oxygenation/.test(r.label));
    expect(rows).toHaveLength(preoxIndices(m).length);
    expect(rows.every((r) => r.status === 'coming' && r.note === 'if needed')).toBe(true);
  });

  it('not needed (the first recruitment step runs, no hold did): one row, "Pre-oxygenation: not needed", no struck-through holds', () => {
    const m = model();
    const first = firstOf(m, 'incremental');
    at(m, first, [first]);
    const rows = planRows(m);
    const preox = rows.filter((r) => /Pre-oxygenation/.test(r.label));
    expect(preox).toHaveLength(1);
    expect(preox[0]).toMatchObject({ label: 'Pre-oxygenation: not needed', status: 'skipped', collapsed: true, indices: preoxIndices(m) });
    expect(rows.filter((r) => r.status === 'skipped' || r.status === 'not-run')).toHaveLength(1);
    // Every other planned step is still its own row.
    expect(rows).toHaveLength(m.info.plan.length - preoxIndices(m).length + 1);
  });

  it('ended early (two holds, then the recruitment): one row, "ended after 2 holds", done', () => {
    const m = model();
    const [a, b] = preoxIndices(m);
    const first = firstOf(m, 'incremental');
    at(m, first, [a!, b!, first]);
    const preox = planRows(m).filter((r) => /Pre-oxygenation/.test(r.label));
    expect(preox).toEqual([expect.objectContaining({ label: 'Pre-oxygenation: ended after 2 holds', status: 'done', collapsed: true })]);
  });

  it('ended after one hold says "1 hold"; a session that ended before any recruitment step also collapses them', () => {
    const m = model();
    const [a] = preoxIndices(m);
    m.startedAt = 0;
    m.visited = [a!];
    m.step = { ...m.step, state: 'completed', planIndex: null };
    m.summary = { outcome: 'completed' } as SessionModel['summary'];
    const preox = planRows(m).filter((r) => /Pre-oxygenation/.test(r.label));
    expect(preox.map((r) => r.label)).toEqual(['Pre-oxygenation: ended after 1 hold']);
  });

  it('while a hold runs, and when an abort stopped one, the holds stay listed one by one', () => {
    const m = model();
    const [a, b] = preoxIndices(m);
    at(m, b!, [a!, b!]);
    expect(planRows(m).filter((r) => /Pre-oxygenation/.test(r.label)).map((r) => r.status)).toEqual(preoxIndices(m).map((i) => (i === a ? 'done' : i === b ? 'current' : 'coming')));
    m.step = { ...m.step, state: 'aborted', planIndex: null };
    m.abort = { reason: 'desaturation' } as SessionModel['abort'];
    const rows = planRows(m).filter((r) => /Pre-oxygenation/.test(r.label));
    expect(rows.some((r) => r.status === 'aborted')).toBe(true);
    expect(rows.some((r) => r.collapsed)).toBe(false);
  });
});
