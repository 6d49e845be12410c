/** What the browser tests share: Debian's chromium (never a downloaded one), the page built once per file. */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The viewports a bedside console must work on: phone, tablet portrait and landscape, laptop. */
export const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet-portrait', width: 768, height: 1024 },
  { name: 'tablet-landscape', width: 1024, height: 768 },
  { name: 'desktop', width: 1440, height: 900 },
] as const;

if (!HAVE_CHROMIUM) console.warn(`browser e2e skipped: ${CHROMIUM} not found (install Debian's chromium; CI does)`);

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

interface BuildModule {
  buildConsole(options: { outdir: string; dev?: boolean }): Promise<{ outdir: string }>;
}

/** Builds the console page into a fresh directory, so a test never depends on an earlier build. */
export async function buildPage(): Promise<string> {
  const outdir = await mkdtemp(join(tmpdir(), 'rmseq-console-'));
  const script = pathToFileURL(join(ROOT, 'scripts', 'build-console.mjs')).href;
  const { buildConsole } = (await import(script)) as BuildModule;
  await buildConsole({ outdir });
  return outdir;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Whether `selector` is wholly inside the viewport, and not under the sticky header (unless it is in it). */
export async function fullyVisible(page: Page, selector: string): Promise<{ box: Box | null; inside: boolean }> {
  const box = await page.locator(selector).first().boundingBox();
  const vp = page.viewportSize()!;
  const inside = box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width + 0.5 && box.y + box.height <= vp.height + 0.5 && box.width > 0;
  return { box, inside };
}

/*
 * The checks below run in the page. They are written as source text: this project's
 * TypeScript has no DOM library (it is Node code), and the page has no types to share.
 */

/** The element a tap at the centre of `selector` reaches is `selector` itself (or inside it). */
export function hitsItself(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    if (!el) return false;
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  })()`);
}

/** Nothing of `selector` is hidden under the sticky top bar. */
export function belowHeader(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(`(() => {
    const el = document.querySelector(${JSON.stringify(selector)});
    const bar = document.getElementById('topbar');
    if (!el || !bar) return false;
    return el.getBoundingClientRect().top >= bar.getBoundingClientRect().bottom - 0.5;
  })()`);
}

/** The document does not scroll sideways (nothing sticks out to the right). */
export function noSidewaysScroll(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1');
}

export function scrollY(page: Page): Promise<number> {
  return page.evaluate('window.scrollY');
}

export async function scrollTop(page: Page): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
}

/** Chart headers whose text sticks out of (or is cut off by) its box, by chart id. */
export function clippedChartHeaders(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const card of document.querySelectorAll('.chart-card')) {
      const cb = card.getBoundingClientRect();
      for (const el of card.querySelectorAll('.chart-head, .chart-values, .chart-limits, .chart-title, .chart-value, .chart-unit')) {
        const b = el.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1 || b.right > cb.right + 0.5 || b.left < cb.left - 0.5) out.push(card.id + ' ' + el.className + ' ' + JSON.stringify(el.textContent));
      }
    }
    return out;
  })()`);
}

/** Pairs of limit labels drawn on a chart's canvas that overlap, by chart id. */
export function overlappingChartLabels(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const card of document.querySelectorAll('.chart-card')) {
      const boxes = JSON.parse(card.dataset.labels || '[]');
      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push(card.id + ': ' + a.text + ' / ' + b.text);
      }
    }
    return out;
  })()`);
}

/** Limit labels each chart drew, by chart id. */
export function chartLabels(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(`Object.fromEntries([...document.querySelectorAll('.chart-card')].map((c) => [c.id, JSON.parse(c.dataset.labels || '[]').map((b) => b.text)]))`);
}

/** Ticks every box of the operator checklist before Start (the page keeps Start disabled until then). */
export async function confirmChecklist(page: Page): Promise<void> {
  await page.waitForSelector('#checklist input[type=checkbox]');
  for (const box of await page.locator('#checklist input[type=checkbox]').all()) await box.check();
}
