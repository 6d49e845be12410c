/**
 * The console at every screen size a bedside has (phone, tablet both ways, laptop), in
 * Debian's chromium: ABORT is wholly on screen and a tap at its centre reaches it (nothing
 * overlaps it); the running step, its countdown, SpO2 and MAP are above the fold; after
 * Start the page shows the running step (it does not stay scrolled down at the form).
 *
 * With UPDATE_SCREENSHOTS=1 it saves docs/console-phone.png, docs/console-tablet.png and
 * docs/console-desktop.png for docs/console.md.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { belowHeader, confirmChecklist, chartLabels, clippedChartHeaders, labelsOnTrace, overlappingChartLabels, fullyVisible, HAVE_CHROMIUM, hitsItself, noSidewaysScroll, openConsolePage, ROOT, scrollTop, scrollY, VIEWPORTS, type ConsolePage } from './support.js';

const DOCS = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'rmseq-console-shots-'));
const SHOTS: Record<string, string> = { phone: 'console-phone.png', 'tablet-landscape': 'console-tablet.png', desktop: 'console-desktop.png' };

describe.skipIf(!HAVE_CHROMIUM)('console layout at every viewport (e2e)', () => {
  let cp: ConsolePage;
  let page: Page;

  beforeAll(async () => {
    cp = await openConsolePage({ speed: 15, viewport: { width: 390, height: 844 } });
    page = cp.page;
  }, 60_000);

  afterAll(async () => cp?.close());

  const state = async () => (await page.locator('body').getAttribute('data-state')) ?? '';

  it('after Start on a phone the page shows the running step, not the form it was scrolled to', async () => {
    await page.waitForSelector('#start');
    await confirmChecklist(page);
    // The form is longer than the screen: the operator scrolls down to Start.
    await page.locator('#start').scrollIntoViewIfNeeded();
    expect(await scrollY(page)).toBeGreaterThan(100);
    await page.click('#start');
    await expect.poll(state, { timeout: 15_000 }).toMatch(/dwelling$/);
    expect((await fullyVisible(page, '#now-headline')).inside).toBe(true);
    expect(await belowHeader(page, '#now-badge')).toBe(true);
    expect((await fullyVisible(page, '#countdown-value')).inside).toBe(true);
  }, 40_000);

  for (const vp of VIEWPORTS) {
    it(`${vp.name} ${vp.width}x${vp.height}: ABORT whole and tappable; step, countdown, SpO2 and MAP above the fold`, async () => {
      await page.setViewportSize({ width: vp.width, height: vp.height });
      await scrollTop(page);
      await expect.poll(state, { timeout: 20_000 }).toMatch(/^active\..*dwelling$/);
      await expect.poll(() => page.locator('#countdown-value').innerText()).toMatch(/^\d+:\d\d$/);
      const abort = await fullyVisible(page, '#abort');
      expect(abort.inside, `ABORT box ${JSON.stringify(abort.box)}`).toBe(true);
      expect(await hitsItself(page, '#abort')).toBe(true);
      expect(abort.box!.height).toBeGreaterThanOrEqual(44); // a finger-sized target
      for (const sel of ['#now-headline', '#countdown-value', '#chart-spo2 .chart-value', '#chart-map .chart-value']) {
        const v = await fullyVisible(page, sel);
        expect(v.inside, `${sel} at ${JSON.stringify(v.box)} in ${vp.width}x${vp.height}`).toBe(true);
        expect(await belowHeader(page, sel), `${sel} under the header`).toBe(true);
      }
      // The step name is readable, not squeezed into a sliver.
      expect((await page.locator('#now-headline').boundingBox())!.width).toBeGreaterThan(Math.min(250, vp.width * 0.6));
      expect(await noSidewaysScroll(page)).toBe(true);
      // Chart headers whole (no "10..." values), limit labels on the plots apart, and the MAP
      // chart's two limits both labelled.
      expect(await clippedChartHeaders(page)).toEqual([]);
      expect(await overlappingChartLabels(page)).toEqual([]);
      // (on a small plot a label may be the short form, "MAP < 64")
      // Labels clear of the live trace: on a phone's plot (about 100 px square) the SBP floor, which
      // runs along the MAP trace, may have no such room: it is then left out and the header says it.
      const mapInfo: string = await page.evaluate(`(() => { const c = document.getElementById('chart-map'); return c.dataset.labels + ' ' + c.dataset.plot; })()`);
      expect((await chartLabels(page))['chart-map']!.filter((t) => /^(MAP|SBP)( abort)? </.test(t)).length, mapInfo).toBeGreaterThanOrEqual(vp.width < 760 ? 1 : 2);
      expect(await page.locator('#chart-map .chart-limits').innerText()).toMatch(/abort if MAP < \d+ or SBP < \d+/);
      expect(await labelsOnTrace(page, 'chart-map', cp.con.server.hub.snapshot()!.rows, ['mapMmHg', 'sbpMmHg'])).toEqual([]);
      // The header leaves most of the screen to the patient.
      expect((await page.locator('#topbar').boundingBox())!.height).toBeLessThanOrEqual(vp.height * 0.2);
      const shot = SHOTS[vp.name];
      if (shot) await page.screenshot({ path: join(DOCS, shot) });
    }, 30_000);
  }

  it('the pre-oxygenation holds this patient did not need are one row, "Pre-oxygenation: not needed", not five struck-through ones', async () => {
    await expect.poll(state, { timeout: 20_000 }).toMatch(/^active\.incremental/);
    const rows = await page.locator('#plan .plan-step', { hasText: 'Pre-oxygenation' }).allInnerTexts();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/Pre-oxygenation: not needed/);
    expect(await page.locator('#plan .plan-skipped, #plan .plan-not-run').count()).toBe(1);
  }, 30_000);

  it('1024x768: the MAP chart\'s limit labels overlap neither the live trace nor each other', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await scrollTop(page);
    // A trace long enough to cross the plot, with the limits relative to the baseline drawn.
    await expect.poll(() => cp.con.server.hub.snapshot()?.rows.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(40);
    await expect.poll(state, { timeout: 20_000 }).toMatch(/^active\./);
    await page.waitForTimeout(500);
    const labels = (await chartLabels(page))['chart-map']!;
    expect(labels.filter((t) => /^(MAP|SBP)( abort)? </.test(t)).length).toBeGreaterThanOrEqual(2);
    expect(await overlappingChartLabels(page)).toEqual([]);
    const rows = cp.con.server.hub.snapshot()!.rows;
    expect(await labelsOnTrace(page, 'chart-map', rows, ['mapMmHg', 'sbpMmHg'])).toEqual([]);
    // So on every chart with limits.
    expect(await labelsOnTrace(page, 'chart-spo2', rows, ['spo2Pct'])).toEqual([]);
    expect(await labelsOnTrace(page, 'chart-hr', rows, ['hrBpm'])).toEqual([]);
    expect(await labelsOnTrace(page, 'chart-pressure', rows, ['peakCmH2O', 'peepCmH2O'])).toEqual([]);
    await page.locator('#chart-map').screenshot({ path: join(DOCS === join(ROOT, 'docs') ? mkdtempSync(join(tmpdir(), 'rmseq-map-')) : DOCS, 'console-map-1024.png') });
  }, 40_000);

  it('a tap on ABORT at the phone size aborts (nothing intercepts it)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await scrollTop(page);
    await expect.poll(state, { timeout: 20_000 }).toMatch(/^active\./);
    // A finger lands where the button is drawn: no scrolling first, whatever is on top gets the tap.
    const box = (await page.locator('#abort').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(state, { timeout: 10_000 }).toMatch(/^(aborting|aborted)/);
  }, 30_000);
});
