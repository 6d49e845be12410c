/**
 * The "now" panel: what is happening (badge + headline), the dwell countdown in large
 * type, what to do and what comes next; the guided instruction with its Done button; the
 * actions the current state allows (confirm, acknowledge, end, repeat, new maneuver).
 */
import type { SessionModel } from '../../wire.js';
import { byId, fill, h, setText } from '../dom.js';
import { clock, settingsText } from '../format.js';
import { nowView } from '../status.js';
import type { Store } from '../store.js';

type Act = 'confirm' | 'ack' | 'end' | 'repeat' | 'new';

/** The name typed for a FAILSAFE acknowledgement is kept for this tab (the same person acknowledges again). */
const ACK_BY_KEY = 'rmseq-console-ack-by';

export class NowPanel {
  private readonly root = byId('now');
  private readonly badge = byId('now-badge');
  private readonly headline = byId('now-headline');
  private readonly detail = byId('now-detail');
  private readonly todo = byId('now-todo');
  private readonly next = byId('now-next');
  private readonly countdownBox = byId('now-countdown');
  private readonly countdown = byId('countdown-value');
  private readonly countdownLabel = byId('countdown-label');
  private readonly prompt = byId('prompt');
  private readonly actions = byId('now-actions');
  private promptKey = '';
  private actionsKey = '';
  private readonly promptDeadline = h('div', { class: 'prompt-deadline' });

  constructor(
    private readonly store: Store,
    /** Sends the action; false when it could not be sent. */
    private readonly act: (a: Act, promptId?: number, by?: string) => boolean,
  ) {}

  render(): void {
    const m = this.store.session;
    const v = nowView(m, this.store.abortSentAt !== null);
    this.root.className = `tone-${v.tone}`;
    setText(this.badge, v.badge);
    setText(this.headline, v.headline);
    setText(this.detail, v.detail);
    setText(this.todo, v.todo);
    setText(this.next, v.next ? `Next: ${v.next}` : '');
    this.next.hidden = !v.next;
    this.countdownBox.hidden = v.countdownTo === null;
    setText(this.countdownLabel, v.countdownLabel);
    this.tick();
    this.renderPrompt(m);
    this.renderActions(m);
  }

  /** Countdowns only (called several times a second). */
  tick(): void {
    const m = this.store.session;
    const now = this.store.sessionNow();
    if (m && m.step.dwellEndsAt !== null && m.step.state.endsWith('dwelling')) setText(this.countdown, clock(m.step.dwellEndsAt - now));
    if (m?.prompt) {
      const left = m.prompt.deadline - now;
      const a = m.prompt.attempt;
      const then =
        m.prompt.purpose !== 'restore-baseline'
          ? 'the maneuver aborts'
          : m.step.state.startsWith('failsafe') || (a && a.n > a.of)
            ? 'the instruction is asked again; FAILSAFE goes on until someone acknowledges it below'
            : a && a.n < a.of
            ? `HIGH alarm, and the restore is asked again (attempt ${a.n + 1} of ${a.of}); FAILSAFE after attempt ${a.of}`
            : a
              ? `HIGH alarm and FAILSAFE (this is attempt ${a.n} of ${a.of})`
              : 'HIGH alarm, the restore is retried, then FAILSAFE';
      setText(this.promptDeadline, left > 0 ? `Respond within ${clock(left)}: otherwise ${then}.` : `Deadline passed: ${then}.`);
      this.promptDeadline.classList.toggle('overdue', left <= 0);
    }
  }

