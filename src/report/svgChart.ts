/**
 * Time-series charts as self-contained SVG strings (no scripts, no external resources):
 * one or more stacked panels sharing an x axis in minutes, each with a labelled y axis and
 * unit, optional horizontal threshold lines, a legend, and optional shaded steps across all
 * panels. Pure: the same input gives the same string. Used by the maneuver report and
 * scripts/sim-plot.ts.
 */

/** One point; `value: null` leaves a gap (e.g. a sensor dropout). */
export interface ChartPoint {
  tMin: number;
  value: number | null;
}

/** One line: a label for the legend, its points, and how to draw it. */
export interface ChartSeries {
  label: string;
  points: readonly ChartPoint[];
  /** CSS colour (`#rgb`, `#rrggbb` or a name); defaults to the palette. */
  color?: string;
  dashed?: boolean;
  /** Draw as a step function (settings) instead of straight segments (measurements). */
  step?: boolean;
}

/** A horizontal dashed line with a label (e.g. an abort limit). */
export interface ChartThreshold {
  value: number;
  label: string;
  color?: string;
}

/** One stacked panel: its own y axis, series and thresholds. */
export interface ChartPanel {
  /** Axis title, e.g. "MAP"; the unit is shown after it: "MAP (mmHg)". */
  yLabel: string;
  yUnit: string;
  series: readonly ChartSeries[];
  thresholds?: readonly ChartThreshold[];
  /** Fixed y range; otherwise fitted to the data and thresholds. */
  yMin?: number;
  yMax?: number;
}

/** A shaded x interval across all panels (a maneuver step). */
export interface ChartShade {
  fromMin: number;
  toMin: number;
  label?: string;
  color?: string;
}

/** A vertical line across all panels at one moment, labelled (e.g. an abort). */
export interface ChartMarker {
  atMin: number;
  label: string;
  color?: string;
}

/** A whole chart: panels stacked over one shared time axis in minutes. */
export interface SvgChart {
  title?: string;
  panels: readonly ChartPanel[];
  /** Shaded steps; a thin line marks where each one starts (steps of one phase touch). */
  shading?: readonly ChartShade[];
  /** Moments marked across every panel (every abort of the session). */
  markers?: readonly ChartMarker[];
  /** Total width in px (default 900). */
  width?: number;
  /** Height of each panel's plot area in px (default 150). */
  panelHeight?: number;
  xLabel?: string;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b'];
const MARGIN = { left: 70, right: 20, top: 16, bottom: 44, title: 28, gap: 34 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/**
 * Escapes text for SVG content and attribute values.
 *
 * @example
 * escapeXml('PEEP <20> & "peak"'); // 'PEEP &lt;20&gt; &amp; &quot;peak&quot;'
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function safeColor(color: string | undefined, fallback: string): string {
  return color !== undefined && /^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{3,20})$/.test(color) ? color : fallback;
}

const fmt = (v: number): string => String(Math.round(v * 10) / 10);

/**
 * "Nice" tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 x 10^k).
 *
 * @example
 * niceTicks(0, 25); // [0, 5, 10, 15, 20, 25]
 */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6 + 0);
  return out;
}

/**
 * Tick labels with as few decimals (0-4) as keep them all distinct: a short run's time axis
 * reads 0, 0.05, 0.1, not 0, 0.1, 0.1.
 *
 * @example
 * tickLabels([0, 0.05, 0.1]); // ['0', '0.05', '0.1']
 */
export function tickLabels(ticks: readonly number[]): string[] {
  for (let d = 0; d <= 4; d++) {
    const labels = ticks.map((t) => String(Number(t.toFixed(d)) + 0));
    const exact = ticks.every((t, i) => Math.abs(Number(labels[i]) - t) < 1e-9);
    if (exact && new Set(labels).size === labels.length) return labels;
  }
  return ticks.map((t) => String(Number(t.toFixed(4)) + 0));
}

/** Approximate width of a label in px at `fontSize` (system-ui averages ~0.6 em a character). */
const textWidth = (text: string, fontSize: number): number => text.length * fontSize * 0.6;

function yRange(panel: ChartPanel): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of panel.series) for (const p of s.points) if (p.value !== null && Number.isFinite(p.value)) [lo, hi] = [Math.min(lo, p.value), Math.max(hi, p.value)];
  for (const t of panel.thresholds ?? []) [lo, hi] = [Math.min(lo, t.value), Math.max(hi, t.value)];
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.08;
  return [panel.yMin ?? lo - pad, panel.yMax ?? hi + pad];
}

