/**
 * The plan as rows to draw: each planned step with its status (done, current, aborted, skipped,
 * not run, coming). The pre-oxygenation holds (up to five "if needed" rows) collapse into one
 * row once that phase is over without an abort in it: "Pre-oxygenation: not needed" when none
 * ran, "Pre-oxygenation: ended after N holds" when some did; the others were never going to run
 * and are not listed one by one as struck-through "not run" rows. Pure: no DOM.
 */
import type { SessionModel } from '../wire.js';

export type PlanStatus = 'current' | 'done' | 'aborted' | 'skipped' | 'not-run' | 'coming';

export interface PlanRow {
  /** Plan indices this row stands for (one, or every pre-oxygenation hold when collapsed). */
  indices: number[];
  status: PlanStatus;
  label: string;
  dwellMs: number;
  /** What the row says after the dwell ("skipped", "not run", "if needed", ...; empty: nothing). */
  note: string;
  /** A collapsed pre-oxygenation row. */
  collapsed: boolean;
}

export function planRows(m: SessionModel): PlanRow[] {
  const plan = m.info.plan;
  const cur = m.step.state.startsWith('active') ? m.step.planIndex : null;
  const finished = m.summary !== null || !m.step.state.startsWith('active');
  const lastVisited = m.visited[m.visited.length - 1];
  const stopped = m.abort !== null && cur === null;
  const rows: PlanRow[] = plan.map((p, i) => {
    const visited = m.visited.includes(i);
    const status: PlanStatus =
      i === cur ? 'current' : stopped && i === lastVisited ? 'aborted' : visited ? 'done' : cur !== null && i < cur ? 'skipped' : finished && m.startedAt !== null ? 'not-run' : 'coming';
    const note = { skipped: 'skipped', 'not-run': 'not run', aborted: 'aborted', current: '', done: '', coming: p.conditional ? 'if needed' : '' }[status];
    return { indices: [i], status, label: p.label, dwellMs: p.dwellMs, note, collapsed: false };
  });
  const preox = rows.filter((r) => plan[r.indices[0]!]!.phase === 'preoxygenation');
  // Collapse only a phase that is over: no hold current or coming, none where an abort stopped.
  const over = preox.length > 0 && preox.every((r) => r.status === 'done' || r.status === 'skipped' || r.status === 'not-run') && preox.some((r) => r.status !== 'done');
  if (!over) return rows;
  const held = preox.filter((r) => r.status === 'done');
  const collapsed: PlanRow = {
    indices: preox.map((r) => r.indices[0]!),
    status: held.length ? 'done' : 'skipped',
    label: held.length ? `Pre-oxygenation: ended after ${held.length} hold${held.length === 1 ? '' : 's'}` : 'Pre-oxygenation: not needed',
    dwellMs: held.reduce((s, r) => s + r.dwellMs, 0),
    note: held.length ? '' : 'not needed',
    collapsed: true,
  };
  const first = rows.indexOf(preox[0]!);
  return [...rows.slice(0, first), collapsed, ...rows.filter((r, i) => i > first && !preox.includes(r))];
}
