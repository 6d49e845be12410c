import { describe, expect, it } from 'vitest';
import { blocks, checkPreconditions, CHECKLIST_IDS, CHECKLIST_ITEMS, DEFAULT_SAFETY, emptyLatest, unconfirmedItems, type LatestValues } from '../../machines/index.js';
import { BASELINE, Driver } from '../support/driver.js';

const fresh: LatestValues = { ...emptyLatest(), spo2Pct: 94, spo2At: 10_000, mapMmHg: 78, mapAt: 10_000, sbpMmHg: 115, hrBpm: 90, peakCmH2O: 25, peakAt: 10_000, peepCmH2O: 10, peepAt: 10_000 };
const check = (checklist?: readonly string[]) =>
  checkPreconditions({ now: 10_000, latest: fresh, baseline: BASELINE, safety: DEFAULT_SAFETY, peakLimitCmH2O: 55, fault: null, ...(checklist !== undefined ? { checklist } : {}) });

describe('operator checklist', () => {
  it('holds the four bedside items, each with a unique id and a sentence', () => {
    expect(CHECKLIST_IDS).toEqual(['sedation', 'no-pneumothorax', 'no-raised-icp', 'stable-vasopressors']);
    for (const item of CHECKLIST_ITEMS) expect(item.text.length).toBeGreaterThan(10);
    expect(CHECKLIST_ITEMS.find((i) => i.id === 'sedation')?.text).toMatch(/sedation.*neuromuscular blockade/i);
    expect(CHECKLIST_ITEMS.find((i) => i.id === 'no-pneumothorax')?.text).toMatch(/pneumothorax/);
    expect(CHECKLIST_ITEMS.find((i) => i.id === 'no-raised-icp')?.text).toMatch(/intracranial pressure/);
    expect(CHECKLIST_ITEMS.find((i) => i.id === 'stable-vasopressors')?.text).toMatch(/vasopressor/);
  });

  it('names the unconfirmed items in checklist order', () => {
    expect(unconfirmedItems(['no-raised-icp', 'sedation']).map((i) => i.id)).toEqual(['no-pneumothorax', 'stable-vasopressors']);
    expect(unconfirmedItems(CHECKLIST_IDS)).toEqual([]);
  });

  it('is not checked when the caller does not require it (virtual-clock simulator runs)', () => {
    expect(check()).toEqual([]);
  });

  it('blocks the start when required and not every item is confirmed, naming the unconfirmed ones', () => {
    const none = check([]);
    expect(blocks(none)).toBe(true);
    expect(none).toHaveLength(1);
    expect(none[0]!.code).toBe('checklist-not-confirmed');
    for (const id of CHECKLIST_IDS) expect(none[0]!.message).toContain(id);
    const three = check(['sedation', 'no-pneumothorax', 'no-raised-icp']);
    expect(three.map((i) => `${i.code}/${i.severity}`)).toEqual(['checklist-not-confirmed/block']);
    expect(three[0]!.message).toContain('stable-vasopressors');
    expect(three[0]!.message).not.toContain('no-raised-icp');
  });

  it('passes when every item is confirmed; unknown ids confirm nothing', () => {
    expect(check(CHECKLIST_IDS)).toEqual([]);
    expect(blocks(check(['sedation', 'no-pneumothorax', 'no-raised-icp', 'stable-vasopressor']))).toBe(true);
  });

  it('keeps the maneuver machine in notStarted, commanding nothing, until every item is confirmed', () => {
    const refused = new Driver('sustained-inflation', { checklist: ['sedation'] });
    refused.start();
    expect(refused.state).toBe('notStarted');
    expect(refused.context.run.preconditionIssues.map((i) => i.code)).toEqual(['checklist-not-confirmed']);
    expect(refused.commands).toEqual([]);
    const confirmed = new Driver('sustained-inflation', { checklist: CHECKLIST_IDS });
    confirmed.start();
    expect(confirmed.state).not.toBe('notStarted');
    expect(confirmed.commands.length).toBeGreaterThan(0);
  });
});
