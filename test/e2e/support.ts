/** What the browser tests share: Debian's chromium (never a downloaded one), the page built once per file. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ConsoleHandle } from '../../src/console/index.js';
import type { ChartRow } from '../../src/console/wire.js';
import { startTestConsole, type TestConsoleOptions } from '../console/support.js';

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

/**
 * Limit labels of a chart that lie on its trace: the trace is placed from the session's chart
 * rows with the plot's scales (data-plot: the plot area and the x/y ranges, canvas pixels), each
 * segment sampled every pixel; a label box (data-labels) any sample falls in (1 px margin for
 * the line's width) is listed, with where.
 */
export async function labelsOnTrace(page: Page, chartId: string, rows: readonly ChartRow[], keys: readonly Exclude<keyof ChartRow, 't'>[]): Promise<string[]> {
  const data = await page.evaluate(`(() => {
    const card = document.getElementById(${JSON.stringify(chartId)});
    return { labels: JSON.parse(card.dataset.labels || '[]'), plot: card.dataset.plot ? JSON.parse(card.dataset.plot) : null };
  })()`) as { labels: { x: number; y: number; w: number; h: number; text: string }[]; plot: { left: number; top: number; width: number; height: number; x: [number, number]; y: [number, number] } | null };
  if (!data.plot) return [`${chartId}: no data-plot (the chart does not say where it draws)`];
  const { left, top, width, height, x, y } = data.plot;
  const px = (t: number) => left + ((t - x[0]) / (x[1] - x[0])) * width;
  const py = (v: number) => top + (1 - (v - y[0]) / (y[1] - y[0])) * height;
  const out: string[] = [];
  for (const key of keys) {
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      const va = a[key];
      const vb = b[key];
      if (va === null || vb === null || va === undefined || vb === undefined) continue;
      if (b.t > x[1] || a.t < x[0]) continue;
      const x0 = px(a.t);
      const x1 = px(b.t);
      const y0 = py(va);
      const y1 = py(vb);
      const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
      for (let k = 0; k <= n; k++) {
        const sx = x0 + ((x1 - x0) * k) / n;
        const sy = y0 + ((y1 - y0) * k) / n;
        const hit = data.labels.find((l) => sx >= l.x - 1 && sx <= l.x + l.w + 1 && sy >= l.y - 1 && sy <= l.y + l.h + 1);
        if (hit) {
          out.push(`${chartId}: "${hit.text}" on the ${key} trace at t=${b.t}`);
          break;
        }
      }
    }
  }
  return [...new Set(out)];
}

/**
 * Limit labels drawn across a limit line (a dashed line through the text), by chart id: the
 * lines' heights (data-lines, canvas pixels) against the label boxes (data-labels).
 */
