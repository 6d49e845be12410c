/**
 * The virtual-trial page: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * external resources): forest plots of each outcome per patient group and arm (mean or
 * proportion with its 95% interval), and the tables of `rmseq trial`.
 */
import type { Estimate, Proportion, TrialArmGroupStats, TrialGroup, TrialStats } from '../cohort/trialStats.js';
import { TRIAL_GROUPS } from '../cohort/trialStats.js';
import { escapeXml, niceTicks, tickLabels } from './svgChart.js';

const ARM_COLOURS = ['#1f5fa8', '#c0392b', '#2e8b57', '#7f7f7f', '#8e44ad', '#d35400', '#16a085', '#5d4037'];

interface Metric {
  title: string;
  unit: string;
  pick: (a: TrialArmGroupStats) => Estimate | Proportion | null;
}

const METRICS: Metric[] = [
  { title: 'Change in P/F ratio (assessment minus start)', unit: 'mmHg', pick: (a) => a.deltaPfRatio },
  { title: 'Change in static compliance', unit: 'mL/cmH2O', pick: (a) => a.deltaComplianceMlPerCmH2O },
  { title: 'PEEP at the assessment', unit: 'cmH2O', pick: (a) => a.finalPeepCmH2O },
  { title: 'Aborted', unit: '% of patients', pick: (a) => a.aborted },
  { title: 'Time with plateau pressure above 30 cmH2O', unit: 'min per patient', pick: (a) => a.plateauAbove30Min },
  { title: 'Time with driving pressure above 15 cmH2O', unit: 'min per patient', pick: (a) => a.drivingPressureAbove15Min },
  { title: 'Change in P/F ratio, difference from no maneuver (paired)', unit: 'mmHg', pick: (a) => a.vsNone?.deltaPfRatio ?? null },
];

const point = (e: Estimate | Proportion | null): { v: number; lo: number; hi: number } | null => {
  if (!e) return null;
  const v = 'pct' in e ? e.pct : e.mean;
  if (v === null) return null;
  return { v, lo: e.lo ?? v, hi: e.hi ?? v };
};

