/**
 * Issue 19 on the console, in Debian's chromium: a sustained inflation on the simulated
 * moderate-ards patient at 30x completes; while it waits for End the post-maneuver
 * watch runs (a scripted disconnection 20 s in shows as "PEEP lost" and the verdict); after End
 * the rescue-therapy advisor lists the options, saying it never acts on the ventilator, and
 * takes the operator's PaO2 and mean airway pressure for P/F and OI.
 */
import { pino } from 'pino';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WATCH_CONFIG } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE, loadPatient } from '../../src/cli/inputs.js';
import { startConsole, type ConsoleHandle } from '../../src/console/index.js';
import { simulatedSource, type SessionSource } from '../../src/runner/source.js';
import { confirmChecklist, HAVE_CHROMIUM, openConsolePage, type ConsolePage } from './support.js';

describe.skipIf(!HAVE_CHROMIUM)('console: post-maneuver watch and rescue-therapy advisor (e2e)', () => {
  let cp: ConsolePage;
  let con: ConsoleHandle;
  let page: Page;
  let pageErrors: string[];
  const writes: number[] = [];

  beforeAll(async () => {
    const { profile } = loadPatient('moderate-ards');
    const base = simulatedSource({ patientName: 'moderate-ards', profile, seed: 1, baseline: DEFAULT_SIM_BASELINE, speed: 30, guided: false });
    // The same source, with a disconnection 20 s into the watch and every ventilator write recorded.
    const source: SessionSource = {
      ...base,
      async open(maneuver, protocol, start) {
        const opened = await base.open(maneuver, protocol, start);
        const { session } = opened;
        const apply = session.options.ventilator.apply.bind(session.options.ventilator);
        session.options.ventilator.apply = (change) => {
          writes.push(session.clock.now());
          return apply(change);
        };
        session.telemetry$.subscribe((e) => {
          if (e.kind === 'watch' && e.stage === 'started') opened.world!.scheduleCircuitEvent({ kind: 'disconnection', atMs: e.t + 20_000, durationMs: 30_000 });
        });
        return opened;
      },
    };
    // The test opens the page itself (and checks the controls).
    cp = await openConsolePage({
      start: (staticDir) => startConsole({ source, port: 0, logger: pino({ level: 'silent' }), staticDir, batchMs: 100, watch: { ...DEFAULT_WATCH_CONFIG, durationMin: 10 } }),
      viewport: { width: 1280, height: 900 },
      open: false,
    });
    ({ con, page, pageErrors } = cp);
  }, 60_000);

  afterAll(async () => cp?.close());

  const text = (selector: string) => page.locator(selector).innerText();

  it('shows the watch while the completed maneuver waits, then the advisor after End', async () => {
    await page.goto(con.openUrl);
    await expect.poll(() => text('#controls-pill')).toBe('Controls enabled');
    await page.waitForSelector('#start');
    await page.click('[data-maneuver="sustained-inflation"]');
    await confirmChecklist(page);
    await page.click('#start');
    await expect.poll(() => page.locator('body').getAttribute('data-state'), { timeout: 90_000, interval: 100 }).toBe('completed');
    // The watch: advisory only, and the disconnection shows as a loss of PEEP.
    await expect.poll(() => page.locator('#watch-panel').count(), { timeout: 10_000 }).toBe(1);
    expect(await text('#watch-panel .after-notice')).toMatch(/Advisory only: the controller changes no setting during the watch/);
    const writesAtCompletion = writes.length;
    await expect.poll(() => text('#watch-verdict'), { timeout: 20_000, interval: 100 }).toBe('Derecruitment suspected: consider re-recruitment');
    expect(await text('#watch-findings')).toMatch(/ADVISORY PEEP lost since \+0:2\d into the watch/);
    expect(writes.length).toBe(writesAtCompletion); // nothing written to the ventilator during the watch

    // End: the maneuver produced no response, so the advisor follows, saying what it is.
    await page.click('button:has-text("End")');
    await expect.poll(() => page.locator('#advice-panel').count(), { timeout: 10_000 }).toBe(1);
    expect(await text('#advice-panel .after-notice')).toMatch(/never acts on the ventilator/);
    expect(await text('#advice-panel')).toMatch(/Why now: no response to the maneuver/);
    expect(await page.locator('#advice-options tr[data-option]').count()).toBe(6);
    expect(await page.locator('#advice-options tr[data-option="ecmo"]').getAttribute('data-status')).toBe('not-met');
    // The operator enters an arterial PaO2 and the displayed mean airway pressure: P/F and OI appear.
    expect(await text('#advice-indices')).toMatch(/^P\/F – · S\/F/);
    await page.fill('#advisor-pao2', '55');
    await page.fill('#advisor-mawp', '20');
    await page.click('#advisor-submit');
    await expect.poll(() => text('#advice-indices'), { timeout: 10_000 }).toMatch(/^P\/F 91.7 · S\/F [\d.–]+ · OI 21.8/);
    expect(await page.locator('#advice-options tr[data-option="prone-positioning"]').getAttribute('data-status')).toBe('met');
    expect(writes.length).toBe(writesAtCompletion);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