export function labelsAcrossLines(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const card of document.querySelectorAll('.chart-card')) {
      const lines = JSON.parse(card.dataset.lines || '[]');
      for (const b of JSON.parse(card.dataset.labels || '[]')) {
        for (const l of lines) if (l.y > b.y && l.y < b.y + b.h) out.push(card.id + ': "' + b.text + '" crossed by the line of "' + l.text + '" at y ' + l.y);
      }
    }
    return out;
  })()`);
}

/**
 * Limit labels drawn nearer another limit line than their own (read as that line's), by chart
 * id: each label box (data-labels, with the full label of its line) against the lines' heights.
 */
export function labelsNearerAnotherLine(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    for (const card of document.querySelectorAll('.chart-card')) {
      const lines = JSON.parse(card.dataset.lines || '[]');
      for (const b of JSON.parse(card.dataset.labels || '[]')) {
        const own = lines.find((l) => l.text === b.line);
        if (!own) { out.push(card.id + ': "' + b.text + '" has no line'); continue; }
        const c = b.y + b.h / 2;
        for (const l of lines) if (l !== own && l.y !== own.y && Math.abs(c - l.y) < Math.abs(c - own.y)) out.push(card.id + ': "' + b.text + '" nearer the line of "' + l.text + '"');
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

/** A console on the simulator, its page built afresh, and chromium on it. */
export interface ConsolePage {
  con: ConsoleHandle;
  browser: Browser;
  page: Page;
  /** Uncaught errors of the page (a test ends by expecting none). */
  pageErrors: string[];
  /** The visible text of the first element matching `selector`. */
  text(selector: string): Promise<string>;
  /** The session state the page shows (body[data-state]). */
  state(): Promise<string>;
  /** Closes chromium, stops the console (aborting a running maneuver), removes the built page. */
  close(): Promise<void>;
}

export interface ConsolePageOptions extends TestConsoleOptions {
  viewport?: { width: number; height: number };
  /** A console of the test's own (a scripted source); default: `startTestConsole` with these options. */
  start?: (staticDir: string) => Promise<ConsoleHandle>;
  /** Open the page at the console's URL (with the token) and wait for the controls (default true). */
  open?: boolean;
}

/**
 * What every console e2e file set up by hand: the page built into a fresh directory, a console
 * on the simulated patient serving it, chromium with one page, its errors recorded.
 *
 * @example
 * const cp = await openConsolePage({ speed: 30, viewport: { width: 1280, height: 800 } });
 * await cp.page.click('#start');
 * await cp.close();
 */
export async function openConsolePage(o: ConsolePageOptions = {}): Promise<ConsolePage> {
  const outdir = await buildPage();
  const { viewport, start, open, ...consoleOptions } = o;
  // What is up when a later step fails is taken down again (the caller gets no handle to close).
  const removePage = () => rm(outdir, { recursive: true, force: true });
  const con = await (start ? start(outdir) : startTestConsole({ batchMs: 200, ...consoleOptions, staticDir: outdir })).catch(async (e: unknown) => {
    await removePage();
    throw e;
  });
  let browser: Browser | undefined;
  let page: Page;
  try {
    browser = await launch();
    page = await browser.newPage({ viewport: viewport ?? { width: 1440, height: 900 } });
  } catch (e) {
    await browser?.close();
    await con.shutdown('e2e setup failed', 5000);
    await removePage();
    throw e;
  }
  const opened = browser;
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  const cp: ConsolePage = {
    con,
    browser: opened,
    page,
    pageErrors,
    text: (selector) => page.locator(selector).first().innerText(),
    state: async () => (await page.locator('body').getAttribute('data-state')) ?? '',
    async close() {
      await opened.close();
      await con.shutdown('e2e end', 5000);
      await removePage();
    },
  };
  if (open !== false) {
    await page.goto(con.openUrl);
    // A locator, not a string predicate: the console's CSP (script-src 'self') refuses the
    // eval Playwright needs for a string predicate once it has to poll (CI, 2026-12-07).
    await page.locator('#controls-pill', { hasText: /^Controls enabled$/ }).waitFor({ timeout: 10_000 });
  }
  return cp;
}

/** A table's markup as the page drew it: caption, header cells and body cells (tag, class, scope, text), row classes. */
export interface TableShape {
  caption: string | null;
  head: string[][];
  rows: { cls: string | null; attrs: string[]; cells: string[][] }[];
}

/**
 * The markup of the first table matching `selector`, cell by cell: `[tag, class, scope]` and the
 * text, so a test can pin what a table looks like (the panels build their tables with one helper).
 */
export function tableShape(page: Page, selector: string): Promise<TableShape | null> {
  return page.evaluate(`(() => {
    const t = document.querySelector(${JSON.stringify(selector)});
    if (!t) return null;
    const cell = (c) => [c.tagName.toLowerCase(), c.getAttribute('class'), c.getAttribute('scope'), c.textContent];
    return {
      caption: t.caption ? t.caption.textContent : null,
      head: t.tHead ? [...t.tHead.rows].map((r) => [...r.cells].map((c) => cell(c).join('|'))) : [],
      rows: [...t.tBodies].flatMap((b) => [...b.rows]).map((r) => ({
        cls: r.getAttribute('class'),
        attrs: [...r.attributes].map((a) => a.name).filter((n) => n !== 'class').sort(),
        cells: [...r.cells].map(cell),
      })),
    };
  })()`);
}
