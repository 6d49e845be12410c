/**
 * The trend charts (uPlot): airway pressure, SpO2, MAP/SBP, HR, compliance. Each chart
 * draws the safety monitor's limits as labelled dashed lines, and its header shows the
 * current value in large type, so the limit and the value are read together. A plot too
 * narrow to label its lines clear of the trace (a phone's, about 100 px) draws the lines
 * alone and lists their labels in a key under it, each in its line's colour; on a wider plot
 * a label with no room clear of the trace goes to the key too, so no limit goes unlabelled.
 */
import uPlot from 'uplot';
import type { BaselineVitals } from '../../../machines/types.js';
import type { ChartRow, SessionModel, Thresholds } from '../wire.js';
import { h, setText } from './dom.js';
import { num } from './format.js';

type Key = Exclude<keyof ChartRow, 't'>;

interface Line {
  value: number;
  label: string;
  kind: 'abort' | 'limit' | 'ref';
}

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  digits: number;
  series: { key: Key; label: string; color: string; width?: number }[];
  lines: (th: Thresholds, bv: BaselineVitals | null) => Line[];
  /** The limits in force, in words, for the chart's header. */
  summary: (th: Thresholds, bv: BaselineVitals | null) => string;
  /** Y range given the data's and the lines' extent. */
  range: (lo: number, hi: number) => [number, number];
}

export const COLORS = {
  peak: '#ffd43b',
  peep: '#74c0fc',
  spo2: '#3bc9db',
  map: '#ff8787',
  sbp: '#ffc9c9',
  hr: '#69db7c',
  compliance: '#d0bfff',
  abort: '#ff6b6b',
  limit: '#ffa94d',
  ref: '#adb5bd',
  axis: '#ced4da',
  grid: '#2b3138',
} as const;

const pad = (lo: number, hi: number, p: number): [number, number] => [lo - p, hi + p];

/** A plot narrower than this (CSS px) lists its limit labels in the key under it, not on it. */
export const KEY_BELOW_PLOT_PX = 240;

const lineColor = (kind: Line['kind']): string => (kind === 'abort' ? COLORS.abort : kind === 'limit' ? COLORS.limit : COLORS.ref);

