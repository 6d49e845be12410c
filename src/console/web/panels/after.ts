/**
 * After the maneuver: the post-maneuver watch (while a completed maneuver waits for End or
 * Repeat) and the rescue-therapy advisor (after a failed run). Both advisory only, and they say so.
 */
import type { SessionModel } from '../../wire.js';
import { byId, fill, h } from '../dom.js';

const mmss = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const STATUS = { met: 'MET', 'not-met': 'not met', unknown: 'unknown' } as const;

export class AfterPanel {
  private readonly el = byId('after');
  private key = '';
  /** Built once, so what the operator typed survives re-renders. */
  private readonly form: HTMLFormElement;

  constructor(send: (message: Record<string, unknown>) => boolean) {
    const pao2 = h('input', { id: 'advisor-pao2', name: 'pao2MmHg', type: 'number', min: 20, max: 700, step: 'any', inputmode: 'decimal' });
    const mawp = h('input', { id: 'advisor-mawp', name: 'mawpCmH2O', type: 'number', min: 1, max: 60, step: 'any', inputmode: 'decimal' });
    this.form = h(
      'form',
      { id: 'advisor-form' },
      h('label', {}, 'PaO2 (mmHg, 20-700) ', pao2),
      h('label', {}, ' Mean airway pressure (cmH2O, 1-60, as displayed) ', mawp),
      h('button', { type: 'submit', id: 'advisor-submit' }, 'Update advice'),
    );
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const message: Record<string, unknown> = { type: 'oxygenation' };
      if (pao2.value !== '') message['pao2MmHg'] = Number(pao2.value);
      if (mawp.value !== '') message['mawpCmH2O'] = Number(mawp.value);
      send(message);
    });
  }

  render(m: SessionModel | null): void {
    const w = m?.watch ?? null;
    const a = m?.advice ?? null;
    const ended = (m?.summary ?? null) !== null;
    const key = JSON.stringify([w, a, ended, w?.status === 'watching' ? Math.floor(((m?.now ?? 0) - w.startedAt) / 1000) : 0]);
    if (key === this.key) return;
    this.key = key;
    this.el.hidden = !w && !a && !ended;
    if (!w && !a && !ended) {
      this.el.replaceChildren();
      return;
    }
    const advisories = w ? w.findings.filter((f) => f.kind === 'advisory') : [];
    fill(
      this.el,
      w
        ? h(
            'div',
            { id: 'watch-panel', 'data-status': w.status },
            h('h2', {}, 'Post-maneuver watch'),
            h('p', { class: 'after-notice' }, `Monitoring at PEEP ${w.setPeepCmH2O} cmH2O. Advisory only: the controller changes no setting during the watch.`),
            h('p', { id: 'watch-time' }, w.status === 'watching' ? `${mmss((m?.now ?? w.startedAt) - w.startedAt)} of ${mmss(w.plannedMs)}` : `ended (${w.summary?.endedBy ?? '-'}) after ${mmss(w.summary?.watchedMs ?? 0)}`),
            h(
              'p',
              { id: 'watch-verdict', class: advisories.length ? 'after-warn' : 'after-ok', role: advisories.length ? 'alert' : null },
              advisories.length ? 'Derecruitment suspected: consider re-recruitment' : 'No sign of derecruitment so far',
            ),
            w.findings.length
              ? h('ul', { id: 'watch-findings' }, ...w.findings.map((f) => h('li', { class: f.kind === 'advisory' ? 'after-warn' : 'after-alarm' }, `+${mmss(f.at - w.startedAt)} ${f.kind === 'advisory' ? 'ADVISORY' : 'ALARM'} ${f.message}`)))
              : null,
          )
        : null,
      a
        ? h(
            'div',
            { id: 'advice-panel' },
            h('h2', {}, 'Rescue-therapy advisor'),
            h('p', { class: 'after-notice', role: 'note' }, a.notice),
            h('p', {}, `Why now: ${a.trigger}`),
            h('p', { id: 'advice-indices' }, `P/F ${a.indices.pfRatio ?? '–'} · S/F ${a.indices.sfRatio ?? '–'} · OI ${a.indices.oi ?? '–'} · OSI ${a.indices.osi ?? '–'}`),
            h(
              'table',
              { id: 'advice-options' },
              h('thead', {}, h('tr', {}, h('th', {}, 'Option'), h('th', {}, 'Criteria'), h('th', {}, 'Here'), h('th', {}, 'Source'))),
              h('tbody', {}, ...a.options.map((o) => h('tr', { 'data-option': o.option, 'data-status': o.status }, h('td', {}, `${STATUS[o.status]}: ${o.label}`), h('td', {}, o.criteria), h('td', {}, o.reason), h('td', {}, o.source)))),
            ),
            h('p', { class: 'after-sources' }, 'Sources of every criterion: docs/advisor.md'),
          )
        : null,
      ended ? h('div', { id: 'advisor-input' }, h('h3', {}, 'Oxygenation for the rescue-therapy advisor (advisory only)'), this.form) : null,
    );
  }
}
