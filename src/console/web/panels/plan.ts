/** The maneuver plan as a step list: done, current (highlighted, with its progress), skipped, coming. */
import type { SessionModel } from '../../wire.js';
import { byId, fill, h, setText } from '../dom.js';
import { clock, duration } from '../format.js';
import { planRows } from '../planRows.js';

export class PlanPanel {
  private readonly list = byId<HTMLOListElement>('plan');
  private readonly progress = byId('plan-progress');
  private key = '';

  render(m: SessionModel | null, now: number): void {
    if (!m) {
      this.key = '';
      fill(this.list, h('li', { class: 'plan-empty' }, 'The plan appears here when a maneuver is set up.'));
      setText(this.progress, '');
      return;
    }
    const plan = m.info.plan;
    const cur = m.step.state.startsWith('active') ? m.step.planIndex : null;
    const finished = m.summary !== null || !m.step.state.startsWith('active');
    const key = JSON.stringify([m.info.id, cur, m.visited, finished, m.step.state, m.abort !== null]);
    if (key !== this.key) {
      this.key = key;
      const marks = { current: '▶', done: '✓', aborted: '✗', skipped: '–', 'not-run': '–' };
      const items = planRows(m).map((r) => {
        const mark = r.status === 'coming' ? String(r.indices[0]! + 1) : marks[r.status];
        const cls = `plan-step plan-${r.status}${r.collapsed ? ' plan-collapsed' : ''}`;
        return h(
          'li',
          { class: cls, 'data-index': r.indices.join(','), 'aria-current': r.status === 'current' ? 'step' : null },
          h('span', { class: 'plan-mark' }, mark),
          h('span', { class: 'plan-label' }, r.label),
          h('span', { class: 'plan-dwell' }, r.collapsed ? (r.status === 'done' ? duration(r.dwellMs) : '') : r.note ? `${duration(r.dwellMs)} · ${r.note}` : duration(r.dwellMs)),
        );
      });
      fill(this.list, ...items);
    }
    // Progress: current step position and the time left in the plan (conditional steps included).
    if (cur !== null) {
      const inStep = m.step.dwellEndsAt !== null ? Math.max(0, m.step.dwellEndsAt - now) : (plan[cur]?.dwellMs ?? 0);
      const rest = plan.slice(cur + 1).reduce((s, p) => s + p.dwellMs, 0);
      const elapsed = m.startedAt !== null ? now - m.startedAt : 0;
      setText(this.progress, `Step ${cur + 1} of ${plan.length} · running ${clock(elapsed)} · at most ${clock(inStep + rest)} to go`);
    } else {
      setText(this.progress, m.startedAt === null ? `${plan.length} steps · at most ${clock(m.info.plannedMs)}` : '');
    }
  }
}