const SPECS: ChartSpec[] = [
  {
    id: 'pressure',
    title: 'Airway pressure',
    unit: 'cmH2O',
    digits: 1,
    series: [
      { key: 'peakCmH2O', label: 'Peak', color: COLORS.peak, width: 2.5 },
      { key: 'peepCmH2O', label: 'PEEP', color: COLORS.peep, width: 2.5 },
    ],
    lines: (th) => [
      { value: th.peakAbortCmH2O, label: `abort > ${th.peakAbortCmH2O}`, kind: 'abort' },
      { value: th.peakLimitCmH2O, label: `peak limit ${th.peakLimitCmH2O}`, kind: 'limit' },
    ],
    summary: (th) => `abort if peak > ${th.peakAbortCmH2O} for ${th.persistenceS.overdistention} s; > ${th.critical.peakCmH2O} at once`,
    range: (lo, hi) => [0, Math.ceil((Math.max(hi, 10) + 3) / 5) * 5],
  },
  {
    id: 'spo2',
    title: 'SpO2',
    unit: '%',
    digits: 0,
    series: [{ key: 'spo2Pct', label: 'SpO2', color: COLORS.spo2, width: 2.5 }],
    lines: (th, bv) => {
      const out: Line[] = [{ value: th.spo2FloorPct, label: `abort < ${th.spo2FloorPct}`, kind: 'abort' }];
      if (bv) {
        const fall = bv.spo2Pct - th.spo2FallMaxPts;
        if (fall > th.spo2FloorPct) out.push({ value: fall, label: `abort < ${num(fall, 0)} (baseline ${bv.spo2Pct} − ${th.spo2FallMaxPts})`, kind: 'abort' });
        out.push({ value: bv.spo2Pct, label: `baseline ${bv.spo2Pct}`, kind: 'ref' });
      }
      return out;
    },
    summary: (th, bv) => {
      const fall = bv ? bv.spo2Pct - th.spo2FallMaxPts : -Infinity;
      const when = `for ${th.persistenceS.desaturation} s; < ${th.critical.spo2Pct} at once`;
      // The chart's own line labels say where the relative limit comes from (baseline − points).
      return `abort if SpO2 < ${fall > th.spo2FloorPct ? num(fall, 0) : th.spo2FloorPct} ${when}`;
    },
    range: (lo) => [Math.floor(Math.min(lo, 100) - 2), 100.5],
  },
  {
    id: 'map',
    title: 'Arterial BP',
    unit: 'mmHg',
    digits: 0,
    series: [
      { key: 'mapMmHg', label: 'MAP', color: COLORS.map, width: 2.5 },
      { key: 'sbpMmHg', label: 'SBP', color: COLORS.sbp, width: 1.5 },
    ],
    lines: (th, bv) => {
      const out: Line[] = [
        { value: th.mapFloorMmHg, label: `MAP abort < ${th.mapFloorMmHg}`, kind: 'abort' },
        { value: th.sbpFloorMmHg, label: `SBP abort < ${th.sbpFloorMmHg}`, kind: 'abort' },
      ];
      if (bv) {
        const fall = bv.mapMmHg * (1 - th.mapFallMaxPct / 100);
        if (fall > th.mapFloorMmHg) out.push({ value: fall, label: `MAP abort < ${num(fall, 0)} (−${th.mapFallMaxPct}% of ${num(bv.mapMmHg, 0)})`, kind: 'abort' });
      }
      return out;
    },
    summary: (th, bv) => {
      const map = Math.max(th.mapFloorMmHg, bv ? bv.mapMmHg * (1 - th.mapFallMaxPct / 100) : -Infinity);
      return `abort if MAP < ${num(map, 0)} or SBP < ${th.sbpFloorMmHg} for ${th.persistenceS.hypotension} s; MAP < ${th.critical.mapMmHg} at once`;
    },
    // Room under the lowest limit for its label (MAP runs close to the SBP floor: the labels go clear of the trace).
    range: (lo, hi) => [lo - 32, hi + 8],
  },
  {
    id: 'hr',
    title: 'Heart rate',
    unit: '/min',
    digits: 0,
    series: [{ key: 'hrBpm', label: 'HR', color: COLORS.hr, width: 2.5 }],
    lines: (th) => [
      { value: th.hrMaxBpm, label: `abort > ${th.hrMaxBpm}`, kind: 'abort' },
      { value: th.hrMinBpm, label: `abort < ${th.hrMinBpm}`, kind: 'abort' },
    ],
    summary: (th) => `abort if HR < ${th.hrMinBpm} or > ${th.hrMaxBpm} for ${th.persistenceS.heartRate} s; < ${th.critical.hrBpm} at once`,
    range: (lo, hi) => pad(lo, hi, 8),
  },
  {
    id: 'compliance',
    title: 'Compliance',
    unit: 'mL/cmH2O',
    digits: 0,
    series: [{ key: 'complianceMlPerCmH2O', label: 'C', color: COLORS.compliance, width: 2.5 }],
    summary: () => 'information only: no abort limit',
    lines: (_th, bv) => (bv?.complianceMlPerCmH2O != null ? [{ value: bv.complianceMlPerCmH2O, label: `baseline ${num(bv.complianceMlPerCmH2O, 0)}`, kind: 'ref' }] : []),
    range: (lo, hi) => [Math.max(0, Math.floor(lo - 5)), Math.ceil(hi + 5)],
  },
];

