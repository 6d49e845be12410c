/**
 * The titration panel: after the decremental phase, each PEEP method's PEEP and what it rests
 * on, which one decided and why, a warning when they disagree; the FiO2 step; at the final
 * step the plateau, driving pressure and Vt per kg PBW measured against their limits.
 */
import type { SessionModel } from '../../wire.js';
import { byId, fill, h } from '../dom.js';
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
        ? h(
            'table',
            { class: 'methods' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Method'), h('th', { class: 'n' }, 'PEEP'), h('th', {}, 'Rests on'))),
            h(
              'tbody',
              {},
              ...v.methods.map((r) =>
                h(
                  'tr',
                  { class: r.decided ? 'method-decided' : null, 'data-method': r.method },
                  h('td', {}, r.decided ? `★ ${r.title}` : r.title),
                  h('td', { class: 'n' }, r.peep),
                  h('td', { class: 'method-basis' }, r.basis),
                ),
              ),
            ),
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
            h(
              'table',
              { class: 'limits' },
              h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { class: 'n' }, 'Measured'), h('th', { class: 'n' }, 'Limit'), h('th', {}, ''))),
              h(
                'tbody',
                {},
                ...v.limits.rows.map((r) =>
                  h(
                    'tr',
                    { class: r.within === false ? 'limit-beyond' : null },
                    h('td', {}, r.name),
                    h('td', { class: 'n' }, r.value),
                    h('td', { class: 'n' }, r.limit),
                    h('td', { class: r.within === false ? 'bad' : r.within ? 'ok' : '' }, mark(r.within)),
                  ),
                ),
              ),
            ),
            h('p', { class: v.limits.within ? 'ok' : 'bad' }, v.limits.text),
          )
        : null,
    );
  }
}
