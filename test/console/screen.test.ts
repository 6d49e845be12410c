/**
 * The recruitability screen through the console server (issue 19 item 1), over real
 * WebSockets: a screen-only session reports its steps, the verified return and R/I as the
 * session computed it, then ends by itself; a staircase with the screen first follows the
 * screen's policy (block: nothing more starts); on a ventilator that cannot drop PEEP for one
 * breath (guided) the screen is refused with the way by hand, and readings entered are
 * validated as `rmseq screen --readings` validates them (nothing applied on bad input).
 */
import { describe, expect, it } from 'vitest';
import { applyScreenPolicy, defaultProtocol, recruitabilityOf, type StaircaseProtocol } from '../../machines/index.js';
import type { ConsoleHandle, ScreenEntered } from '../../src/console/index.js';
import type { ConsoleEvent, ScreenView, ServerMessage } from '../../src/console/wire.js';
import { consolePerTest, isError, startTestConsole, TestClient } from './support.js';

const consoles = consolePerTest(5000);

function open(o: { guided?: boolean; onScreenEntered?: (e: ScreenEntered) => void } = {}): Promise<{ con: ConsoleHandle; page: TestClient }> {
  // 25x: a screen (about 130 s of session) in about 5 s, with room for a loaded machine.
  return consoles.open(() => startTestConsole({ speed: 25, ...o }));
}

const errorOf = (m: ServerMessage) => {
  if (!isError(m)) throw new Error(`expected an error, got ${JSON.stringify(m).slice(0, 300)}`);
  return m;
};

/** Every screen view the page was sent, in order. */
const screensOf = (messages: readonly ServerMessage[]): ScreenView[] =>
  messages.flatMap((m) => (m.type === 'update' ? m.events.filter((e): e is Extract<ConsoleEvent, { kind: 'screen' }> => e.kind === 'screen').map((e) => e.screen) : []));

const FAST = { highDwellS: 30, returnDwellS: 3 };

describe('console: the recruitability screen on a ventilator that drops PEEP for one breath', () => {
  it('says so in welcome, with the screen and its default protocol', async () => {
    const { page } = await open();
    const w = await page.next((m) => m.type === 'welcome');
    expect(w.type === 'welcome' && w.server.screens).toEqual(['recruitability-screen']);
    expect(w.type === 'welcome' && w.server.oneBreathDrop).toBe(true);
    expect(w.type === 'welcome' && w.server.defaults['recruitability-screen'].maneuver).toBe('recruitability-screen');
    expect(await page.next((m) => m.type === 'entered-screen')).toEqual({ type: 'entered-screen', screen: null });
  });

  it('a screen-only session: high PEEP, the release breath, the verified return, then R/I as the session computed it; it ends by itself, with no advice', async () => {
    const { con, page } = await open();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'recruitability-screen', protocol: FAST })).toMatchObject({ type: 'accepted' });
    await page.state(/^finished$/, 30_000);
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 10_000);
    const views = screensOf(page.messages);
    const stages = views.map((v) => v.stage).filter((s, i, a) => s !== a[i - 1]);
    expect(stages).toEqual(['waiting', 'high', 'release', 'back', 'assessment', 'done']);
    // The return is verified while back at the high PEEP, before R/I is shown.
    const firstVerified = views.findIndex((v) => v.returnVerified === true);
    expect(firstVerified).toBeGreaterThan(-1);
    expect(views[firstVerified]!.stage).toBe('back');
    const last = views[views.length - 1]!;
    const snap = con.server.hub.snapshot()!;
    expect(snap.summary!.outcome).toBe('completed');
    expect(last.result).toEqual(snap.summary!.screen);
    expect(last.recommendation).toMatch(/recruitability/);
    expect(last.source).toBe('measured');
    expect(last.decision).toBeNull();
    expect(snap.screen).toEqual(last);
    // A screen is not a maneuver: nothing to watch or advise after it.
    expect(snap.advice ?? null).toBeNull();
    expect(snap.watch ?? null).toBeNull();
    expect(con.server.hub.live).toBe(false);
  }, 40_000);

  it('a staircase with the screen first and policy block: the screen runs, the decision is BLOCK, no staircase opens', async () => {
    const { con, page } = await open();
    const r = await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true, screenProtocol: { ...FAST, policy: 'block', thresholdRatio: 2 } });
    expect(r).toMatchObject({ type: 'accepted' });
    // Busy while the screen runs and its staircase is decided.
    expect(errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation' })).code).toBe('busy');
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'screen' && e.screen.decision !== null), 30_000);
    const decided = screensOf(page.messages).find((v) => v.decision)!;
    expect(decided.decision!.action).toBe('block');
    expect(decided.decision!.message).toMatch(/policy block: the staircase is not started/);
    // The screen's session is closed (its ventilator and monitor released), nothing else opens.
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 10_000);
    expect(con.server.hub.snapshot()!.closed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(page.messages.filter((m) => m.type === 'session')).toHaveLength(1);
    expect(con.server.hub.snapshot()!.info.maneuver).toBe('recruitability-screen');
    expect(con.server.hub.live).toBe(false);
  }, 40_000);

  it('a screen aborted by the operator starts no staircase, and says why; the steps show where it stopped', async () => {
    const { con, page } = await open();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true, screenProtocol: { ...FAST, policy: 'warn' } })).toMatchObject({ type: 'accepted' });
    await page.state(/^active\.release/, 30_000);
    expect(await page.request({ type: 'abort', token: con.token })).toMatchObject({ type: 'accepted' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'screen' && e.screen.decision !== null), 30_000);
    const last = screensOf(page.messages).at(-1)!;
    expect(last.stage).toBe('aborted');
    expect(['release', 'back']).toContain(last.abortedIn);
    expect(last.decision).toMatchObject({ action: 'block', message: 'the recruitability screen did not complete (aborted): the staircase is not started' });
    await page.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'closed'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(page.messages.filter((m) => m.type === 'session')).toHaveLength(1);
    expect(con.server.hub.live).toBe(false);
  }, 40_000);

  it('refuses the screen before anything but a staircase, and a bad screen protocol naming field, value and range', async () => {
    const { con, page } = await open();
    const notStaircase = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation', screenFirst: true }));
    expect(notStaircase.code).toBe('invalid-protocol');
    expect(notStaircase.problems?.[0]?.field).toBe('screenFirst');
    const bad = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true, screenProtocol: { lowPeepCmH2O: 20 } }));
    expect(bad.code).toBe('invalid-protocol');
    expect(bad.problems).toContainEqual({ field: 'screen.lowPeepCmH2O', value: 20, message: 'must be between 0 and 15 cmH2O' });
    expect(con.server.hub.snapshot()).toBeNull();
  });
});