/** "12:34" from seconds. */
function mmss(s: number): string {
  const t = Math.max(0, Math.round(s));
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

class Chart {
  readonly card: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly valueEls: HTMLElement[];
  private readonly limitsEl: HTMLElement;
  private readonly keyEl: HTMLElement;
  private keyShown = '';
  private plot: uPlot | null = null;
  private lines: Line[] = [];

  constructor(private readonly spec: ChartSpec) {
    this.valueEls = spec.series.map(() => h('span', { class: 'chart-value' }, '--'));
    this.limitsEl = h('div', { class: 'chart-limits' });
    this.plotEl = h('div', { class: 'chart-plot' });
    this.keyEl = h('div', { class: 'chart-key' });
    this.keyEl.hidden = true;
    const values = h('div', { class: 'chart-values' });
    spec.series.forEach((s, i) => {
      // Colours go through the CSSOM: the page's CSP refuses style attributes.
      const label = spec.series.length > 1 ? h('span', { class: 'chart-series-label' }, s.label) : null;
      if (label) label.style.color = s.color;
      this.valueEls[i]!.style.color = s.color;
      values.append(h('span', { class: 'chart-series' }, label, this.valueEls[i]!));
    });
    values.append(h('span', { class: 'chart-unit' }, spec.unit));
    this.card = h(
      'section',
      { class: 'chart-card', id: `chart-${spec.id}`, 'aria-label': spec.title },
      h('div', { class: 'chart-head' }, h('h3', { class: 'chart-title' }, spec.title), values),
      this.limitsEl,
      this.plotEl,
      this.keyEl,
    );
  }

  mount(): void {
    const { spec } = this;
    const opts: uPlot.Options = {
      width: Math.max(200, this.plotEl.clientWidth),
      height: Math.max(100, this.plotEl.clientHeight),
      legend: { show: false },
      cursor: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      scales: {
        x: { time: false },
        y: {
          range: (u, lo, hi) => {
            const vals = [...this.lines.map((l) => l.value)];
            if (lo !== null && Number.isFinite(lo)) vals.push(lo);
            if (hi !== null && Number.isFinite(hi)) vals.push(hi);
            if (!vals.length) return spec.range(0, 1);
            return spec.range(Math.min(...vals), Math.max(...vals));
          },
        },
      },
      axes: [
        {
          stroke: COLORS.axis,
          grid: { stroke: COLORS.grid, width: 1 },
          ticks: { stroke: COLORS.grid },
          font: '13px system-ui, sans-serif',
          incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
          values: (_u, splits) => splits.map(mmss),
          size: 32,
        },
        { stroke: COLORS.axis, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid }, font: '13px system-ui, sans-serif', size: 44 },
      ],
      series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: s.width ?? 2, points: { show: false }, spanGaps: false }))],
      hooks: { draw: [(u: uPlot) => this.drawLines(u)] },
    };
    this.plot = new uPlot(opts, [[], ...spec.series.map(() => [])] as uPlot.AlignedData, this.plotEl);
    new ResizeObserver(() => {
      if (this.plot && this.plotEl.clientWidth > 0) this.plot.setSize({ width: this.plotEl.clientWidth, height: Math.max(80, this.plotEl.clientHeight) });
    }).observe(this.plotEl);
  }

  update(model: SessionModel | null, rowsChanged: boolean): void {
    const th = model?.info.thresholds ?? null;
    this.lines = th ? this.spec.lines(th, model?.baselineVitals ?? null) : [];
    setText(this.limitsEl, th ? this.spec.summary(th, model?.baselineVitals ?? null) : ' ');
    this.limitsEl.classList.toggle('chart-limits-info', this.spec.id === 'compliance');
    const rows = model?.rows ?? [];
    // Once the session has ended nothing is monitored: the last values would be stale, so none are shown.
    const ended = !model || model.summary !== null || model.closed;
    const last = ended ? undefined : rows[rows.length - 1];
    this.spec.series.forEach((s, i) => setText(this.valueEls[i]!, num(last ? last[s.key] : null, this.spec.digits)));
    this.card.classList.toggle('chart-ended', ended && rows.length > 0);
    if (!this.plot || !rowsChanged) return;
    const data: uPlot.AlignedData = [rows.map((r) => r.t), ...this.spec.series.map((s) => rows.map((r) => r[s.key]))];
    this.plot.setData(data, true);
  }

  private drawLines(u: uPlot): void {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const dpr = devicePixelRatio || 1;
    ctx.save();
    ctx.font = `${Math.round(13 * dpr)}px system-ui, sans-serif`;
    // Each label goes where it overlaps no other: above its line at the left, at the right,
    // then below it; the boxes are kept on the card (data-labels) for the layout tests.
    const boxes: { x: number; y: number; w: number; h: number; text: string; line: string }[] = [];
    const lineH = 15 * dpr;
    const trace = traceEnvelope(u, 2 * dpr);
    // A label may cover neither another label nor the trace (the line's half width as margin).
    const onTrace = (b: { x: number; y: number; w: number; h: number }) => {
      const m = 2 * dpr;
      for (let col = Math.floor((b.x - m) / trace.colW); col <= Math.floor((b.x + b.w + m) / trace.colW); col++) {
        const e = trace.cols.get(col);
        if (e && e[0] <= b.y + b.h + m && e[1] >= b.y - m) return true;
      }
      return false;
    };
    // Nor may another limit line run through it (two limits a few pixels apart: a label between
    // them would be struck through); its own line is beside it, never through it.
    const lineYs = this.lines.map((l) => Math.round(u.valToPos(l.value, 'y', true))).filter((y) => y >= top && y <= top + height);
    const crossed = (b: { y: number; h: number }) => lineYs.some((ly) => ly >= b.y - 1 * dpr && ly <= b.y + b.h + 1 * dpr);
    const hits = (b: { x: number; y: number; w: number; h: number }) => onTrace(b) || crossed(b) || boxes.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
    // On a narrow plot every label goes to the key; on a wider one, those with no room.
    const keyOnly = width / dpr < KEY_BELOW_PLOT_PX;
    const keyed: Line[] = [];
    const drawn: { y: number; text: string }[] = [];
    for (const line of this.lines) {
      const y = Math.round(u.valToPos(line.value, 'y', true));
      if (y < top || y > top + height) continue;
      drawn.push({ y, text: line.label });
      const color = lineColor(line.kind);
      ctx.strokeStyle = color;
      ctx.lineWidth = (line.kind === 'ref' ? 1 : 2) * dpr;
      ctx.setLineDash(line.kind === 'ref' ? [2 * dpr, 4 * dpr] : [8 * dpr, 6 * dpr]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      if (keyOnly) {
        keyed.push(line);
        continue;
      }
      // The full label where it fits; on a small plot a shorter one: without its derivation
      // ("abort < 90"), then without "abort" after a signal's name ("MAP < 64"), never a bare "< 90".
      const noWhy = line.label.replace(/ \(.*\)$/, '');
      const named = noWhy.replace(/^(\S+) abort /, '$1 ');
      const candidates = [...new Set([line.label, noWhy, named])];
      let spot: { x: number; y: number } | undefined;
      let text = line.label;
      let w = 0;
      for (const candidate of candidates) {
        const tw = ctx.measureText(candidate).width;
        if (tw > width - 12 * dpr) continue;
        w = tw;
        const above = y - 3 * dpr - lineH;
        const below = y + 3 * dpr;
        // Along its line: left, right, then between, above or below it; then a line further off.
        const xs = [left + 6 * dpr, left + width - 6 * dpr - w, left + (width - w) / 2, left + 6 * dpr + (width - w) / 4, left + width - 6 * dpr - w - (width - w) / 4];
        spot = [above, below, above - lineH, below + lineH, above - 2 * lineH, below + 2 * lineH]
          .flatMap((sy) => xs.map((sx) => ({ x: sx, y: sy })))
          .filter((b) => b.y >= top - 2 * dpr && b.y + lineH <= top + height + 2 * dpr)
          // Nearer its own line than any other, or it is read as the other's.
          .filter((b) => lineYs.every((ly) => ly === y || Math.abs(b.y + lineH / 2 - ly) >= Math.abs(b.y + lineH / 2 - y)))
          .find((b) => !hits({ ...b, w, h: lineH }));
        text = candidate;
        if (spot) break;
      }
      if (!spot) {
        keyed.push(line); // no room clear of the trace: the key under the plot says it
        continue;
      }
      boxes.push({ x: spot.x, y: spot.y, w, h: lineH, text, line: line.label });
      ctx.fillStyle = color;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(text, spot.x, spot.y + 1 * dpr, w);
    }
    // Where the plot draws (canvas pixels) and its scales: the layout tests place the trace with them.
    this.card.dataset['plot'] = JSON.stringify({ left, top, width, height, x: [u.scales['x']!.min, u.scales['x']!.max], y: [u.scales['y']!.min, u.scales['y']!.max] });
    this.card.dataset['labels'] = JSON.stringify(boxes.map((b) => ({ x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h), text: b.text, line: b.line })));
    // The limit lines drawn (each labelled on the plot or in the key), where (canvas pixels).
    this.card.dataset['lines'] = JSON.stringify(drawn);
    ctx.restore();
    this.showKey(keyed);
  }

  /**
   * The key under the plot, highest line first: each line's label without its derivation ("MAP abort < 64"), after a
   * short dash of the line's own pattern, in its colour; hidden when every label is on the plot.
   * Rebuilt only when what it lists changes (the plot redraws on every batch).
   */
  private showKey(lines: readonly Line[]): void {
    // Top to bottom as the lines are drawn.
    const items = [...lines].sort((a, b) => b.value - a.value).map((l) => ({ text: l.label.replace(/ \(.*\)$/, ''), kind: l.kind }));
    const shown = JSON.stringify(items);
    if (shown === this.keyShown) return;
    this.keyShown = shown;
    this.keyEl.replaceChildren(
      ...items.map((it) => {
        const swatch = h('span', { class: `chart-key-swatch chart-key-${it.kind}`, 'aria-hidden': 'true' });
        const text = h('span', { class: 'chart-key-text' }, it.text);
        // Colours go through the CSSOM: the page's CSP refuses style attributes.
        swatch.style.borderTopColor = lineColor(it.kind);
        text.style.color = lineColor(it.kind);
        return h('span', { class: 'chart-key-item' }, swatch, text);
      }),
    );
    this.keyEl.hidden = items.length === 0;
  }
}

