/**
 * What is happening now and what the operator should do, in words: one pure function from
 * the session model to the headline the page shows. Every state of every maneuver maps to
 * a badge, a sentence and, where there is one, the operator's next action.
 */
import { ABORT_TITLES } from '../model.js';
import type { SessionModel } from '../wire.js';
import { clock, settingsText } from './format.js';

export type Tone = 'ready' | 'running' | 'action' | 'alarm' | 'done' | 'neutral';

export interface NowView {
  tone: Tone;
  /** One or two words, capitals: RUNNING, ACTION NEEDED, ABORTED... */
  badge: string;
  headline: string;
  detail: string;
  /** What the operator should do now, in one sentence. */
  todo: string;
  /** Dwell countdown target (session clock), when one runs. */
  countdownTo: number | null;
  countdownLabel: string;
  next: string | null;
}

/** How long a guard's condition held before it aborted, in words (0: a critical limit, at once). */
export function heldText(heldMs: number): string {
  return heldMs <= 0 ? 'critical limit crossed: aborted at once' : `the condition held for ${Math.round(heldMs / 100) / 10} s before the abort`;
}

export function nowView(m: SessionModel | null, abortPending: boolean): NowView {
  const base = { countdownTo: null, countdownLabel: '', next: null } as const;
  if (!m) {
    return { ...base, tone: 'ready', badge: 'READY', headline: 'No maneuver running', detail: 'Choose a maneuver and its settings below, check the plan, then press Start.', todo: 'Set up the maneuver below.' };
  }
  const st = m.step.state;
  const s = m.summary;
  const plan = m.info.plan;
  const baseline = settingsText(m.info.baseline);
  if (st === 'idle') {
    const w = m.info.protocol.safety.baselineWindowS;
    return {
      ...base,
      tone: 'neutral',
      badge: 'STARTING',
      headline: 'Checking the patient before the first step',
      detail: `Collecting the vitals baseline: ${w} s of SpO2 and MAP (their medians are the baseline the limits are relative to); the preconditions are checked before anything changes.`,
      todo: 'Wait. Press ABORT to cancel.',
    };
  }
  if (st.startsWith('active')) {
    const label = m.step.label ?? 'step';
    const idx = m.step.planIndex;
    const nextStep = idx !== null ? plan[idx + 1] : undefined;
    const youSet = m.info.guided ? ': you will be asked to set it' : '';
    const next = nextStep
      ? `${nextStep.label}${nextStep.conditional ? ' (or re-recruitment as soon as derecruitment is seen)' : ''}${youSet}`
      : 'End of the maneuver: you then choose End or Repeat.';
    const settings = m.step.settings ? settingsText(m.step.settings) : '';
    if (abortPending) return { ...base, tone: 'alarm', badge: 'ABORT SENT', headline: 'Abort sent: restoring the baseline', detail: baseline, todo: 'Watch the patient.' };
    if (m.prompt) {
      const restore = m.prompt.purpose === 'restore-baseline';
      return {
        ...base,
        tone: restore ? 'alarm' : 'action',
        badge: 'ACTION NEEDED',
        headline: restore ? 'Set the ventilator back to baseline' : `Set the ventilator for: ${label}`,
        detail: '',
        todo: 'Make the settings shown, then press Done.',
        next,
      };
    }
    if (st.endsWith('confirming')) {
      return { ...base, tone: 'action', badge: 'CONFIRM', headline: `Ready to apply: ${label}`, detail: settings, todo: 'Press "Confirm next step" when the patient is ready, or ABORT.', next };
    }
    if (st.endsWith('applying')) {
      return { ...base, tone: 'running', badge: 'APPLYING', headline: label, detail: `Waiting for the ventilator to confirm: ${settings}`, todo: 'Wait a moment. Press ABORT if the patient does not tolerate it.', next };
    }
    return {
      tone: 'running',
      badge: 'RUNNING',
      headline: label,
      detail: m.step.phase === 'fio2' ? `${settings}. ${fio2Target(m)}` : m.step.phase === 'preoxygenation' ? `${settings}. ${preoxTarget(m)}` : settings,
      todo: 'Watch the patient. Press ABORT if it is not tolerated.',
      countdownTo: m.step.dwellEndsAt,
      countdownLabel: 'left in this step',
      next,
    };
  }
  if (st.startsWith('aborting')) {
    const why = m.abort;
    return {
      ...base,
      tone: 'alarm',
      badge: 'ABORTING',
      headline: `${why ? ABORT_TITLES[why.reason] : 'Abort'}: restoring the baseline`,
      detail: `${why ? `${why.message}${why.heldMs !== undefined ? ` (${heldText(why.heldMs)})` : ''}. ` : ''}Restoring ${baseline}.`,
      todo: m.prompt ? 'Set the baseline on the ventilator, then press Done.' : 'Wait for the baseline to be verified. Watch the patient.',
    };
  }
  if (st.startsWith('failsafe')) {
    return {
      ...base,
      tone: 'alarm',
      badge: 'FAILSAFE',
      headline: 'Baseline NOT verified: check the ventilator now',
      detail: `Set by hand: ${baseline}. The controller keeps retrying.`,
      todo: 'Take over at the ventilator, type your name, then press Acknowledge.',
    };
  }
  if (st === 'completed') {
    const peep = m.verified ? settingsText(m.verified) : '';
    const f = m.verified?.fio2;
    const fio2 = f !== undefined && f > m.info.baseline.fio2 + 1e-9 ? ` FiO2 ended at ${f} (baseline ${m.info.baseline.fio2}): wean by SpO2.` : '';
    return { ...base, tone: 'done', badge: 'COMPLETED', headline: `Maneuver completed${peep ? `: ${peep}` : ''}`, detail: `The settings are verified on the ventilator.${fio2}`, todo: 'Press End to keep these settings, or Repeat (if allowed). ABORT returns to the baseline.' };
  }
  if (s) return finalView(m);
  return { ...base, tone: 'neutral', badge: st.toUpperCase(), headline: st, detail: '', todo: '' };
}

