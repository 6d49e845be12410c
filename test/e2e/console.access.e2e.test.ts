/**
 * Who may control the console, as a browser sees it (issue 17 point 7): a wrong token is
 * said on screen (not a silent VIEW ONLY), the right one then enables the controls; a page
 * over the console's page limit is told why it is refused.
 */
import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleHandle } from '../../src/console/index.js';
import { startTestConsole } from '../console/support.js';
import { buildPage, HAVE_CHROMIUM, launch } from './support.js';

describe.skipIf(!HAVE_CHROMIUM)('console access (e2e)', () => {
  let outdir: string;
  let con: ConsoleHandle;
  let browser: Browser;

  beforeAll(async () => {
    outdir = await buildPage();
    con = await startTestConsole({ speed: 20, staticDir: outdir, batchMs: 200, maxPages: 2 });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await con?.shutdown('e2e end', 5000);
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await page.goto(url);
    return page;
  };

  it('a wrong token in the link is said on screen; a wrong pasted one too; the right one enables the controls', async () => {
    const page = await open(`${con.server.url}#token=${'0'.repeat(64)}`);
    try {
      await expect.poll(() => page.locator('#controls-pill').innerText()).toBe('VIEW ONLY');
      await expect.poll(() => page.locator('#token-error').isVisible()).toBe(true);
      expect(await page.locator('#token-error').innerText()).toMatch(/not accepted/);
      await page.fill('#token-input', 'also-wrong');
      await page.press('#token-input', 'Enter');
      await expect.poll(() => page.locator('#token-error').innerText()).toMatch(/not accepted/);
      expect(await page.locator('#abort').isDisabled()).toBe(true);
      await page.fill('#token-input', con.token);
      await page.click('#token-save');
      await expect.poll(() => page.locator('#controls-pill').innerText()).toBe('Controls enabled');
      expect(await page.locator('#token-bar').isVisible()).toBe(false);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('a page over the limit is told it was refused, and why', async () => {
    const first = await open(con.openUrl);
    const second = await open(con.server.url);
    const third = await open(con.server.url);
    try {
      await expect.poll(() => first.locator('#link-pill').innerText()).toContain('Connected');
      await expect.poll(() => second.locator('#link-pill').innerText()).toContain('Connected');
      await expect.poll(() => third.locator('#link-banner').innerText(), { timeout: 5000 }).toMatch(/REFUSED BY THE CONSOLE[\s\S]*already serves 2 pages \(the limit\)/);
      expect(await first.locator('#link-banner').isVisible()).toBe(false);
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  }, 30_000);
});