function xRange(chart: SvgChart): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const panel of chart.panels) for (const s of panel.series) for (const p of s.points) if (Number.isFinite(p.tMin)) [lo, hi] = [Math.min(lo, p.tMin), Math.max(hi, p.tMin)];
  for (const sh of chart.shading ?? []) [lo, hi] = [Math.min(lo, sh.fromMin), Math.max(hi, sh.toMin)];
  if (!Number.isFinite(lo)) return [0, 1];
  return hi - lo < 1e-9 ? [lo, lo + 1] : [lo, hi];
}

function seriesPath(s: ChartSeries, x: (t: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  let pen = false;
  for (const p of s.points) {
    if (p.value === null || !Number.isFinite(p.value) || !Number.isFinite(p.tMin)) {
      pen = false;
      continue;
    }
    const px = fmt(x(p.tMin));
    const py = fmt(y(p.value));
    if (!pen) parts.push(`M${px} ${py}`);
    else if (s.step) parts.push(`H${px} V${py}`);
    else parts.push(`L${px} ${py}`);
    pen = true;
  }
  return parts.join(' ');
}

/**
 * Renders a chart to an SVG document string.
 *
 * @example
 * const svg = renderSvgChart({
 *   title: 'Staircase',
 *   panels: [{ yLabel: 'MAP', yUnit: 'mmHg', series: [{ label: 'MAP', points: [{ tMin: 0, value: 80 }, { tMin: 1, value: 72 }] }],
 *              thresholds: [{ value: 60, label: 'MAP floor' }] }],
 *   shading: [{ fromMin: 0.5, toMin: 1, label: 'PEEP 40' }],
 * });
 */
export function renderSvgChart(chart: SvgChart): string {
  if (chart.panels.length === 0) throw new TypeError('renderSvgChart needs at least one panel');
  const width = chart.width ?? 900;
  const ph = chart.panelHeight ?? 150;
  const top = MARGIN.top + (chart.title ? MARGIN.title : 0);
  const plotW = width - MARGIN.left - MARGIN.right;
  const height = top + chart.panels.length * ph + (chart.panels.length - 1) * MARGIN.gap + MARGIN.bottom;
  const [x0, x1] = xRange(chart);
  const x = (t: number): number => MARGIN.left + ((t - x0) / (x1 - x0)) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (chart.title) out.push(`<text x="${width / 2}" y="${MARGIN.top + 12}" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(chart.title)}</text>`);
  const xTicks = niceTicks(x0, x1, Math.max(4, Math.round(plotW / 90)));
  const xLabels = tickLabels(xTicks);
  const boundaries = [...new Set((chart.shading ?? []).map((sh) => sh.fromMin))].filter((t) => t > x0 + 1e-9 && t <= x1).sort((a, b) => a - b);

  chart.panels.forEach((panel, k) => {
    const py0 = top + k * (ph + MARGIN.gap);
    const [lo, hi] = yRange(panel);
    const y = (v: number): number => py0 + ph - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * ph;
    out.push(`<g class="panel">`);
    for (const sh of chart.shading ?? []) {
      const a = x(Math.max(x0, sh.fromMin));
      const b = x(Math.min(x1, sh.toMin));
      out.push(`<rect x="${fmt(a)}" y="${py0}" width="${fmt(Math.max(0, b - a))}" height="${ph}" fill="${safeColor(sh.color, '#dfe7f2')}" fill-opacity="0.55"/>`);
      if (k === 0 && sh.label) out.push(`<text x="${fmt((a + b) / 2)}" y="${py0 - 4}" text-anchor="middle" font-size="10" fill="#444">${escapeXml(sh.label)}</text>`);
    }
    for (const t of boundaries) out.push(`<line class="step-boundary" x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${py0}" y2="${py0 + ph}" stroke="#777" stroke-width="0.8"/>`);
    out.push(`<rect x="${MARGIN.left}" y="${py0}" width="${plotW}" height="${ph}" fill="none" stroke="#888"/>`);
    const yTicks = niceTicks(lo, hi, 4);
    const yLabels = tickLabels(yTicks);
    yTicks.forEach((t, i) => {
      out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(y(t))}" y2="${fmt(y(t))}" stroke="#e3e3e3"/>`);
      out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end">${yLabels[i]}</text>`);
    });
    xTicks.forEach((t, i) => {
      out.push(`<line x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${py0 + ph}" y2="${py0 + ph + 4}" stroke="#888"/>`);
      if (k === chart.panels.length - 1) out.push(`<text class="x-tick" x="${fmt(x(t))}" y="${py0 + ph + 17}" text-anchor="middle">${xLabels[i]}</text>`);
    });
    const yTitle = `${panel.yLabel} (${panel.yUnit})`;
    out.push(`<text transform="translate(16 ${fmt(py0 + ph / 2)}) rotate(-90)" text-anchor="middle" font-weight="600">${escapeXml(yTitle)}</text>`);
    // Threshold labels sit above their line at the left; one that would overlap a placed
    // label moves right past it (and, out of room, below its line).
    const placed: { x: number; y: number; w: number }[] = [];
    const collides = (bx: number, by: number, w: number) => placed.some((p) => bx < p.x + p.w + 6 && p.x < bx + w + 6 && Math.abs(p.y - by) < 11);
    for (const th of [...(panel.thresholds ?? [])].sort((a, b) => b.value - a.value)) {
      const c = safeColor(th.color, '#b00020');
      const ly = y(th.value);
      const text = `${th.label}: ${fmt(th.value)}`;
      const w = textWidth(text, 10);
      out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${fmt(ly)}" y2="${fmt(ly)}" stroke="${c}" stroke-dasharray="6 4"/>`);
      let bx = MARGIN.left + 4;
      let by = ly - 3;
      for (let guard = 0; guard < 12 && collides(bx, by, w); guard++) {
        const blocker = placed.filter((p) => bx < p.x + p.w + 6 && p.x < bx + w + 6 && Math.abs(p.y - by) < 11).sort((a, b) => b.x + b.w - (a.x + a.w))[0]!;
        bx = blocker.x + blocker.w + 10;
        if (bx + w > MARGIN.left + plotW - 4) {
          bx = MARGIN.left + 4;
          by += 11;
        }
      }
      placed.push({ x: bx, y: by, w });
      out.push(`<text x="${fmt(bx)}" y="${fmt(by)}" font-size="10" fill="${c}" class="threshold-label">${escapeXml(text)}</text>`);
    }
    panel.series.forEach((s, i) => {
      const c = safeColor(s.color, PALETTE[i % PALETTE.length] as string);
      const d = seriesPath(s, x, y);
      if (d) out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    });
    let lx = MARGIN.left + plotW - 8;
    const legend: string[] = [];
    [...panel.series].reverse().forEach((s, ri) => {
      const i = panel.series.length - 1 - ri;
      const c = safeColor(s.color, PALETTE[i % PALETTE.length] as string);
      const w = 34 + 7.2 * s.label.length;
      lx -= w;
      legend.push(`<line x1="${fmt(lx)}" x2="${fmt(lx + 18)}" y1="${py0 + 12}" y2="${py0 + 12}" stroke="${c}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
      legend.push(`<text x="${fmt(lx + 22)}" y="${py0 + 16}">${escapeXml(s.label)}</text>`);
    });
    for (const m of chart.markers ?? []) {
      if (m.atMin < x0 - 1e-9 || m.atMin > x1 + 1e-9) continue;
      const c = safeColor(m.color, '#b71c1c');
      const mx = fmt(x(m.atMin));
      out.push(`<line class="marker" x1="${mx}" x2="${mx}" y1="${py0}" y2="${py0 + ph}" stroke="${c}" stroke-width="2"/>`);
      if (k === 0) out.push(`<text x="${fmt(x(m.atMin) - 3)}" y="${py0 + ph - 6}" text-anchor="end" font-size="11" font-weight="700" fill="${c}">${escapeXml(m.label)}</text>`);
    }
    out.push(`<g class="legend">`, `<rect x="${fmt(lx - 6)}" y="${py0 + 2}" width="${fmt(MARGIN.left + plotW - 2 - (lx - 6))}" height="20" fill="#ffffff" fill-opacity="0.85"/>`, ...legend, `</g>`);
    out.push(`</g>`);
  });
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${height - 8}" text-anchor="middle" font-weight="600">${escapeXml(chart.xLabel ?? 'Time (min)')}</text>`);
  out.push('</svg>');
  return out.join('\n');
}