function finalView(m: SessionModel): NowView {
  const s = m.summary!;
  const base = { countdownTo: null, countdownLabel: '', next: null };
  const restored = s.baselineVerified ? 'Baseline restored and verified.' : 'Baseline NOT verified: check the ventilator.';
  switch (s.outcome) {
    case 'completed':
      return {
        ...base,
        tone: 'done',
        badge: 'DONE',
        headline: s.finalPeepCmH2O !== null ? `Titrated PEEP ${s.finalPeepCmH2O} cmH2O` : 'Maneuver completed',
        detail: `${s.verifiedSettings ? `Verified: ${settingsText(s.verifiedSettings)}. ` : ''}${s.finalFio2?.message ? `${s.finalFio2.message}. ` : ''}Duration ${clock(s.durationMs)}.`,
        todo: 'Nothing to do. Press "New maneuver" to start another.',
      };
    case 'aborted':
      return {
        ...base,
        tone: 'alarm',
        badge: 'ABORTED',
        headline: `Aborted: ${s.abort ? ABORT_TITLES[s.abort.reason] : 'reason not recorded'}`,
        detail: `${s.abort ? `${s.abort.message}${s.abort.heldMs !== undefined ? ` (${heldText(s.abort.heldMs)})` : ''}. ` : ''}${restored} ${settingsText(s.restoreSettings ?? s.baseline)}${s.restoreSettings && s.restoreSettings.fio2 !== s.baseline.fio2 ? ` (FiO2 kept at ${s.restoreSettings.fio2} after pre-oxygenation: wean it by SpO2)` : ''}`,
        todo: s.baselineVerified ? 'Check the patient. The ventilator is back on the baseline settings.' : 'Check the ventilator now.',
      };
    case 'failsafe': {
      const ack = m.acknowledged;
      return {
        ...base,
        tone: 'alarm',
        badge: 'FAILSAFE',
        headline: 'Failsafe acknowledged: the operator has taken over',
        detail: `${ack ? `${ack.note} at ${clock(ack.t - m.info.t0)}. ` : ''}${restored}`,
        todo: 'Check the ventilator settings by hand.',
      };
    }
    case 'not-started':
      return {
        ...base,
        tone: 'alarm',
        badge: 'NOT STARTED',
        headline: 'Not started: preconditions not met',
        detail: `${s.preconditionIssues.filter((i) => i.severity === 'block').map((i) => i.message).join('; ')}. Nothing was changed.`,
        todo: 'Fix the cause, then start again.',
      };
    case 'cancelled':
      return { ...base, tone: 'neutral', badge: 'CANCELLED', headline: 'Cancelled before the first step', detail: 'Nothing was changed on the ventilator.', todo: 'Press "New maneuver" to start again.' };
    default:
      return { ...base, tone: 'neutral', badge: s.outcome.toUpperCase(), headline: s.state, detail: restored, todo: '' };
  }
}

/** What the FiO2 titration step is for, with its SpO2 target. */
function fio2Target(m: SessionModel): string {
  const p = m.info.protocol;
  const t = p.maneuver === 'staircase' ? p : p.maneuver === 'recruitability-screen' ? null : p.postRmPeep.mode === 'titration' ? p.decrementalTitration : null;
  if (!t) return '';
  const f = t.fio2Titration;
  return `FiO2 titration: FiO2 is lowered in steps of ${f.stepFio2} (not below ${f.minFio2}) until SpO2 is within the target ${f.targetMinPct}-${f.targetMaxPct}%, so that derecruitment shows as a fall in SpO2.`;
}

/** What a pre-oxygenation hold is for, with its settle criterion and the minimum SpO2 to go on. */
function preoxTarget(m: SessionModel): string {
  const p = m.info.protocol.preoxygenation;
  return `Pre-oxygenation: FiO2 is held until SpO2 settles (two ${p.holdS}-s holds within ${p.settleDeltaPts} points; at most ${p.maxS} s). The RM starts only if SpO2 then is ${p.minSpo2Pct}% or above; the SpO2 limits are then measured from it. An abort keeps this FiO2.`;
}
