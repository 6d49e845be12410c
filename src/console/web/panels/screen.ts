/**
 * The recruitability screen (R/I, Chen 2020): while it runs, its three steps (high PEEP, the one
 * release breath, the verified return); then R/I with the published formula's inputs, the
 * recommendation and what the policy did to the staircase (warn, block, cap with the capped
 * pressures). One line (`#screen-live`, a polite live region) says where it is and the result,
 * so a screen reader announces each change without re-reading the panel. Readings entered by
 * hand (the guided procedure) are shown the same way, marked as entered.
 */
import type { ScreenDecisionView, ScreenView } from '../../wire.js';
import { byId, fill, h, setText, table, type Row } from '../dom.js';

type StepKey = 'high' | 'release' | 'back';
const ORDER: ScreenView['stage'][] = ['waiting', 'high', 'release', 'back', 'assessment', 'done'];

/** "HIGH recruitability: ..." from the machine's recommendation. */
export function classText(recommendation: string): string {
  return recommendation.replace(/^(high|low) recruitability/, (_m, c: string) => `${c.toUpperCase()} recruitability`);
}

/** What the policy did, in one line, with the capped pressures when it capped. */
export function decisionText(d: ScreenDecisionView): string {
  if (d.action === 'cap' && d.capped) {
    const c = d.capped;
    return `CAP: the staircase runs with peak ≤ ${c.capPeakCmH2O} cmH2O (recruitment PEEPs ${c.incrementalPeepsCmH2O.join(', ')}; peak limit ${c.peakLimitCmH2O} cmH2O; re-recruitment PEEP ${c.reRecruitPeepCmH2O})`;
  }
  return `${d.action.toUpperCase()}: ${d.message}`;
}

/** The live line: where the screen is, or its result. */
export function screenStatus(v: ScreenView): string {
  const r = v.result;
  const result = r ? `${r.ratio === null ? 'R/I not assessable' : `R/I ${r.ratio}`}: ${v.recommendation ?? ''}${v.decision ? `. ${decisionText(v.decision)}` : ''}` : null;
  if (v.source === 'entered') return `From the readings entered by hand: ${result ?? 'no result'}`;
  switch (v.stage) {
    case 'waiting':
      return 'Recruitability screen: waiting for the test to start (vitals baseline first)';
    case 'high':
      return `Recruitability screen step 1 of 3: at the high PEEP ${v.highPeepCmH2O} cmH2O before the release breath`;
    case 'release':
      return `Recruitability screen step 2 of 3: one release breath at PEEP ${v.lowPeepCmH2O} cmH2O, measuring the released volume`;
    case 'back':
      return `Recruitability screen step 3 of 3: back to PEEP ${v.highPeepCmH2O} cmH2O, ${v.returnVerified ? 'verified' : 'verifying the return'}`;
    case 'aborted':
      return `Recruitability screen aborted: ${result ?? 'no result'}${v.decision ? '' : '; the baseline is restored'}`;
    default:
      return result ?? 'Recruitability screen: computing R/I';
  }
}

export class ScreenPanel {
  private readonly el = byId('screen');
  private key = '';