/** A forest plot: a row per group, a marker and 95% interval per arm. */
function forestPlot(s: TrialStats, m: Metric, groups: readonly TrialGroup[]): string {
  const rows = groups.flatMap((g) => s.arms.map((arm, i) => ({ g, arm, i, p: point(m.pick(s.groups[g].arms[arm] as TrialArmGroupStats)) })));
  const pts = rows.flatMap((r) => (r.p ? [r.p.lo, r.p.hi, r.p.v] : []));
  if (!pts.length) return '';
  let lo = Math.min(0, ...pts);
  let hi = Math.max(0, ...pts);
  if (hi === lo) hi = lo + 1;
  const ticks = niceTicks(lo, hi, 6);
  lo = Math.min(lo, ticks[0] ?? lo);
  hi = Math.max(hi, ticks.at(-1) ?? hi);
  const left = 150;
  const width = 720;
  const plotW = width - left - 20;
  const armH = 12;
  const groupH = s.arms.length * armH + 10;
  const top = 10;
  const height = top + groups.length * groupH + 30;
  const x = (v: number): number => left + ((v - lo) / (hi - lo)) * plotW;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(`${m.title}, ${m.unit}`)}">`);
  const labels = tickLabels(ticks);
  ticks.forEach((t, i) => {
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="${top}" x2="${x(t).toFixed(1)}" y2="${height - 25}" stroke="${t === 0 ? '#555' : '#ddd'}" stroke-width="1"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${height - 10}" font-size="11" text-anchor="middle">${escapeXml(labels[i] as string)}</text>`);
  });
  groups.forEach((g, gi) => {
    const y0 = top + gi * groupH;
    parts.push(`<text x="4" y="${(y0 + groupH / 2 + 3).toFixed(1)}" font-size="12">${escapeXml(`${g} (n=${s.groups[g].n})`)}</text>`);
    if (gi > 0) parts.push(`<line x1="0" y1="${y0 - 2}" x2="${width}" y2="${y0 - 2}" stroke="#eee"/>`);
  });
  for (const r of rows) {
    if (!r.p) continue;
    const y = top + groups.indexOf(r.g) * groupH + 5 + r.i * armH;
    const c = ARM_COLOURS[r.i % ARM_COLOURS.length] as string;
    parts.push(`<g><title>${escapeXml(`${r.g}, ${r.arm}: ${r.p.v} [${r.p.lo}, ${r.p.hi}] ${m.unit}`)}</title><line x1="${x(r.p.lo).toFixed(1)}" y1="${y}" x2="${x(r.p.hi).toFixed(1)}" y2="${y}" stroke="${c}" stroke-width="2"/><rect x="${(x(r.p.v) - 3).toFixed(1)}" y="${y - 3}" width="6" height="6" fill="${c}"/></g>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

const num = (v: number | null, digits = 1): string => (v === null ? '-' : (Number(v.toFixed(digits)) || 0).toFixed(digits));
const ci = (e: Estimate | Proportion): string => {
  const p = point(e);
  return p ? `${num(p.v)} <span class="ci">[${num(e.lo)}, ${num(e.hi)}]</span>` : '-';
};

function groupTable(s: TrialStats, g: TrialGroup): string {
  const head = ['arm', 'n', 'ΔP/F mmHg', 'ΔCrs mL/cmH2O', 'final PEEP', 'aborted %', 'aborts by reason %', 'Pplat&gt;30 min', 'DP&gt;15 min', 'pneumothorax %', 'ΔP/F vs none'];
  const body = s.arms.map((arm) => {
    const a = s.groups[g].arms[arm] as TrialArmGroupStats;
    const reasons = Object.entries(a.abortReasons).map(([k, p]) => `${escapeXml(k)} ${ci(p)}`).join('<br>') || '-';
    return `<tr><th>${escapeXml(arm)}</th><td>${a.n}</td><td>${ci(a.deltaPfRatio)}</td><td>${ci(a.deltaComplianceMlPerCmH2O)}</td><td>${ci(a.finalPeepCmH2O)}</td><td>${ci(a.aborted)}</td><td>${reasons}</td><td>${ci(a.plateauAbove30Min)}</td><td>${ci(a.drivingPressureAbove15Min)}</td><td>${ci(a.pneumothorax)}</td><td>${a.vsNone ? ci(a.vsNone.deltaPfRatio) : '-'}</td></tr>`;
  });
  return `<h3>${escapeXml(g)} (n=${s.groups[g].n})</h3><table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1100px}
table{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}
thead th{background:#f3f3f3}tbody th{text-align:left}.ci{color:#666;font-size:11px}.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:4px}`;

/** The trial page: plots, then a table per group. */
export function renderTrialReport(s: TrialStats, o: { seed: number }): string {
  const groups = TRIAL_GROUPS.filter((g) => s.groups[g].n > 0);
  const legend = `<p class="legend">${s.arms.map((a, i) => `<span><i style="background:${ARM_COLOURS[i % ARM_COLOURS.length]}"></i>${escapeXml(a)}</span>`).join('')}</p>`;
  const plots = METRICS.map((m) => {
    const svg = forestPlot(s, m, groups);
    return svg ? `<figure><figcaption>${escapeXml(m.title)} (${escapeXml(m.unit)}), mean or share with 95% CI</figcaption>${svg}</figure>` : '';
  }).join('\n');
  const title = `Virtual trial: ${s.n} patients, seed ${o.seed}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p>Arms: ${s.arms.map(escapeXml).join(', ')}. Every arm runs on the same virtual patients (${s.samePatients ? 'checked: same patient and same start values in every arm' : '<strong>NOT the same patients in every arm</strong>'}); each is assessed ${s.horizonMin} min of virtual time after its start (the no-maneuver arm stays on the baseline for that time). Oxygenation and compliance are the simulated patient's true values. 95% confidence intervals: Student t for means, Wilson score for proportions, paired t for the difference from no maneuver. Safety invariant violations: ${s.violations.length}.</p>
${legend}
${plots}
<h2>Tables</h2>
${groups.map((g) => groupTable(s, g)).join('\n')}
</body></html>
`;
}
