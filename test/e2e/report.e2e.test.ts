/**
 * The HTML maneuver report in a real browser (Debian's chromium): it renders offline and shows
 * what a therapist needs: the outcome in words, the four plots with the abort limits, and the
 * step table.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!existsSync(CHROMIUM))('maneuver report in a browser (e2e)', () => {
  beforeAll(() => assertBuilt());

  it.each([
    ['moderate-ards', /COMPLETED: titrated PEEP [\d.]+ cmH2O/],
    ['hypovolemic-ards', /ABORTED \(hypotension\)/],
  ])('%s: outcome banner, four plots with limits, step table', async (patient, banner) => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-report-'));
    const journal = join(dir, 'j.jsonl');
    const html = join(dir, 'report.html');
    await runCli(['run', 'staircase', '--patient', patient, '--journal', journal, '--json']);
    const r = await runCli(['report', journal, '--out', html]);
    expect(r.code).toBe(0);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(html).href);
      await expect(page.locator('.banner').innerText()).resolves.toMatch(banner);
      const panels = await page.locator('svg text').allTextContents();
      for (const axis of ['Airway pressure (cmH2O)', 'SpO2 (%)', 'Blood pressure (mmHg)', 'Compliance (mL/cmH2O)']) expect(panels).toContain(axis);
      expect(panels.some((t) => /MAP floor 60/.test(t))).toBe(true);
      expect(panels.some((t) => /SpO2 floor 85/.test(t))).toBe(true);
      const steps = await page.locator('h2:has-text("Steps") + pre').innerText();
      expect(steps).toMatch(/baseline\s+VC PEEP 10/);
      expect(steps).toMatch(/incremental( \(ABORTED\))?\s+PCV PEEP 20\/peak 35/);
      // Self-contained: nothing but the file itself is loaded.
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
