/**
 * Guided mode when nobody carries out the baseline restore (issue 17 point 1): the restore
 * escalates at the deadline the screen shows, with a HIGH alarm, and after the last attempt
 * FAILSAFE; the FAILSAFE is acknowledged on the page by a named person, as at the terminal.
 * Runs at 30x so the restore deadlines (60 s each on the session clock) pass in seconds.
 *
 * With UPDATE_SCREENSHOTS=1 it saves docs/console-failsafe.png for docs/console.md.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleHandle } from '../../src/console/index.js';
import { confirmChecklist, HAVE_CHROMIUM, openConsolePage, ROOT, type ConsolePage } from './support.js';

const DOCS = process.env['UPDATE_SCREENSHOTS'] === '1' ? join(ROOT, 'docs') : mkdtempSync(join(tmpdir(), 'rmseq-console-shots-'));
const SPEED = 30;

describe.skipIf(!HAVE_CHROMIUM)('guided restore deadline and FAILSAFE acknowledgement (e2e)', () => {
  let cp: ConsolePage;
  let con: ConsoleHandle;
  let page: Page;

  beforeAll(async () => {
    // The test opens the page itself (and checks the controls).
    cp = await openConsolePage({ speed: SPEED, guided: true, batchMs: 100, viewport: { width: 1440, height: 900 }, open: false });
    ({ con, page } = cp);
  }, 60_000);

  afterAll(async () => cp?.close());

  const text = (selector: string) => page.locator(selector).innerText();
  const state = async () => (await page.locator('body').getAttribute('data-state')) ?? '';
  /** Session seconds as the page shows them ("m:ss"). */
  const seconds = (mmss: string) => {
    const m = /(\d+):(\d\d)/.exec(mmss);
    if (!m) throw new Error(`no m:ss in ${JSON.stringify(mmss)}`);
    return Number(m[1]) * 60 + Number(m[2]);
  };

  it('an unconfirmed restore raises a HIGH alarm when its shown deadline passes, asks again, then FAILSAFE; acknowledged by name', async () => {
    await page.goto(con.openUrl);
    await expect.poll(() => text('#controls-pill')).toBe('Controls enabled');
    await page.waitForSelector('#start');
    await confirmChecklist(page);
    await page.click('#start');
    await page.waitForSelector('#prompt-done:not([disabled])', { timeout: 15_000 });
    await page.click('#prompt-done');
    await expect.poll(state, { timeout: 10_000 }).toMatch(/dwelling$/);
    await page.click('#abort');
    await expect.poll(() => text('#prompt'), { timeout: 5000 }).toContain('RESTORE BASELINE');
    const shown = await text('.prompt-deadline');
    expect(shown).toMatch(/^Respond within \d+:\d\d: otherwise HIGH alarm, and the restore is asked again \(attempt 2 of 3\); FAILSAFE after attempt 3\.$/);
    const abortAtS = seconds((await text('#alarms .alarm-item:first-child .alarm-time')));
    const leftS = seconds(shown);
    expect(leftS).toBeGreaterThan(0);
    expect(leftS).toBeLessThanOrEqual(60);

    // Nobody carries it out. At the deadline shown: a HIGH alarm, and the instruction again.
    await expect.poll(() => text('#alarm-bar'), { timeout: (leftS / SPEED) * 1000 + 5000 }).toMatch(/HIGH PRIORITY\s*Baseline restore not confirmed in time/);
    expect(await text('#alarm-bar')).toMatch(/attempt 1 of 3.*attempt 2 of 3 follows/);
    const first = page.locator('#alarms .alarm-item', { hasText: 'attempt 1 of 3' });
    const alarmAtS = seconds(await first.locator('.alarm-time').innerText());
    // The deadline was read a moment after the abort: the alarm came no earlier than that
    // much after the abort, and no later than the restore deadline (60 s) plus a tick.
    expect(alarmAtS - abortAtS).toBeGreaterThanOrEqual(leftS - 1);
    expect(alarmAtS - abortAtS).toBeLessThanOrEqual(62);
    await expect.poll(() => text('.prompt-deadline'), { timeout: 5000 }).toMatch(/attempt 3 of 3/);

    // After the last attempt: FAILSAFE, with the acknowledgement form.
    await expect.poll(state, { timeout: 15_000 }).toMatch(/^failsafe/);
    await expect.poll(() => text('#alarm-bar')).toMatch(/HIGH PRIORITY\s*FAILSAFE: check the ventilator now/);
    expect(await text('#now-badge')).toBe('FAILSAFE');
    // The restore instruction stays, and says what its deadline means now (no "attempt 4 of 3").
    await expect.poll(() => text('.prompt-deadline')).toMatch(/FAILSAFE goes on until someone acknowledges it below/);
    const ack = page.locator('button[data-act="ack"]');
    await expect.poll(() => ack.isDisabled()).toBe(true); // nobody named yet
    await page.fill('#ack-by', 'Dr Rivera');
    expect(await ack.isDisabled()).toBe(false);
    await page.screenshot({ path: join(DOCS, 'console-failsafe.png') });
    await ack.click();
    await expect.poll(() => text('#now-detail'), { timeout: 10_000 }).toMatch(/^FAILSAFE acknowledged on the console by Dr Rivera at \d+:\d\d\./);
    expect(await page.locator('#log').textContent()).toMatch(/FAILSAFE acknowledged on the console by Dr Rivera\. Baseline (verified|NOT verified)/);
    expect(con.server.hub.snapshot()?.summary?.outcome).toBe('failsafe');
  }, 60_000);
});
