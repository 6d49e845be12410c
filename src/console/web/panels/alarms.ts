/**
 * Alarms in the spirit of IEC 60601-1-8: three priorities, each with its colour, its symbol
 * (!!!, !!, !) and words, so that no alarm is told by colour alone. The bar under the top
 * shows the most important one; the list keeps them all, newest first.
 */
import type { AlarmPriority, AlarmView, SessionModel } from '../../wire.js';
import { byId, fill, h } from '../dom.js';
import { clock } from '../format.js';

export const SYMBOL: Record<AlarmPriority, string> = { high: '!!!', medium: '!!', low: '!' };
const WORD: Record<AlarmPriority, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };
const RANK: Record<AlarmPriority, number> = { high: 3, medium: 2, low: 1 };

/** The alarm the bar shows: the highest priority since the maneuver started, the latest of those. */
export function topAlarm(alarms: readonly AlarmView[]): AlarmView | null {
  let best: AlarmView | null = null;
  for (const a of alarms) if (a.resolvedAt === undefined && (!best || RANK[a.priority] >= RANK[best.priority])) best = a;
  return best;
}

function chip(p: AlarmPriority): HTMLElement {
  return h('span', { class: `prio prio-${p}`, title: `${WORD[p]} priority` }, `${SYMBOL[p]} ${WORD[p]}`);
}

export class AlarmsPanel {
  private readonly bar = byId('alarm-bar');
  private readonly list = byId<HTMLUListElement>('alarms');
  private key = '';

  render(m: SessionModel | null): void {
    const alarms = m?.alarms ?? [];
    const key = `${m?.info.id ?? 0}:${alarms.length}:${alarms.filter((a) => a.resolvedAt !== undefined).length}`;
    if (key === this.key) return;
    this.key = key;
    const t0 = m?.info.t0 ?? 0;
    const top = topAlarm(alarms);
    this.bar.hidden = top === null;
    this.bar.className = top ? `alarm-bar alarm-${top.priority}` : '';
    if (top) fill(this.bar, h('span', { class: 'alarm-symbol' }, SYMBOL[top.priority]), h('span', { class: 'alarm-word' }, `${WORD[top.priority]} PRIORITY`), h('strong', { class: 'alarm-title' }, top.title), h('span', { class: 'alarm-detail' }, top.detail));
    if (!alarms.length) {
      fill(this.list, h('li', { class: 'alarm-none' }, 'No alarms.'));
      return;
    }
    fill(
      this.list,
      ...[...alarms].reverse().map((a) =>
        h(
          'li',
          { class: `alarm-item alarm-item-${a.priority}${a.resolvedAt !== undefined ? ' alarm-resolved' : ''}` },
          chip(a.priority),
          h('span', { class: 'alarm-time' }, clock(a.t - t0)),
          h('div', { class: 'alarm-text' }, h('strong', {}, a.title), h('div', {}, a.detail), a.resolvedAt !== undefined ? h('div', { class: 'alarm-resolved-note' }, `✓ resolved at ${clock(a.resolvedAt - t0)}`) : null),
        ),
      ),
    );
  }
}
