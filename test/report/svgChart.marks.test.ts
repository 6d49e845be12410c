/**
 * What the report plots must show (issue 17 point 8): every abort marked on every panel,
 * step boundaries (also within a phase), distinct time tick labels on short runs, and
 * threshold labels that do not overlap.
 */
import { describe, expect, it } from 'vitest';
import { renderSvgChart, tickLabels, type SvgChart } from '../../src/report/svgChart.js';

const base = (over: Partial<SvgChart> = {}): SvgChart => ({
  panels: [
    { yLabel: 'MAP', yUnit: 'mmHg', series: [{ label: 'MAP', points: [0, 0.1, 0.2, 0.3].map((t) => ({ tMin: t, value: 80 - t })) }], thresholds: [{ value: 60, label: 'MAP floor' }, { value: 61, label: '-20% of baseline' }, { value: 62, label: 'SBP floor' }] },
    { yLabel: 'PEEP', yUnit: 'cmH2O', series: [{ label: 'PEEP', points: [{ tMin: 0, value: 10 }, { tMin: 0.3, value: 20 }] }] },
  ],
  ...over,
});

/** The x positions of the tick labels under the last panel, and their texts. */
function xTickTexts(svg: string): string[] {
  return [...svg.matchAll(/<text [^>]*class="x-tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

interface Box { x: number; y: number; w: number; h: number }
function thresholdLabelBoxes(svg: string): Box[] {
  return [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" font-size="10"[^>]*class="threshold-label"[^>]*>([^<]*)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    w: m[3]!.length * 6,
    h: 10,
  }));
}
const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y - a.h < b.y && b.y - b.h < a.y;

describe('report plots', () => {
  it('time tick labels on a short run are all different (no 0, 0.1, 0.1, 0.2)', () => {
    const labels = xTickTexts(renderSvgChart(base()));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('tickLabels uses as few decimals as keep every label distinct', () => {
    expect(tickLabels([0, 0.05, 0.1, 0.15])).toEqual(['0', '0.05', '0.1', '0.15']);
    expect(tickLabels([0, 5, 10])).toEqual(['0', '5', '10']);
    expect(tickLabels([0, 2.5, 5])).toEqual(['0', '2.5', '5']);
    expect(tickLabels([1.25, 1.5])).toEqual(['1.25', '1.5']);
  });

  it('threshold labels close together do not overlap', () => {
    const boxes = thresholdLabelBoxes(renderSvgChart(base()));
    expect(boxes).toHaveLength(3);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i]!, boxes[j]!), `${i} and ${j}`).toBe(false);
  });

  it('marks every abort with a labelled line across every panel', () => {
    const svg = renderSvgChart(base({ markers: [{ atMin: 0.2, label: 'ABORT: hypotension' }, { atMin: 0.25, label: 'ABORT: operator' }] }));
    expect(svg.match(/class="marker"/g)).toHaveLength(2 * 2);
    expect(svg).toContain('ABORT: hypotension');
    expect(svg).toContain('ABORT: operator');
  });

  it('draws a boundary at every step start, also between steps of the same phase', () => {
    const svg = renderSvgChart(base({ shading: [{ fromMin: 0, toMin: 0.1, label: '20' }, { fromMin: 0.1, toMin: 0.2, label: '30' }, { fromMin: 0.2, toMin: 0.3, label: '40' }] }));
    // One line per step start after the first, on each of the two panels.
    expect(svg.match(/class="step-boundary"/g)).toHaveLength(2 * 2);
  });
});
