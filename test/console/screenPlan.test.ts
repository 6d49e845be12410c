/**
 * The console plan of a recruitability screen (R/I, Chen 2020) marks every step that ran as
 * done, through the console server on the simulated patient (real sessions, real WebSockets)
 * and the page's own row logic (planRows on the model the page keeps).
 *
 * Found on screenshots: after a finished screen (alone, or "screen first" before a staircase)
 * the row "R/I screen: back to PEEP 15 (verified)" was struck through as "not run" while the
 * screen panel said the return was verified. The screen plan has two rows of phase `screen`
 * (the high PEEP and the return to it) and the screen never advances its step index, so the
 * return was placed on the high-PEEP row and its own row was never visited.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SIM_BASELINE } from '../../src/cli/inputs.js';
import type { ConsoleHandle } from '../../src/console/index.js';
import { displayPlan, parseProtocol } from '../../src/console/plans.js';
import { planIndexOf } from '../../src/console/translate.js';
import { planRows, type PlanStatus } from '../../src/console/web/planRows.js';
import type { ConsoleEvent, ScreenView, ServerMessage, SessionModel } from '../../src/console/wire.js';
import { consolePerTest, startTestConsole, TestClient } from './support.js';

const consoles = consolePerTest(5000);
const open = (): Promise<{ con: ConsoleHandle; page: TestClient }> => consoles.open(() => startTestConsole({ speed: 25 }));

/** A short screen: 30 s at the high PEEP, a 3 s return (longer where the test aborts in it). */
const FAST = { highDwellS: 30, returnDwellS: 3 };

const screensOf = (messages: readonly ServerMessage[]): ScreenView[] =>
  messages.flatMap((m) => (m.type === 'update' ? m.events.filter((e): e is Extract<ConsoleEvent, { kind: 'screen' }> => e.kind === 'screen').map((e) => e.screen) : []));

/** Each plan row of the screen session by what it is, with its status as the page draws it. */
function screenRows(m: SessionModel): Record<'high' | 'release' | 'back' | 'baseline', PlanStatus> {
  expect(m.info.maneuver).toBe('recruitability-screen');
  const rows = planRows(m);
  const find = (re: RegExp) => {
    const r = rows.filter((x) => re.test(x.label));
    expect(r, `one plan row ${re}: ${rows.map((x) => x.label).join(' | ')}`).toHaveLength(1);
    return r[0]!.status;
  };
  expect(rows).toHaveLength(4);
  return {
    high: find(/^R\/I screen: VC at PEEP 15 for 30 s$/),
    release: find(/^R\/I screen: one breath at PEEP 5 \(release from 15\)$/),
    back: find(/^R\/I screen: back to PEEP 15 \(verified\)$/),
    baseline: find(/baseline/i),
  };
}

describe('planIndexOf: two plan rows of one phase', () => {
  const parsed = parseProtocol('recruitability-screen', FAST);
  if (!('protocol' in parsed)) throw new Error('the screen protocol');
  const plan = displayPlan(parsed.protocol, DEFAULT_SIM_BASELINE);

  it('the screen plans its high PEEP and its return to it as two rows of phase "screen"', () => {
    expect(plan.map((p) => p.phase)).toEqual(['screen', 'release', 'screen', 'assessment']);
  });

  it('the return to the high PEEP (step index 0 of its phase again) lands on its own row, not on the high PEEP\'s', () => {
    expect(planIndexOf(plan, 'screen', 0, plan[0]!.label)).toBe(0);
    expect(planIndexOf(plan, 'release', 0, plan[1]!.label)).toBe(1);
    expect(planIndexOf(plan, 'screen', 0, plan[2]!.label)).toBe(2);
    expect(planIndexOf(plan, 'assessment', 0, plan[3]!.label)).toBe(3);
  });

  it('a label the plan does not list (a titrated step described by its rule) keeps the step-index rule', () => {
    expect(planIndexOf(plan, 'screen', 0, 'something the plan does not say')).toBe(0);
    expect(planIndexOf(plan, 'assessment', 0, null)).toBe(3);
  });
});

