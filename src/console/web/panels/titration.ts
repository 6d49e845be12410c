/**
 * The titration panel: after the decremental phase, each PEEP method's PEEP and what it rests
 * on, which one decided and why, a warning when they disagree; the FiO2 step; at the final
 * step the plateau, driving pressure and Vt per kg PBW measured against their limits.
 */
import type { SessionModel } from '../../wire.js';
import { byId, fill, h, table } from '../dom.js';
import { titrationView } from '../titration.js';

export class TitrationPanel {
  private readonly el = byId('titration');
  private key = '';

  render(m: SessionModel | null): void {
    const v = titrationView(m);
    const key = JSON.stringify(v);
    if (key === this.key) return;
    this.key = key;
    this.el.hidden = !v;
    if (!v) {
      this.el.replaceChildren();
      return;
    }
    const mark = (within: boolean | null): string => (within === null ? '–' : within ? '✓' : '✗');
    fill(
      this.el,
      h('h2', {}, v.title),
      v.fio2 ? h('p', { class: 'titration-fio2' }, v.fio2) : null,
      v.methods.length
        ? table(
            { class: 'methods' },
            {
              head: ['Method', { content: 'PEEP', attrs: { class: 'n' } }, 'Rests on'],
              rows: v.methods.map((r) => ({
                attrs: { class: r.decided ? 'method-decided' : null, 'data-method': r.method },
                cells: [{ content: r.decided ? `★ ${r.title}` : r.title }, { content: r.peep, attrs: { class: 'n' } }, { content: r.basis, attrs: { class: 'method-basis' } }],
              })),
            },
          )
        : null,
      v.decision ? h('p', { class: 'titration-decision' }, v.decision) : null,
      v.disagree ? h('p', { class: 'titration-disagree', role: 'note' }, `⚠ ${v.disagree}`) : null,
      v.fallback ? h('p', { class: 'titration-fallback' }, v.fallback) : null,
      v.limitsNote ? h('p', { class: 'titration-limits-note' }, `Lung-protective limits: ${v.limitsNote}`) : null,
      h('p', { class: 'titration-patient' }, v.patient),
      v.limits
        ? h(
            'div',
            { class: 'final-limits' },
            h('h3', {}, 'Final step, measured'),
            table(
              { class: 'limits' },
              {
                head: ['', { content: 'Measured', attrs: { class: 'n' } }, { content: 'Limit', attrs: { class: 'n' } }, ''],
                rows: v.limits.rows.map((r) => ({
                  attrs: { class: r.within === false ? 'limit-beyond' : null },
                  cells: [
                    { content: r.name },
                    { content: r.value, attrs: { class: 'n' } },
                    { content: r.limit, attrs: { class: 'n' } },
                    { content: mark(r.within), attrs: { class: r.within === false ? 'bad' : r.within ? 'ok' : '' } },
                  ],
                })),
              },
            ),
            h('p', { class: v.limits.within ? 'ok' : 'bad' }, v.limits.text),
          )
        : null,
    );
  }
}