/**
 * Where the trace is, per column of `colW` canvas pixels: the lowest and highest y any series
 * reaches there (each segment between two fresh values spans its columns; gaps are empty).
 */
function traceEnvelope(u: uPlot, colW: number): { colW: number; cols: Map<number, [number, number]> } {
  const cols = new Map<number, [number, number]>();
  const put = (col: number, y0: number, y1: number) => {
    const e = cols.get(col);
    const lo = Math.min(y0, y1);
    const hi = Math.max(y0, y1);
    cols.set(col, e ? [Math.min(e[0], lo), Math.max(e[1], hi)] : [lo, hi]);
  };
  const xs = u.data[0] as ArrayLike<number>;
  for (let s = 1; s < u.data.length; s++) {
    const ys = u.data[s] as ArrayLike<number | null | undefined>;
    let prev: { x: number; y: number } | null = null;
    for (let i = 0; i < xs.length; i++) {
      const v = ys[i];
      if (v === null || v === undefined) {
        prev = null;
        continue;
      }
      const p = { x: u.valToPos(xs[i]!, 'x', true), y: u.valToPos(v, 'y', true) };
      if (!prev) put(Math.floor(p.x / colW), p.y, p.y);
      else {
        const c0 = Math.floor(Math.min(prev.x, p.x) / colW);
        const c1 = Math.floor(Math.max(prev.x, p.x) / colW);
        for (let c = c0; c <= c1; c++) {
          // The segment's y over this column (linear), so a steep step is covered where it is.
          const xa = Math.max(c * colW, Math.min(prev.x, p.x));
          const xb = Math.min((c + 1) * colW, Math.max(prev.x, p.x));
          const at = (x: number) => (p.x === prev!.x ? p.y : prev!.y + ((p.y - prev!.y) * (x - prev!.x)) / (p.x - prev!.x));
          put(c, at(xa), at(xb));
        }
      }
      prev = p;
    }
  }
  return { colW, cols };
}

export class Charts {
  private readonly charts = SPECS.map((s) => new Chart(s));

  constructor(private readonly container: HTMLElement) {
    for (const c of this.charts) container.append(c.card);
  }

  mount(): void {
    for (const c of this.charts) c.mount();
  }

  update(model: SessionModel | null, rowsChanged: boolean): void {
    for (const c of this.charts) c.update(model, rowsChanged);
  }
}
