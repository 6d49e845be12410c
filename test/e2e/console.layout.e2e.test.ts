/**
 * The console at every screen size a bedside has (phone, tablet both ways, laptop), in
 * Debian's chromium: ABORT is wholly on screen and a tap at its centre reaches it (nothing
 * overlaps it); the running step, its countdown, SpO2 and MAP are above the fold; after
 * Start the page shows the running step (it does not stay scrolled down at the form). Chart
 * limit labels are clear of the trace and of each other; on a phone both limits of the MAP
 * chart are in a key under its plot (readable, off the plot).
 *
 * With UPDATE_SCREENSHOTS=1 it saves docs/console-phone.png, docs/console-tablet.png and
 * docs/console-desktop.png for docs/console.md.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { belowHeader, confirmChecklist, chartLabels, labelsAcrossLines, labelsNearerAnotherLine, clippedChartHeaders, labelsOnTrace, overlappingChartLabels, fullyVisible, HAVE_CHROMIUM, hitsItself, noSidewaysScroll, openConsolePage, ROOT, scrollTop, scrollY, VIEWPORTS, type ConsolePage } from './support.js';

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
      // (on a small plot a label may be the short form, "MAP < 64"). Both limits are labelled: on
      // the plot, clear of the live trace, or in the key under a plot too small for that (a phone's).
      const mapInfo: string = await page.evaluate(`(() => { const c = document.getElementById('chart-map'); return c.dataset.labels + ' ' + c.dataset.plot; })()`);
      const mapLabels = [...(await chartLabels(page))['chart-map']!, ...(await page.locator('#chart-map .chart-key-item').allInnerTexts())];
      expect(mapLabels.filter((t) => /^MAP( abort)? </.test(t)).length, mapInfo).toBeGreaterThanOrEqual(1);
      expect(mapLabels.filter((t) => /^SBP( abort)? </.test(t)).length, mapInfo).toBeGreaterThanOrEqual(1);
      // No limit line of any chart goes unlabelled: its label is on the plot or in the key.
      const unlabelled: string[] = await page.evaluate(`[...document.querySelectorAll('.chart-card')].filter((c) => {
        const drawn = JSON.parse(c.dataset.lines || '[]').length;
        const named = JSON.parse(c.dataset.labels || '[]').length + c.querySelectorAll('.chart-key-item').length;
        return drawn === 0 || named !== drawn;
      }).map((c) => c.id + ': ' + c.dataset.lines + ' lines, ' + c.dataset.labels + ' ' + c.querySelector('.chart-key').textContent)`);
      expect(unlabelled.filter((c) => !c.startsWith('chart-compliance')), `${vp.width}x${vp.height}`).toEqual([]);
      // And no label has another limit line through it (on a tablet the MAP floor's label sat
      // between the floor and the relative limit, 4 mmHg apart, struck through by the latter).
      expect(await labelsAcrossLines(page), `${vp.width}x${vp.height}`).toEqual([]);
      // Nor is one nearer another limit's line than its own (it would be read as that one's).
      expect(await labelsNearerAnotherLine(page), `${vp.width}x${vp.height}`).toEqual([]);
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
    // Both limits labelled: on the plot, or in the key under it when the plot has no room for a
    // label clear of the trace and of the other limit lines (the MAP floor and the relative MAP
    // limit are 4 mmHg apart here).
    const labels = [...(await chartLabels(page))['chart-map']!, ...(await page.locator('#chart-map .chart-key-item').allInnerTexts())];
    expect(labels.filter((t) => /^MAP( abort)? </.test(t)).length, labels.join(' | ')).toBeGreaterThanOrEqual(1);
    expect(labels.filter((t) => /^SBP( abort)? </.test(t)).length, labels.join(' | ')).toBeGreaterThanOrEqual(1);
    expect(await overlappingChartLabels(page)).toEqual([]);
    expect(await labelsAcrossLines(page)).toEqual([]);
    expect(await labelsNearerAnotherLine(page)).toEqual([]);
    const rows = cp.con.server.hub.snapshot()!.rows;
    expect(await labelsOnTrace(page, 'chart-map', rows, ['mapMmHg', 'sbpMmHg'])).toEqual([]);
    // So on every chart with limits.
    expect(await labelsOnTrace(page, 'chart-spo2', rows, ['spo2Pct'])).toEqual([]);
    expect(await labelsOnTrace(page, 'chart-hr', rows, ['hrBpm'])).toEqual([]);
    expect(await labelsOnTrace(page, 'chart-pressure', rows, ['peakCmH2O', 'peepCmH2O'])).toEqual([]);
    await page.locator('#chart-map').screenshot({ path: join(DOCS === join(ROOT, 'docs') ? mkdtempSync(join(tmpdir(), 'rmseq-map-')) : DOCS, 'console-map-1024.png') });
  }, 40_000);

  it('390x844: both limits of the MAP chart are readable in a key under its plot, clear of the trace and of each other', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await scrollTop(page);
    await expect.poll(state, { timeout: 20_000 }).toMatch(/^active\./);
    // The limits relative to the baseline are known once the maneuver started.
    await expect.poll(() => cp.con.server.hub.snapshot()?.baselineVitals ?? null, { timeout: 20_000 }).not.toBeNull();
    await page.waitForTimeout(500);
    const snap = cp.con.server.hub.snapshot()!;
    const th = snap.info.thresholds;
    const bv = snap.baselineVitals!;
    const mapLimit = Math.round(Math.max(th.mapFloorMmHg, bv.mapMmHg * (1 - th.mapFallMaxPct / 100)));
    await page.locator('#chart-map').scrollIntoViewIfNeeded();
    const key = await page.evaluate(`(() => {
      const card = document.getElementById('chart-map');
      const cb = card.getBoundingClientRect();
      const canvas = card.querySelector('.chart-plot canvas').getBoundingClientRect();
      return [...card.querySelectorAll('.chart-key-item')].map((el) => {
        const r = el.getBoundingClientRect();
        const text = el.querySelector('.chart-key-text') || el;
        const tr = text.getBoundingClientRect();
        const visible = getComputedStyle(el).visibility !== 'hidden' && r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
        return {
          text: el.textContent, visible, fontPx: parseFloat(getComputedStyle(text).fontSize),
          clipped: text.scrollWidth > text.clientWidth + 1 || el.scrollWidth > el.clientWidth + 1,
          inCard: r.left >= cb.left - 0.5 && r.right <= cb.right + 0.5 && r.bottom <= cb.bottom + 0.5,
          onPlot: tr.left < canvas.right && canvas.left < tr.right && tr.top < canvas.bottom && canvas.top < tr.bottom,
          box: { x: tr.left, y: tr.top, w: tr.width, h: tr.height },
        };
      });
    })()`) as { text: string; visible: boolean; fontPx: number; clipped: boolean; inCard: boolean; onPlot: boolean; box: { x: number; y: number; w: number; h: number } }[];
    const map = key.filter((k) => new RegExp(`^MAP( abort)? < ${mapLimit}\\b`).test(k.text));
    const sbp = key.filter((k) => new RegExp(`^SBP( abort)? < ${th.sbpFloorMmHg}\\b`).test(k.text));
    expect(map, JSON.stringify(key)).toHaveLength(1);
    expect(sbp, JSON.stringify(key)).toHaveLength(1);
    for (const k of key) {
      expect(k.visible, `${k.text} visible`).toBe(true);
      expect(k.fontPx, `${k.text} font size`).toBeGreaterThanOrEqual(11);
      expect(k.clipped, `${k.text} cut off`).toBe(false);
      expect(k.inCard, `${k.text} inside its card`).toBe(true);
      // Not on the plot at all, so never on its trace.
      expect(k.onPlot, `${k.text} on the plot`).toBe(false);
    }
    for (let i = 0; i < key.length; i++) for (let j = i + 1; j < key.length; j++) {
      const a = key[i]!.box;
      const b = key[j]!.box;
      expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `${key[i]!.text} / ${key[j]!.text} overlap`).toBe(false);
    }
    // Whatever is still written on the plot is clear of the trace and of the rest.
    expect(await overlappingChartLabels(page)).toEqual([]);
    expect(await labelsOnTrace(page, 'chart-map', snap.rows, ['mapMmHg', 'sbpMmHg'])).toEqual([]);
    await page.locator('#chart-map').screenshot({ path: join(DOCS === join(ROOT, 'docs') ? mkdtempSync(join(tmpdir(), 'rmseq-map-')) : DOCS, 'console-map-390.png') });
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
