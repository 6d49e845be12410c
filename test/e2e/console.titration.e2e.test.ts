/**
 * The PEEP titration on the console, in Debian's chromium: a staircase on the simulated
 * moderate ARDS patient at 30x that completes
 * (recruitment steps of 30 s and titration steps of 60 s, set in the form: 12.5 min of session). The plan lists the FiO2 titration steps with
 * their SpO2 target; after the decremental phase the page shows each PEEP method's PEEP, what
 * it rests on and which one decided; at the final step the plateau, driving pressure and Vt
 * per kg PBW against their limits, with the patient's PBW. Readable on a phone (no sideways
 * scroll) as on a laptop.
 *
 * With UPDATE_SCREENSHOTS=1 it saves docs/console-titration.png and
 * docs/console-titration-phone.png for docs/console.md.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleHandle } from '../../src/console/index.js';
import { confirmChecklist, HAVE_CHROMIUM, noSidewaysScroll, openConsolePage, ROOT, tableShape, type ConsolePage } from './support.js';

const DOCS = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'rmseq-console-shots-'));

describe.skipIf(!HAVE_CHROMIUM)('console: the PEEP titration (e2e)', () => {
  let cp: ConsolePage;
  let con: ConsoleHandle;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    // The test opens the page itself (and checks the controls).
    cp = await openConsolePage({ speed: 30, batchMs: 200, viewport: { width: 1440, height: 900 }, open: false });
    ({ con, page, pageErrors } = cp);
  }, 60_000);

  afterAll(async () => cp?.close());

  const text = (selector: string) => page.locator(selector).innerText();
  // An abort fails at once, with its reason (not after the wait).
  const state = async () => {
    const st = (await page.locator('body').getAttribute('data-state')) ?? '';
    if (/^abort|^failsafe/.test(st)) throw new Error(`the maneuver ${st}: ${JSON.stringify(con.server.hub.snapshot()?.abort)}`);
    return st;
  };

  it('shows the FiO2 step, each PEEP method and who decided, then the final limits per kg PBW', async () => {
    await page.goto(con.openUrl);
    await expect.poll(() => text('#controls-pill')).toBe('Controls enabled');
    await page.waitForSelector('#start');
    // Shorter steps, as an operator would type them, so the whole maneuver runs in about 25 s.
    await page.fill('[name="incrementalDwellS"]', '30');
    await page.fill('[name="decremental.dwellS"]', '60');
    // 5 pre-oxygenation holds of 60 s (if needed) come first, and 2 titration levels below the floor (12.5, 10) run only while no derecruitment is seen.
    await expect.poll(() => text('.preview-total'), { timeout: 5000 }).toBe('21 steps, at most 19:30');
    // The plan previewed before Start lists the FiO2 titration, with its SpO2 target.
    const preview = page.locator('.plan-preview li', { hasText: 'FiO2 titration' });
    await expect.poll(() => preview.count(), { timeout: 5000 }).toBeGreaterThan(0);
    expect(await preview.first().innerText()).toMatch(/^FiO2 titration 1: FiO2 0\.5 at PEEP 25 for SpO2 90-92% · 1 min \(if needed\)$/);
    expect(await page.locator('#titration').isHidden()).toBe(true);
    await confirmChecklist(page);
    await page.click('#start');
    // So does the plan of the running session, between the recruitment and the decremental phase.
    const fio2Rows = page.locator('.plan-step', { hasText: 'FiO2 titration' });
    await expect.poll(() => fio2Rows.count(), { timeout: 10_000 }).toBe(await preview.count());
    expect(await fio2Rows.first().innerText()).toMatch(/FiO2 titration 1: FiO2 0\.5 at PEEP 25 for SpO2 90-92%[\s\S]*if needed/);

    // The FiO2 step as the running step, with its SpO2 target.
    await expect.poll(state, { timeout: 30_000, interval: 50 }).toBe('active.fio2.dwelling');
    expect(await text('#now-headline')).toMatch(/^FiO2 titration \d: FiO2 [\d.]+ at PEEP 25 for SpO2 90-92%$/);
    expect(await text('#now-detail')).toContain('until SpO2 is within the target 90-92%');
    expect(await text('.plan-current')).toContain('FiO2 titration');

    // After the decremental phase: the methods side by side, the deciding one marked.
    await page.waitForSelector('#titration table.methods', { timeout: 60_000 });
    const methods = await text('#titration table.methods');
    expect(methods).toMatch(/SpO2 \(derecruitment\)\s+(-|[\d.]+ cmH2O)/);
    expect(methods).toMatch(/Best compliance\s+[\d.]+ cmH2O/);
    expect(methods).toMatch(/Lowest driving pressure\s+[\d.]+ cmH2O/);
    expect(await page.locator('#titration tr.method-decided').count()).toBe(1);
    expect(await text('#titration tr.method-decided')).toMatch(/^★ /);
    expect(await text('#titration .titration-decision')).toMatch(/ decided/);
    expect(await text('#titration .titration-fio2')).toMatch(/^FiO2 0\.6 → [\d.]+ before the decremental phase \(SpO2 target 90-92%\)/);
    expect(await text('#titration .titration-patient')).toMatch(/^Patient: (male|female), [\d.]+ cm, PBW [\d.]+ kg$/);

    // Completed: the final step's plateau, driving pressure and Vt/kg PBW against their limits.
    await expect.poll(state, { timeout: 60_000 }).toBe('completed');
    await page.waitForSelector('#titration .final-limits', { timeout: 10_000 });
    const limits = await text('#titration table.limits');
    // The two tables' markup (one table helper draws them and the screen's): headers, cell classes.
    const methodsShape = (await tableShape(page, '#titration table.methods'))!;
    expect(methodsShape.caption).toBeNull();
    expect(methodsShape.head).toEqual([['th|||Method', 'th|n||PEEP', 'th|||Rests on']]);
    expect(methodsShape.rows).toHaveLength(3);
    for (const r of methodsShape.rows) {
      expect(r.attrs).toEqual(['data-method']);
      expect(r.cells.map((c) => c.slice(0, 3))).toEqual([['td', null, null], ['td', 'n', null], ['td', 'method-basis', null]]);
    }
    expect(methodsShape.rows.filter((r) => r.cls === 'method-decided').map((r) => r.cells[0]![3])).toEqual([expect.stringMatching(/^★ /)]);
    expect(methodsShape.rows.filter((r) => r.cls !== 'method-decided').every((r) => r.cls === null && !r.cells[0]![3]!.startsWith('★'))).toBe(true);
    const limitsShape = (await tableShape(page, '#titration table.limits'))!;
    expect(limitsShape.head).toEqual([['th|||', 'th|n||Measured', 'th|n||Limit', 'th|||']]);
    expect(limitsShape.rows.map((r) => r.cells.map((c) => c.slice(0, 3)))).toEqual(Array(3).fill([['td', null, null], ['td', 'n', null], ['td', 'n', null], ['td', 'ok', null]]));
    expect(limitsShape.rows.every((r) => r.cls === null && r.attrs.length === 0)).toBe(true);
    expect(limits).toMatch(/Plateau\s+[\d.]+ cmH2O\s+≤ 30 cmH2O\s+✓/);
    expect(limits).toMatch(/Driving pressure\s+[\d.]+ cmH2O\s+≤ 15 cmH2O\s+✓/);
    expect(limits).toMatch(/Vt per kg PBW\s+[\d.]+ mL\/kg\s+≤ 8 mL\/kg\s+✓/);
    expect(await text('#titration .final-limits > p')).toBe('Final settings within the lung-protective limits');
    // What the page shows is what the session decided.
    const snap = con.server.hub.snapshot();
    expect(snap?.titration?.stage).toBe('measured');
    const decided = snap!.titration!.summary.decidedBy;
    expect(decided).toBeTruthy();
    expect(await page.locator('#titration tr.method-decided').getAttribute('data-method')).toBe(decided);
    const m = snap!.titration!.summary.limitsMeasured!;
    expect(limits).toContain(`${Math.round(m.plateauCmH2O! * 10) / 10} cmH2O`);
    expect(await text('#titration .titration-patient')).toContain(`PBW ${snap!.info.patient!.pbwKg} kg`);
    await page.locator('#titration').screenshot({ path: join(DOCS, 'console-titration.png') });

    // On a phone: the same tables, readable without sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#titration').scrollIntoViewIfNeeded();
    expect(await noSidewaysScroll(page)).toBe(true);
    const box = await page.locator('#titration table.methods').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    // What the phone shows scrolled to the methods (the top bar with ABORT stays over it).
    await page.evaluate("window.scrollTo(0, document.querySelector('#titration').getBoundingClientRect().top + window.scrollY - 120)");
    await page.screenshot({ path: join(DOCS, 'console-titration-phone.png') });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
