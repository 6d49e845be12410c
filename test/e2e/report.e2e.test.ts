/**
 * The HTML maneuver report in a real browser (Debian's chromium): it renders offline and shows
 * what a therapist needs: the outcome in words, the four plots with the abort limits (labels
 * apart), every abort and step boundary marked, distinct time ticks, the step table; and a
 * journal with several sessions is reported whole, under an index, or one session by --session.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';
import { HAVE_CHROMIUM, launch } from './support.js';

interface Rect { x: number; y: number; width: number; height: number; text: string }

/** Bounding boxes of the SVG texts matching `selector`, as the browser lays them out. */
function textBoxes(page: Page, selector: string): Promise<Rect[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((t) => { const b = t.getBBox(); return { x: b.x, y: b.y, width: b.width, height: b.height, text: t.textContent }; })`);
}
const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.skipIf(!HAVE_CHROMIUM)('maneuver report in a browser (e2e)', () => {
  let browser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'rmseq-report-'));

  beforeAll(async () => {
    assertBuilt();
    browser = await launch();
    page = await browser.newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function show(html: string): Promise<string[]> {
    const requests: string[] = [];
    const onRequest = (req: { url(): string }) => requests.push(req.url());
    page.on('request', onRequest);
    await page.goto(pathToFileURL(html).href);
    page.off('request', onRequest);
    return requests;
  }

  it.each([
    ['moderate-ards', /COMPLETED: titrated PEEP [\d.]+ cmH2O/, 0],
    ['hypovolemic-ards', /ABORTED \(hypotension\)/, 1],
  ])('%s: outcome banner, four plots with limits apart, aborts and step boundaries marked, step table', async (patient, banner, aborts) => {
    const journal = join(dir, `${patient}.jsonl`);
    const html = join(dir, `${patient}.html`);
    await runCli(['run', 'staircase', '--patient', patient, '--journal', journal, '--json']);
    const r = await runCli(['report', journal, '--out', html]);
    expect(r.code).toBe(0);
    const requests = await show(html);
    await expect(page.locator('.banner').innerText()).resolves.toMatch(banner);
    const panels = await page.locator('svg text').allTextContents();
    for (const axis of ['Airway pressure (cmH2O)', 'SpO2 (%)', 'Blood pressure (mmHg)', 'Compliance (mL/cmH2O)']) expect(panels).toContain(axis);
    expect(panels.some((t) => /MAP floor 60/.test(t))).toBe(true);
    expect(panels.some((t) => /SpO2 floor 85/.test(t))).toBe(true);
    // Every abort marked on every panel, labelled once.
    expect(await page.locator('svg line.marker').count()).toBe(4 * aborts);
    if (aborts) expect(panels).toContain('ABORT: hypotension');
    // A line at each step start, on every panel: also between steps of one phase.
    const steps = await page.locator('h2:has-text("Steps") + pre').innerText();
    const ranSteps = steps.split('\n').filter((l) => /^\s*\d+\s/.test(l) && !/baseline/.test(l)).length;
    expect(ranSteps).toBeGreaterThanOrEqual(2);
    expect(await page.locator('svg line.step-boundary').count()).toBe(4 * ranSteps);
    // Time ticks: all different.
    const ticks = await page.locator('svg text.x-tick').allTextContents();
    expect(new Set(ticks).size).toBe(ticks.length);
    // Limit labels apart, in each panel.
    const labels = await textBoxes(page, 'svg text.threshold-label');
    expect(labels.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) expect(overlaps(labels[i]!, labels[j]!), `${labels[i]!.text} / ${labels[j]!.text}`).toBe(false);
    expect(steps).toMatch(/baseline\s+VC PEEP 10/);
    expect(steps).toMatch(/incremental( \(ABORTED\))?\s+PCV PEEP 20\/peak 35/);
    // Volume control: its peak setting is a pressure limit and is called that.
    const legend = await page.locator('svg g.legend text').allTextContents();
    expect(legend).toContain('VC pressure limit');
    // Self-contained: nothing but the file itself is loaded.
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
  }, 60_000);

  it('a journal with several sessions: an index of every session, each reported; or one by --session (validated)', async () => {
    const journal = join(dir, 'console.jsonl');
    await runCli(['run', 'staircase', '--patient', 'moderate-ards', '--journal', journal, '--json']);
    await runCli(['run', 'staircase', '--patient', 'hypovolemic-ards', '--journal', journal, '--json']);
    const all = join(dir, 'all.html');
    const r = await runCli(['report', journal, '--out', all]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('all 2 sessions, with an index');
    await show(all);
    const index = page.locator('#sessions table.index tbody tr');
    expect(await index.count()).toBe(2);
    expect(await index.nth(0).innerText()).toMatch(/COMPLETED: titrated PEEP/);
    expect(await index.nth(1).innerText()).toMatch(/ABORTED \(hypotension\)/);
    expect(await page.locator('section.session').count()).toBe(2);
    expect(await page.locator('#session-1 .banner').innerText()).toMatch(/COMPLETED/);
    expect(await page.locator('#session-2 .banner').innerText()).toMatch(/ABORTED/);
    // The index links to each session.
    await page.click('#sessions a[href="#session-1"]');
    expect(page.url()).toMatch(/#session-1$/);

    const one = join(dir, 'one.html');
    const r1 = await runCli(['report', journal, '--session', '1', '--out', one]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toContain('session 1 of 2');
    await show(one);
    expect(await page.locator('.banner').count()).toBe(1);
    expect(await page.locator('.banner').innerText()).toMatch(/COMPLETED/);
    expect(await page.locator('#session-choice').innerText()).toMatch(/Session 1 of 2 in this journal/);

    for (const bad of ['0', '3', 'two']) {
      const rb = await runCli(['report', journal, '--session', bad, '--out', join(dir, 'bad.html')]);
      expect(rb.code, `--session ${JSON.stringify(bad)}`).toBe(2);
      expect(rb.stderr).toMatch(/--session = ".*": must be a whole number between 1 and 2 \(journal .* holds 2 sessions\)/);
    }
  }, 90_000);
});