  private renderPrompt(m: SessionModel | null): void {
    const p = m?.prompt ?? null;
    // A refused or unsent confirmation re-renders the prompt, so Done can be pressed again.
    const key = p ? `${m?.info.id}:${p.id}:${this.store.controls}:${this.store.confirmFailures}` : '';
    if (key === this.promptKey) return;
    this.promptKey = key;
    this.prompt.hidden = !p;
    if (!p) {
      fill(this.prompt);
      return;
    }
    const restore = p.purpose === 'restore-baseline';
    const done = h('button', { type: 'button', class: 'primary done', id: 'prompt-done', 'data-prompt': p.id }, '✓ Done: the ventilator is set');
    done.toggleAttribute('disabled', this.store.controls !== true);
    done.addEventListener('click', () => {
      done.setAttribute('disabled', '');
      fill(done, 'Checking the ventilator...');
      if (!this.act('confirm', p.id)) {
        this.store.confirmFailures++;
        this.render();
      }
    });
    fill(
      this.prompt,
      h('div', { class: 'prompt-title' }, restore ? '⚠ RESTORE BASELINE: set the ventilator to' : 'SET THE VENTILATOR TO'),
      h('div', { class: 'prompt-message' }, settingsText(p.settings)),
      p.changes.length ? h('ul', { class: 'prompt-changes' }, ...p.changes.map((c) => h('li', {}, c.replace(/->/g, '→')))) : null,
      this.promptDeadline,
      done,
    );
  }

  private renderActions(m: SessionModel | null): void {
    const st = m?.step.state ?? '';
    const acts: { act: Act; label: string; cls: string }[] = [];
    if (m && !m.closed && !m.summary) {
      if (st.endsWith('confirming') && !m.prompt) acts.push({ act: 'confirm', label: '▶ Confirm next step', cls: 'primary' });
      if (st.startsWith('failsafe')) acts.push({ act: 'ack', label: 'Acknowledge: I have taken over', cls: 'danger' });
      if (st === 'completed') {
        acts.push({ act: 'end', label: '✓ End: keep these settings', cls: 'primary' });
        acts.push({ act: 'repeat', label: '↻ Repeat maneuver', cls: 'secondary' });
      }
    }
    if ((!m || m.summary || m.closed) && !this.store.setupOpen) acts.push({ act: 'new', label: '+ New maneuver', cls: 'secondary' });
    const key = `${acts.map((a) => a.act).join(',')}:${this.store.controls}`;
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    fill(
      this.actions,
      ...acts.map((a) => {
        const b = h('button', { type: 'button', class: a.cls, 'data-act': a.act }, a.label);
        if (a.act !== 'new') b.toggleAttribute('disabled', this.store.controls !== true);
        if (a.act === 'ack') return this.ackForm(b);
        b.addEventListener('click', () => this.act(a.act));
        return b;
      }),
    );
  }

  /**
   * FAILSAFE acknowledgement, as at the terminal: the person says who they are; the
   * controller journals who acknowledged and when, with the last known device state.
   */
  private ackForm(button: HTMLElement): HTMLElement {
    const input = h('input', { id: 'ack-by', type: 'text', maxlength: '80', autocomplete: 'off', placeholder: 'your name or initials' });
    input.value = sessionStorage.getItem(ACK_BY_KEY) ?? '';
    const error = h('div', { class: 'field-error', id: 'ack-error', role: 'alert' });
    const canControl = this.store.controls === true;
    input.toggleAttribute('disabled', !canControl);
    const sync = () => button.toggleAttribute('disabled', !canControl || input.value.trim() === '');
    sync();
    input.addEventListener('input', () => {
      setText(error, '');
      sync();
    });
    button.addEventListener('click', () => {
      const by = input.value.trim();
      if (!by) {
        setText(error, 'Type your name or initials first: the acknowledgement is journaled with it.');
        return;
      }
      sessionStorage.setItem(ACK_BY_KEY, by);
      this.act('ack', undefined, by);
    });
    return h(
      'div',
      { class: 'ack-form' },
      h('label', { for: 'ack-by' }, 'Acknowledged by'),
      input,
      button,
      error,
      h('div', { class: 'field-help' }, 'Check the ventilator first. Your name, the time and the last known device state go into the journal.'),
    );
  }
}
