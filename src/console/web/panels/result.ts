/** The final result: outcome, chosen PEEP or abort reason, baseline restored or not, and the step table. */
import { stepsThatRan } from '../../../report/steps.js';
import { describeBaselineVitals } from '../../../runner/telemetry.js';
import { ABORT_TITLES } from '../../model.js';
import { heldText } from '../status.js';
import type { SessionModel } from '../../wire.js';
import { byId, fill, h } from '../dom.js';
import { clock, num } from '../format.js';

export class ResultPanel {
  private readonly el = byId('result');
  private key = '';

  render(m: SessionModel | null): void {
    const s = m?.summary ?? null;
    const key = s && m ? `${m.info.id}:${s.outcome}:${s.endedAt}` : '';
    if (key === this.key) return;
    this.key = key;
    this.el.hidden = !s;
    if (!s || !m) return;
    const restored = s.outcome === 'completed' ? null : s.baselineVerified;
    const { ran, notStarted } = stepsThatRan(s.steps);
    const rows = ran.map((r) =>
      h(
        'tr',
        {},
        h('td', {}, r.aborted ? `${r.label} (aborted)` : r.label),
        h('td', { class: 'n' }, r.settings.peepCmH2O),
        h('td', { class: 'n' }, r.settings.peakCmH2O),
        h('td', { class: 'n' }, num(r.spo2Pct, 1)),
        h('td', { class: 'n' }, num(r.mapMmHg, 0)),
        h('td', { class: 'n' }, num(r.hrBpm, 0)),
        h('td', { class: 'n' }, num(r.complianceMlPerCmH2O, 1)),
        h('td', { class: 'n' }, num(r.peakCmH2O, 1)),
        h('td', { class: 'n' }, clock(r.endedAt - r.startedAt)),
      ),
    );
    fill(
      this.el,
      h('h2', {}, 'Result'),
      h(
        'dl',
        { class: 'result-facts' },
        h('dt', {}, 'Outcome'),
        h('dd', { class: `outcome outcome-${s.outcome}` }, s.outcome.toUpperCase()),
        s.finalPeepCmH2O !== null ? h('dt', {}, 'Chosen PEEP') : null,
        s.finalPeepCmH2O !== null ? h('dd', {}, `${s.finalPeepCmH2O} cmH2O${s.derecruitmentPeepCmH2O !== null ? ` (derecruitment at ${s.derecruitmentPeepCmH2O})` : ' (no derecruitment seen)'}`) : null,
        s.abort ? h('dt', {}, 'Abort reason') : null,
        s.abort ? h('dd', {}, `${ABORT_TITLES[s.abort.reason]}: ${s.abort.message}`) : null,
        restored !== null ? h('dt', {}, 'Baseline') : null,
        restored !== null ? h('dd', { class: restored ? 'ok' : 'bad' }, restored ? '✓ restored and verified' : '✗ NOT verified: check the ventilator') : null,
        notStarted ? h('dt', {}, 'Not run') : null,
        notStarted ? h('dd', { class: 'not-run' }, `${notStarted.label}: aborted before its settings were in place`) : null,
        h('dt', {}, 'Vitals baseline'),
        h('dd', { class: 'baseline-vitals' }, s.baselineVitals ? describeBaselineVitals(s.baselineVitals) : 'not captured (the maneuver did not start)'),
        s.abort?.heldMs !== undefined ? h('dt', {}, 'Before the abort') : null,
        s.abort?.heldMs !== undefined ? h('dd', { class: 'abort-held' }, heldText(s.abort.heldMs)) : null,
        s.response ? h('dt', {}, 'Response') : null,
        s.response ? h('dd', {}, `${s.response.met ? 'yes' : 'no'}: ${s.response.detail}`) : null,
      ),
      h(
        'table',
        { class: 'steps' },
        h('thead', {}, h('tr', {}, ...['Step', 'PEEP', 'Peak set', 'SpO2 %', 'MAP', 'HR', 'Compl.', 'Peak meas.', 'Time'].map((c) => h('th', {}, c)))),
        h('tbody', {}, ...rows),
      ),
    );
  }
}
