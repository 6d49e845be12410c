import { describe, expect, it } from 'vitest';
import { escapeXml, niceTicks, renderSvgChart, type SvgChart } from '../../src/report/svgChart.js';

const chart: SvgChart = {
  title: 'Staircase <moderate-ards> & co',
  shading: [
    { fromMin: 1, toMin: 3, label: 'PEEP 20' },
    { fromMin: 3, toMin: 5, label: 'PEEP 30' },
  ],
  panels: [
    {
      yLabel: 'MAP',
      yUnit: 'mmHg',
      series: [
        { label: 'MAP', points: [0, 1, 2, 3, 4, 5].map((t) => ({ tMin: t, value: 80 - 2 * t })) },
        { label: 'SBP', points: [{ tMin: 0, value: 110 }, { tMin: 2, value: null }, { tMin: 3, value: 100 }, { tMin: 5, value: 98 }], dashed: true },
      ],
      thresholds: [{ value: 60, label: 'MAP floor' }],
    },
    { yLabel: 'PEEP', yUnit: 'cmH2O', series: [{ label: 'PEEP "set"', step: true, points: [{ tMin: 0, value: 10 }, { tMin: 1, value: 20 }, { tMin: 3, value: 30 }, { tMin: 5, value: 30 }] }] },
  ],
};

/** Well-formedness check without a DOM: every tag is closed in order. */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else stack.push(name as string);
  }
  return stack.length === 0;
}

describe('renderSvgChart', () => {
  const svg = renderSvgChart(chart);

  it('renders a self-contained, well-formed SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).not.toMatch(/<script|href=|NaN|undefined|Infinity/);
    expect(renderSvgChart(chart)).toBe(svg);
  });

  it('draws every series, the legend, axes with units, thresholds and the step shading', () => {
    expect(svg.match(/<path d="M/g)).toHaveLength(3);
    expect(svg).toContain('MAP (mmHg)');
    expect(svg).toContain('PEEP (cmH2O)');
    expect(svg).toContain('Time (min)');
    expect(svg).toContain('MAP floor: 60');
    expect(svg).toContain('stroke-dasharray="6 4"');
    expect(svg).toContain('>PEEP 20<');
    expect(svg).toContain('>PEEP 30<');
    expect(svg).toContain('>SBP<');
  });

  it('breaks a line at a null value (a dropout) and draws settings as steps', () => {
    const sbp = svg.split('\n').find((l) => l.includes('stroke-dasharray="5 3"') && l.startsWith('<path')) ?? '';
    expect(sbp.match(/M/g)).toHaveLength(2);
    const peep = svg.split('\n').filter((l) => l.startsWith('<path')).at(-1) ?? '';
    expect(peep).toMatch(/H[\d.]+ V[\d.]+/);
  });

  it('escapes text and refuses unsafe colours', () => {
    expect(svg).toContain('Staircase &lt;moderate-ards&gt; &amp; co');
    expect(svg).toContain('PEEP &quot;set&quot;');
    const evil = renderSvgChart({ panels: [{ yLabel: '<b>', yUnit: "'u'", series: [{ label: 'x', color: 'red" onload="alert(1)', points: [{ tMin: 0, value: 1 }] }] }] });
    expect(evil).not.toContain('onload');
    expect(evil).toContain('&lt;b&gt; (&#39;u&#39;)');
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('handles empty and flat series without producing invalid numbers', () => {
    const flat = renderSvgChart({ panels: [{ yLabel: 'SpO2', yUnit: '%', series: [{ label: 'SpO2', points: [] }, { label: 'flat', points: [{ tMin: 2, value: 5 }, { tMin: 2, value: 5 }] }] }] });
    expect(flat).not.toMatch(/NaN|Infinity/);
    expect(balanced(flat)).toBe(true);
    expect(() => renderSvgChart({ panels: [] })).toThrow(TypeError);
  });
});

describe('niceTicks', () => {
  it('gives round steps covering the range', () => {
    expect(niceTicks(0, 25)).toEqual([0, 5, 10, 15, 20, 25]);
    expect(niceTicks(57, 103, 4)).toEqual([60, 80, 100]);
    expect(niceTicks(57, 103, 8)).toEqual([60, 70, 80, 90, 100]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});
