/**
 * The console in a real browser (Debian's chromium, never a downloaded one): a guided
 * staircase on the simulator at 12x. The page shows the plan, the charts and the countdown
 * moving; the operator confirms a guided step, presses Abort, confirms the baseline restore
 * and sees the aborted result with the baseline verified. A page without the token is view
 * only, and the server refuses its control requests.
 *
 * With UPDATE_SCREENSHOTS=1 it saves docs/console-staircase.png (mid-maneuver) and
 * docs/console-guided.png / docs/console-aborted.png for docs/console.md.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleHandle } from '../../src/console/index.js';
import { HAVE_CHROMIUM, openConsolePage, ROOT, type ConsolePage } from './support.js';

// Screenshots go to docs/ only when asked (UPDATE_SCREENSHOTS=1); a test run leaves the tree clean.
const DOCS = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'rmseq-console-shots-'));
const SPEED = 12;

describe.skipIf(!HAVE_CHROMIUM)('console in a browser (e2e)', () => {
  let cp: ConsolePage;
  let con: ConsoleHandle;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    // This test opens the page itself: it checks what happens to the token in the address bar.
    cp = await openConsolePage({ speed: SPEED, guided: true, viewport: { width: 1920, height: 1080 }, open: false });
    ({ con, browser, page, pageErrors } = cp);
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
  }, 60_000);

  afterAll(async () => cp?.close());

  const text = (selector: string) => page.locator(selector).innerText();
  const state = async () => (await page.locator('body').getAttribute('data-state')) ?? '';

  it('runs a guided staircase: plan, charts, countdown, a confirmed step, Abort, baseline restored', async () => {
    await page.goto(con.openUrl);
    // The token moves from the address bar to this tab's storage.
    await expect.poll(() => page.url()).not.toContain('token=');
    await expect.poll(() => text('#controls-pill')).toBe('Controls enabled');
    await expect.poll(() => text('#link-pill')).toContain('Connected');
    await page.waitForSelector('#setup-form');
    await expect.poll(() => text('.plan-preview'), { timeout: 5000 }).toContain('21 steps');

    // The operator checklist is a step before Start: Start stays disabled until every box is ticked.
    const boxes = page.locator('#checklist input[type=checkbox]');
    await expect.poll(() => boxes.count()).toBe(4);
    const startDisabled = () => page.locator('#start').isDisabled();
    expect(await startDisabled()).toBe(true);
    const all = await boxes.all();
    for (const box of all.slice(0, -1)) {
      await box.check();
      expect(await startDisabled()).toBe(true);
    }
    await all.at(-1)!.uncheck();
    expect(await startDisabled()).toBe(true);
    await all.at(-1)!.check();
    await expect.poll(startDisabled).toBe(false);
    await all[0]!.uncheck();
    await expect.poll(startDisabled).toBe(true);
    await all[0]!.check();
    await expect.poll(startDisabled).toBe(false);
    await page.fill('#checklist-by', 'Dr Rivera');

    await page.click('#start');
    // Guided mode: the first step is an instruction to the therapist.
    await page.waitForSelector('#prompt-done:not([disabled])', { timeout: 15_000 });
    expect(await text('#prompt')).toMatch(/PEEP 20 · peak 35 cmH2O/);
    expect(await text('#now-badge')).toBe('ACTION NEEDED');
    // The 5 pre-oxygenation holds (if needed) this patient did not need are one row, then 3
    // recruitment, 4 FiO2 titration (if needed), 7 titration steps (12.5 and 10 only while no derecruitment is seen), re-recruitment (if needed), final.
    expect(await page.locator('.plan-step').count()).toBe(17);
    expect(await page.locator('.plan-step', { hasText: 'Pre-oxygenation' }).allInnerTexts()).toEqual([expect.stringMatching(/Pre-oxygenation: not needed/)]);
    await page.screenshot({ path: join(DOCS, 'console-guided.png') });
    await page.click('#prompt-done');

    // The step runs: highlighted in the plan, with a countdown that moves.
    await expect.poll(state, { timeout: 10_000 }).toBe('active.incremental.dwelling');
    expect(await text('#now-badge')).toBe('RUNNING');
    expect(await text('.plan-current')).toContain('Recruitment 1/3');
    const c1 = await text('#countdown-value');
    await page.waitForTimeout(1500);
    const c2 = await text('#countdown-value');
    expect(c1).toMatch(/^\d+:\d\d$/);
    expect(c2).not.toBe(c1);

    // The charts draw and keep drawing: current values, limits, and pixels that change.
    expect(await page.locator('#charts canvas').count()).toBeGreaterThanOrEqual(5);
    expect(await text('#chart-spo2 .chart-value')).toMatch(/^\d+$/);
    // Each limit with its alarm delay, and the critical limit that aborts at once.
    expect(await text('#chart-pressure .chart-limits')).toBe('abort if peak > 60 for 3 s; > 65 at once');
    expect(await text('#chart-map .chart-limits')).toMatch(/^abort if MAP < \d+ or SBP < 80 for 5 s; MAP < 50 at once$/);
    expect(await text('#chart-hr .chart-limits')).toBe('abort if HR < 60 or > 140 for 10 s; < 30 at once');
    const shot1 = await page.locator('#chart-pressure canvas').first().screenshot();
    await page.waitForTimeout(1200);
    const shot2 = await page.locator('#chart-pressure canvas').first().screenshot();
    expect(shot1.equals(shot2)).toBe(false);

    await page.screenshot({ path: join(DOCS, 'console-staircase.png') });

    // Next step: another instruction. Abort while it waits, before the therapist set it.
    await page.waitForSelector('#prompt-done:not([disabled])', { timeout: 20_000 });
    expect(await text('#prompt')).toMatch(/PEEP 30 · peak 45 cmH2O/);
    await page.click('#abort');
    await expect.poll(state, { timeout: 5000 }).toMatch(/^aborting/);
    // Guided: the therapist restores the baseline and says so.
    await expect.poll(() => text('#prompt'), { timeout: 5000 }).toContain('RESTORE BASELINE');
    await page.waitForSelector('#prompt-done:not([disabled])', { timeout: 5000 });
    expect(await text('#prompt')).toMatch(/VC · PEEP 10/);
    expect(await text('.prompt-deadline')).toMatch(/^Respond within \d+:\d\d: otherwise HIGH alarm, and the restore is asked again \(attempt 2 of 3\); FAILSAFE after attempt 3\.$/);
    await page.click('#prompt-done');
    await expect.poll(state, { timeout: 10_000 }).toBe('aborted');
    await expect.poll(() => text('#now-badge')).toBe('ABORTED');
    expect(await text('#now-headline')).toBe('Aborted: Stopped by the operator');
    expect(await text('#now-detail')).toContain('Baseline restored and verified');
    expect(await text('#result')).toContain('✓ restored and verified');
    expect(await text('#result .baseline-vitals')).toMatch(/^SpO2 \d+(\.\d)?%, MAP [\d.]+.*: median of the 30 s before the start \(\d+ SpO2, \d+ MAP samples\)$/);
    expect(await text('.plan-aborted')).toContain('Recruitment 2/3');
    expect(await page.locator('#abort').isDisabled()).toBe(true);
    // The alarms hold only what is still true: the withdrawn instruction is no alarm, and the
    // bar shows the abort, not a stale "setting not applied".
    expect(await text('#alarm-bar')).toContain('Stopped by the operator');
    expect(await text('#alarms')).not.toMatch(/not applied/i);
    // The result table lists the steps that ran; the one caught before it was set is named apart.
    const table = await text('#result table.steps');
    expect(table).toContain('Recruitment 1/3');
    expect(table).not.toContain('Recruitment 2/3');
    expect(await text('#result .not-run')).toMatch(/^Recruitment 2\/3.*: aborted before its settings were in place$/);
    await page.screenshot({ path: join(DOCS, 'console-aborted.png'), fullPage: true });

    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('a page without the token is view only, and the server refuses its control requests', async () => {
    const viewer = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await viewer.goto(con.server.url);
      await expect.poll(() => viewer.locator('#controls-pill').innerText()).toBe('VIEW ONLY');
      expect(await viewer.locator('#token-bar').isVisible()).toBe(true);
      const replies = await viewer.evaluate(
        async ({ url, token }) => {
          const ws = new WebSocket(url);
          const got: unknown[] = [];
          await new Promise((r) => (ws.onopen = r));
          ws.onmessage = (ev) => got.push(JSON.parse(String(ev.data)));
          ws.send(JSON.stringify({ type: 'start', maneuver: 'staircase', id: 1 }));
          ws.send(JSON.stringify({ type: 'start', maneuver: 'staircase', token: `${token}x`, id: 2 }));
          await new Promise((r) => setTimeout(r, 500));
          ws.close();
          return got.filter((m) => (m as { type: string }).type === 'error');
        },
        { url: `ws://127.0.0.1:${con.server.port}/ws`, token: con.token },
      );
      expect(replies).toEqual([
        expect.objectContaining({ type: 'error', id: 1, message: expect.stringMatching(/token/) }),
        expect.objectContaining({ type: 'error', code: 'unauthorized', id: 2 }),
      ]);
      expect(con.server.hub.live).toBe(false);
    } finally {
      await viewer.close();
    }
  }, 30_000);
});
