/**
 * The console's top bar at every viewport a bedside has (test/e2e/support.ts VIEWPORTS, and a
 * 1280x800 laptop), in Debian's chromium: the title (what runs) and the patient line (who is on
 * the device) stay readable next to the status badges and ABORT, before a start and during a
 * session (its patient line is the longest, in guided mode longer still): each has a real box,
 * its text is not cut off (no "..."), at least 11 px, and neither is overlapped by a badge or by
 * ABORT; ABORT stays whole on screen and large.
 *
 * Found on screenshots: at 768x1024 the badges and ABORT took the whole bar and the title and
 * the patient line were 2 px wide.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmChecklist, fullyVisible, HAVE_CHROMIUM, hitsItself, openConsolePage, VIEWPORTS, type ConsolePage } from './support.js';

const SIZES = [...VIEWPORTS, { name: 'laptop', width: 1280, height: 800 }] as const;

interface HeaderCheck {
  problems: string[];
  title: string;
  subtitle: string;
}

/** Every way the title or the patient line is not readable, by element (empty: both readable). */
function headerProblems(page: Page): Promise<HeaderCheck> {
  return page.evaluate(`(() => {
    const problems = [];
    const bar = document.getElementById('topbar').getBoundingClientRect();
    const others = [...document.querySelectorAll('#pills .pill:not([hidden]), #abort')].map((e) => [e.id || e.textContent, e.getBoundingClientRect()]);
    const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
    for (const id of ['title', 'subtitle']) {
      const el = document.getElementById(id);
      const r = el.getBoundingClientRect();
      const fontPx = parseFloat(getComputedStyle(el).fontSize);
      const text = JSON.stringify(el.textContent);
      if (!el.textContent.trim()) problems.push(id + ' is empty');
      if (r.width < Math.min(160, el.scrollWidth)) problems.push(id + ' ' + text + ' is ' + Math.round(r.width) + ' px wide');
      if (r.height < fontPx) problems.push(id + ' ' + text + ' is ' + Math.round(r.height) + ' px high (font ' + fontPx + ' px)');
      if (fontPx < 11) problems.push(id + ' font ' + fontPx + ' px');
      if (el.scrollWidth > el.clientWidth + 1) problems.push(id + ' ' + text + ' cut off: ' + el.scrollWidth + ' px of text in ' + el.clientWidth);
      if (el.scrollHeight > el.clientHeight + 1) problems.push(id + ' ' + text + ' cut off: ' + el.scrollHeight + ' px high in ' + el.clientHeight);
      if (r.left < bar.left - 0.5 || r.right > Math.min(bar.right, window.innerWidth) + 0.5 || r.top < bar.top - 0.5 || r.bottom > bar.bottom + 0.5) problems.push(id + ' ' + text + ' outside the top bar');
      for (const [name, o] of others) if (meets(r, o)) problems.push(id + ' ' + text + ' overlapped by ' + JSON.stringify(name));
    }
    return { problems, title: document.getElementById('title').textContent, subtitle: document.getElementById('subtitle').textContent };
  })()`);
}

async function checkAll(cp: ConsolePage, when: string, subtitle: RegExp): Promise<void> {
  const { page } = cp;
  for (const vp of SIZES) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.waitForTimeout(150); // a layout frame (the top bar's height is measured for the sticky banner)
    const h = await headerProblems(page);
    expect(h.subtitle, `${when} ${vp.name}`).toMatch(subtitle);
    expect(h.problems, `${when} ${vp.name} ${vp.width}x${vp.height}`).toEqual([]);
    const abort = await fullyVisible(page, '#abort');
    expect(abort.inside, `${when} ${vp.name}: ABORT ${JSON.stringify(abort.box)}`).toBe(true);
    expect(await hitsItself(page, '#abort'), `${when} ${vp.name}: a tap on ABORT reaches it`).toBe(true);
    expect(abort.box!.height, `${when} ${vp.name}: ABORT height`).toBeGreaterThanOrEqual(60);
    expect(abort.box!.width, `${when} ${vp.name}: ABORT width`).toBeGreaterThanOrEqual(140);
    expect(await page.evaluate(`parseFloat(getComputedStyle(document.querySelector('.abort-main')).fontSize)`), `${when} ${vp.name}: ABORT font`).toBeGreaterThanOrEqual(20);
    // The header leaves most of the screen to the patient.
    expect((await page.locator('#topbar').boundingBox())!.height, `${when} ${vp.name}: top bar height`).toBeLessThanOrEqual(vp.height * 0.2);
  }
}

describe.skipIf(!HAVE_CHROMIUM)('console top bar: title and patient line readable beside the badges and ABORT (e2e)', () => {
  let cp: ConsolePage;
  beforeAll(async () => {
    cp = await openConsolePage({ speed: 15, viewport: { width: 768, height: 1024 } });
  }, 60_000);
  afterAll(async () => cp?.close());

  it('before a start: the console title and the patient line, at every viewport', async () => {
    await cp.page.waitForSelector('#start');
    await checkAll(cp, 'before start', /^simulated patient moderate-ards/);
    expect(cp.pageErrors).toEqual([]);
  }, 60_000);

  it('during a staircase: the maneuver and the patient and ventilator line, at every viewport', async () => {
    await confirmChecklist(cp.page);
    await cp.page.click('#start');
    await expect.poll(() => cp.state(), { timeout: 20_000 }).toMatch(/^active\./);
    expect(await cp.text('#title')).toMatch(/Staircase/i);
    await checkAll(cp, 'running', /^simulated patient moderate-ards.* · /);
    expect(cp.pageErrors).toEqual([]);
  }, 90_000);
});

describe.skipIf(!HAVE_CHROMIUM)('console top bar in guided mode (the longest patient line) (e2e)', () => {
  let cp: ConsolePage;
  beforeAll(async () => {
    cp = await openConsolePage({ speed: 15, guided: true, viewport: { width: 768, height: 1024 } });
  }, 60_000);
  afterAll(async () => cp?.close());

  it('a guided session: "GUIDED: you set the ventilator" readable in the patient line at every viewport', async () => {
    await cp.page.waitForSelector('#start');
    await confirmChecklist(cp.page);
    await cp.page.click('#start');
    await expect.poll(() => cp.text('#subtitle'), { timeout: 20_000 }).toMatch(/GUIDED: you set the ventilator/);
    await checkAll(cp, 'guided', /GUIDED: you set the ventilator$/);
    expect(cp.pageErrors).toEqual([]);
  }, 90_000);
});