  /** `after`: the element the panel follows (the now panel for a screen session, the charts for a staircase, the setup for entered readings). */
  render(v: ScreenView | null, after: HTMLElement): void {
    if (v && this.el.previousElementSibling !== after) after.after(this.el);
    const key = JSON.stringify(v);
    if (key === this.key) return;
    this.key = key;
    this.el.hidden = !v;
    if (!v) {
      this.el.replaceChildren();
      return;
    }
    const live = this.el.querySelector('#screen-live') ?? h('p', { id: 'screen-live', class: 'screen-live', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    fill(
      this.el,
      h('h2', { id: 'screen-title' }, 'Recruitability screen (R/I, Chen 2020)'),
      h('p', { class: 'screen-source' }, v.source === 'entered' ? 'Readings entered by hand after the one-breath test at the ventilator (guided procedure)' : 'Measured by the controller: one breath at the low PEEP'),
      live,
      v.source === 'measured' ? this.steps(v) : null,
      v.result ? this.result(v) : null,
      h('p', { class: `screen-policy${v.decision ? ` screen-${v.decision.action}` : ''}` }, v.decision ? decisionText(v.decision) : `Policy for a staircase that follows: ${v.policy}${v.policy === 'cap' ? ` (peak ≤ ${v.capPeakCmH2O} cmH2O)` : ''}`),
    );
    setText(live, screenStatus(v));
  }

  private steps(v: ScreenView): HTMLElement {
    const at = ORDER.indexOf(v.stage === 'aborted' ? (v.abortedIn ?? 'waiting') : v.stage);
    const status = (k: StepKey): 'done' | 'current' | 'aborted' | 'coming' => {
      const i = ORDER.indexOf(k);
      if (v.stage === 'aborted' && i === at) return 'aborted';
      return i < at ? 'done' : i === at ? 'current' : 'coming';
    };
    const back = status('back');
    const backText =
      v.returnVerified === true
        ? `Return to PEEP ${v.highPeepCmH2O} cmH2O verified ✓`
        : v.returnVerified === false
          ? `Return to PEEP ${v.highPeepCmH2O} cmH2O NOT verified ✗`
          : `Return to PEEP ${v.highPeepCmH2O} cmH2O, verified by readback`;
    const item = (k: StepKey, n: number, text: string) => {
      const s = k === 'back' ? back : status(k);
      const mark = { done: '✓', current: '▶', aborted: '✗', coming: String(n) }[s];
      return h('li', { class: `screen-step screen-${s}`, 'data-step': k, 'aria-current': s === 'current' ? 'step' : null }, h('span', { class: 'plan-mark', 'aria-hidden': 'true' }, mark), h('span', {}, text));
    };
    return h(
      'ol',
      { class: 'screen-steps', 'aria-label': 'Steps of the screen' },
      item('high', 1, `High PEEP ${v.highPeepCmH2O} cmH2O (volume control)`),
      item('release', 2, `One release breath at PEEP ${v.lowPeepCmH2O} cmH2O`),
      item('back', 3, backText),
    );
  }

  private result(v: ScreenView): HTMLElement {
    const r = v.result!;
    const rd = r.readings;
    const row = (label: string, value: string): Row => ({ cells: [{ content: label, th: true, attrs: { scope: 'row' } }, { content: value, attrs: { class: 'n' } }] });
    const val = (x: number | null, unit: string) => (x === null ? '--' : `${x} ${unit}`);
    return h(
      'div',
      { class: 'screen-result' },
      h('p', { class: `screen-headline screen-${r.recruitability}` }, h('span', { class: 'screen-ri' }, r.ratio === null ? 'R/I not assessable' : `R/I ${r.ratio}`), ' ', h('span', { class: 'screen-class' }, classText(v.recommendation ?? ''))),
      table(
        { class: 'screen-inputs' },
        {
          caption: `The published formula's inputs (threshold ${r.thresholdRatio})`,
          rows: [
            row('Released volume (Vrel)', val(r.releasedVolumeMl, 'mL')),
            row('Crs at low PEEP', val(r.lowComplianceMlPerCmH2O, 'mL/cmH2O')),
            row('Effective pressure change (ΔP)', val(r.effectivePressureCmH2O, 'cmH2O')),
            row('Recruited volume (Vrec)', val(r.recruitedVolumeMl, 'mL')),
            row('Crec (recruited compliance)', val(r.recruitedComplianceMlPerCmH2O, 'mL/cmH2O')),
            row('Airway opening pressure', rd.airwayOpeningPressureCmH2O === null ? 'none given' : `${rd.airwayOpeningPressureCmH2O} cmH2O`),
            row('Readings', `Vt ${rd.tidalVolumeMl} mL, release breath ${rd.releaseExpiredVolumeMl} mL, plateau at low PEEP ${rd.lowPlateauCmH2O} cmH2O, PEEP ${rd.highPeepCmH2O} → ${rd.lowPeepCmH2O}`),
          ],
        },
      ),
      h('p', { class: 'screen-formula' }, r.ratio === null ? r.detail : 'Vrec = Vrel − Crs,low × ΔP; R/I = (Vrec / ΔP) / Crs,low'),
    );
  }
}