describe('console: the recruitability screen by hand (a ventilator that cannot drop PEEP for one breath)', () => {
  it('welcome says the screen is by hand; starting it is refused with the way by hand', async () => {
    const { con, page } = await open({ guided: true });
    const w = await page.next((m) => m.type === 'welcome');
    expect(w.type === 'welcome' && w.server.oneBreathDrop).toBe(false);
    const e = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'recruitability-screen' }));
    expect(e.code).toBe('screen-needs-readings');
    expect(e.message).toMatch(/cannot drop PEEP for a single breath.*by hand/);
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('bad readings are refused naming each field, value and range; nothing is applied or journaled', async () => {
    const journaled: ScreenEntered[] = [];
    const { con, page } = await open({ guided: true, onScreenEntered: (e) => journaled.push(e) });
    const cases: [Record<string, unknown>, { field: string; value: unknown; message: RegExp }][] = [
      [{ tidalVolumeMl: 40, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 }, { field: 'tidalVolumeMl', value: 40, message: /^must be between 100 and 1000 mL$/ }],
      [{ tidalVolumeMl: 400, releaseExpiredVolumeMl: 5000, lowPlateauCmH2O: 25 }, { field: 'releaseExpiredVolumeMl', value: 5000, message: /^must be between 100 and 3000 mL$/ }],
      [{ tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000 }, { field: 'lowPlateauCmH2O', value: undefined, message: /between 5 and 60 cmH2O/ }],
      [{ tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 'high' }, { field: 'lowPlateauCmH2O', value: 'high', message: /between 5 and 60 cmH2O/ }],
      [{ tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25, lowPeepCmH2O: 15, highPeepCmH2O: 12 }, { field: 'lowPeepCmH2O', value: 15, message: /below highPeepCmH2O \(12 cmH2O\)/ }],
      [{ tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: 31 }, { field: 'airwayOpeningPressureCmH2O', value: 31, message: /between 0 and 30 cmH2O/ }],
      [{ tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25, extra: 1 }, { field: 'extra', value: 1, message: /unknown field/ }],
    ];
    for (const [readings, want] of cases) {
      const e = errorOf(await page.request({ type: 'screen-readings', token: con.token, readings }));
      expect(e.code, JSON.stringify(readings)).toBe('invalid-readings');
      const p = e.problems?.find((x) => x.field === want.field);
      expect(p, `${want.field} in ${JSON.stringify(e.problems)}`).toBeDefined();
      expect(p!.value).toEqual(want.value);
      expect(p!.message).toMatch(want.message);
      expect(e.message).toMatch(/nothing was applied/);
      expect(con.server.hub.enteredScreen).toBeNull();
    }
    expect(page.messages.filter((m) => m.type === 'entered-screen' && m.screen !== null)).toHaveLength(0);
    // Without the token: refused, as every control message.
    expect(errorOf(await page.request({ type: 'screen-readings', token: 'nope', readings: { tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 } })).code).toBe('unauthorized');
    expect(con.server.hub.enteredScreen).toBeNull();
    expect(journaled).toEqual([]);
  });

  it('good readings are journaled with their R/I, the recommendation and the screen protocol', async () => {
    const journaled: ScreenEntered[] = [];
    const { con, page } = await open({ guided: true, onScreenEntered: (e) => journaled.push(e) });
    const readings = { tidalVolumeMl: 400, releaseExpiredVolumeMl: 1000, lowPlateauCmH2O: 25 };
    expect(await page.request({ type: 'screen-readings', token: con.token, readings, screenProtocol: { thresholdRatio: 1 } })).toMatchObject({ type: 'accepted' });
    expect(journaled).toHaveLength(1);
    expect(journaled[0]!.readings).toEqual({ ...readings, highPeepCmH2O: 15, lowPeepCmH2O: 5, airwayOpeningPressureCmH2O: null });
    expect(journaled[0]!.result).toEqual(recruitabilityOf(journaled[0]!.readings, 1));
    expect(journaled[0]!.protocol.thresholdRatio).toBe(1);
    expect(journaled[0]!.recommendation).toMatch(/^high recruitability/);
  });

  it('good readings give R/I by the published formula, sent to every page; a staircase then follows its policy (block: refused, cap: capped)', async () => {
    const { con, page } = await open({ guided: true });
    const other = await TestClient.connect(con.server.port);
    try {
      const readings = { tidalVolumeMl: 400, releaseExpiredVolumeMl: 650, lowPlateauCmH2O: 25, airwayOpeningPressureCmH2O: 3 };
      // A staircase with the screen first and nothing entered: refused, saying what to do.
      expect(errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true })).code).toBe('screen-needs-readings');
      expect(await page.request({ type: 'screen-readings', token: con.token, readings })).toMatchObject({ type: 'accepted' });
      const sent = await other.next((m) => m.type === 'entered-screen' && m.screen !== null);
      const expected = recruitabilityOf({ highPeepCmH2O: 15, lowPeepCmH2O: 5, airwayOpeningPressureCmH2O: 3, tidalVolumeMl: 400, releaseExpiredVolumeMl: 650, lowPlateauCmH2O: 25 });
      expect(sent.type === 'entered-screen' && sent.screen?.result).toEqual(expected);
      expect(expected.ratio).toBe(0.25);
      expect(con.server.hub.enteredScreen?.source).toBe('entered');

      const blocked = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true, screenProtocol: { policy: 'block' } }));
      expect(blocked.code).toBe('screen-blocked');
      expect(blocked.message).toMatch(/R\/I 0\.25 < 0\.5.*policy block: the staircase is not started/);
      expect(con.server.hub.snapshot()).toBeNull();

      expect(await page.request({ type: 'start', token: con.token, maneuver: 'staircase', screenFirst: true, screenProtocol: { policy: 'cap', capPeakCmH2O: 40 } })).toMatchObject({ type: 'accepted' });
      const info = con.server.hub.snapshot()!.info;
      expect(info.maneuver).toBe('staircase');
      expect(info.screen?.decision?.action).toBe('cap');
      const capped = applyScreenPolicy(defaultProtocol('staircase') as StaircaseProtocol, expected, 'cap', 40).protocol!;
      const dp = capped.drivingPressureCmH2O;
      expect(capped.incrementalPeepsCmH2O.every((p) => p + dp <= 40)).toBe(true);
      expect(info.screen?.decision?.capped).toEqual({ capPeakCmH2O: 40, peakLimitCmH2O: capped.peakLimitCmH2O, incrementalPeepsCmH2O: capped.incrementalPeepsCmH2O, decrementalStartPeepCmH2O: capped.decremental.startPeepCmH2O, reRecruitPeepCmH2O: capped.reRecruit.peepCmH2O });
      // The staircase that runs is the capped one (guided mode lengthens its apply and restore deadlines).
      const ran = info.protocol as StaircaseProtocol;
      expect({ peeps: ran.incrementalPeepsCmH2O, limit: ran.peakLimitCmH2O, start: ran.decremental.startPeepCmH2O, reRecruit: ran.reRecruit.peepCmH2O }).toEqual({
        peeps: capped.incrementalPeepsCmH2O,
        limit: capped.peakLimitCmH2O,
        start: capped.decremental.startPeepCmH2O,
        reRecruit: capped.reRecruit.peepCmH2O,
      });
      expect(con.server.hub.snapshot()!.screen).toEqual(info.screen);
    } finally {
      await other.close();
    }
  });
});