describe('console plan of a recruitability screen', () => {
  it('a completed screen: the high PEEP, the release breath, the verified return and the baseline are each marked done', async () => {
    const { con, page } = await open();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'recruitability-screen', protocol: FAST })).toMatchObject({ type: 'accepted' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 30_000);
    const snap = con.server.hub.snapshot()!;
    expect(snap.summary!.outcome).toBe('completed');
    expect(snap.screen!.returnVerified).toBe(true);
    expect(screenRows(snap)).toEqual({ high: 'done', release: 'done', back: 'done', baseline: 'done' });
    // The page rebuilds the model from the same events: what it draws is the same.
    expect(planRows(snap).map((r) => r.note)).toEqual(['', '', '', '']);
  }, 40_000);

  it('"screen first" before a staircase (policy block, so the screen\'s session stays on the page): every screen row done', async () => {
    const { con, page } = await open();
    const r = await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true, screenProtocol: { ...FAST, policy: 'block', thresholdRatio: 2 } });
    expect(r).toMatchObject({ type: 'accepted' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 30_000);
    const snap = con.server.hub.snapshot()!;
    expect(snap.screen!.decision!.action).toBe('block');
    expect(snap.screen!.returnVerified).toBe(true);
    expect(screenRows(snap)).toEqual({ high: 'done', release: 'done', back: 'done', baseline: 'done' });
  }, 40_000);

  it('aborted during the release breath: the high PEEP done, the release aborted, the return and the baseline step not run', async () => {
    const { con, page } = await open();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'recruitability-screen', protocol: FAST })).toMatchObject({ type: 'accepted' });
    await page.state(/^active\.release/, 30_000);
    expect(await page.request({ type: 'abort', token: con.token })).toMatchObject({ type: 'accepted' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 30_000);
    const snap = con.server.hub.snapshot()!;
    const abortedIn = screensOf(page.messages).at(-1)!.abortedIn;
    // The release lasts one breath: the abort may land after the machine went on to the return.
    if (abortedIn === 'release') expect(screenRows(snap)).toEqual({ high: 'done', release: 'aborted', back: 'not-run', baseline: 'not-run' });
    else expect(screenRows(snap)).toEqual({ high: 'done', release: 'done', back: 'aborted', baseline: 'not-run' });
    expect(planRows(snap).filter((r) => r.status === 'not-run').every((r) => r.note === 'not run')).toBe(true);
  }, 40_000);

  it('aborted during the return to the high PEEP: the high PEEP and the release done, the return aborted, the baseline step not run', async () => {
    const { con, page } = await open();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'recruitability-screen', protocol: { ...FAST, returnDwellS: 60 } })).toMatchObject({ type: 'accepted' });
    await page.state(/^active\.back\..*dwelling/, 30_000);
    expect(await page.request({ type: 'abort', token: con.token })).toMatchObject({ type: 'accepted' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 30_000);
    const snap = con.server.hub.snapshot()!;
    expect(screensOf(page.messages).at(-1)!.abortedIn).toBe('back');
    expect(screenRows(snap)).toEqual({ high: 'done', release: 'done', back: 'aborted', baseline: 'not-run' });
  }, 40_000);

  it('aborted at the high PEEP: it aborted, every later row not run', async () => {
    const { con, page } = await open();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'recruitability-screen', protocol: FAST })).toMatchObject({ type: 'accepted' });
    await page.state(/^active\.high\..*dwelling/, 30_000);
    expect(await page.request({ type: 'abort', token: con.token })).toMatchObject({ type: 'accepted' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 30_000);
    expect(screenRows(con.server.hub.snapshot()!)).toEqual({ high: 'aborted', release: 'not-run', back: 'not-run', baseline: 'not-run' });
  }, 40_000);
});
