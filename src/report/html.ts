/**
 * The maneuver report: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * external resources) built from a journal: outcome, PEEP/pressure, SpO2, MAP and compliance
 * over time with the guard limits, the per-step table and the event timeline.
 */
import type { StepRecord, VentSettings } from '../../machines/index.js';
import type { ParsedJournal } from '../journal/read.js';
import type { SessionSummary } from '../runner/telemetry.js';
import { clockTime, describeBaselineVitals, describeSettings, outcomeLine, stepTable, titrationLines } from '../cli/format.js';
import { escapeXml, renderSvgChart, type ChartPoint, type ChartShade } from './svgChart.js';

interface Series {
  spo2: ChartPoint[];
  map: ChartPoint[];
  sbp: ChartPoint[];
  hr: ChartPoint[];
  peak: ChartPoint[];
  peep: ChartPoint[];
  compliance: ChartPoint[];
  setPeep: ChartPoint[];
  setPeak: ChartPoint[];
}

const PHASE_COLOURS: Record<string, string> = {
  incremental: '#fde2c4',
  decremental: '#d7e8fb',
  're-recruit': '#fde2c4',
  inflation: '#fde2c4',
  'high-pressure': '#fde2c4',
  final: '#d9f2d9',
  assessment: '#d9f2d9',
};

function extract(j: ParsedJournal, t0: number): Series {
  const s: Series = { spo2: [], map: [], sbp: [], hr: [], peak: [], peep: [], compliance: [], setPeep: [], setPeak: [] };
  const min = (t: number): number => (t - t0) / 60_000;
  for (const e of j.inputs) {
    if (e.type !== 'SAMPLE') continue;
    const x = e.sample;
    const tMin = min(x.t);
    if (x.spo2Pct !== undefined) s.spo2.push({ tMin, value: x.spo2Pct });
    if (x.mapMmHg !== undefined) s.map.push({ tMin, value: x.mapMmHg });
    if (x.sbpMmHg !== undefined) s.sbp.push({ tMin, value: x.sbpMmHg });
    if (x.hrBpm !== undefined) s.hr.push({ tMin, value: x.hrBpm });
    if (x.peakCmH2O !== undefined) s.peak.push({ tMin, value: x.peakCmH2O });
    if (x.peepCmH2O !== undefined) s.peep.push({ tMin, value: x.peepCmH2O });
    if (x.complianceMlPerCmH2O !== undefined) s.compliance.push({ tMin, value: x.complianceMlPerCmH2O });
  }
  const baseline = j.baseline;
  if (baseline) {
    s.setPeep.push({ tMin: min(j.inputs[0]?.now ?? t0), value: baseline.peepCmH2O });
    s.setPeak.push({ tMin: min(j.inputs[0]?.now ?? t0), value: baseline.peakCmH2O });
  }
  for (const l of j.lines) {
    if (l.event !== 'readback') continue;
    const settings = l['settings'] as VentSettings;
    const t = Number(l['t']);
    s.setPeep.push({ tMin: min(t), value: settings.peepCmH2O });
    s.setPeak.push({ tMin: min(t), value: settings.peakCmH2O });
  }
  const end = j.inputs[j.inputs.length - 1]?.now;
  if (end !== undefined && s.setPeep.length) {
    s.setPeep.push({ tMin: min(end), value: s.setPeep[s.setPeep.length - 1]!.value });
    s.setPeak.push({ tMin: min(end), value: s.setPeak[s.setPeak.length - 1]!.value });
  }
  return s;
}

function shading(steps: readonly StepRecord[], t0: number): ChartShade[] {
  return steps
    .filter((st) => st.endedAt > st.startedAt)
    .map((st) => ({
      fromMin: (st.startedAt - t0) / 60_000,
      toMin: (st.endedAt - t0) / 60_000,
      label: st.phase === 'incremental' || st.phase === 'decremental' || st.phase === 're-recruit' ? String(st.settings.peepCmH2O) : st.phase,
      color: PHASE_COLOURS[st.phase] ?? '#eeeeee',
    }));
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1000px;color:#111;line-height:1.4}
h1{font-size:1.5em;margin:0 0 4px} h2{font-size:1.15em;margin:28px 0 8px;border-bottom:1px solid #ccc}
.meta{color:#444;font-size:.95em}
.banner{padding:14px 18px;border-radius:6px;font-size:1.2em;font-weight:600;margin:16px 0;border:2px solid}
.completed{background:#e8f6e8;border-color:#2e7d32;color:#1b5e20}
.aborted{background:#fff4e0;border-color:#e65100;color:#8a3b00}
.failsafe{background:#fde8e8;border-color:#b71c1c;color:#7f0000}
.other{background:#f0f0f0;border-color:#777}
pre{background:#f7f7f7;padding:10px;overflow-x:auto;font-size:.85em}
table{border-collapse:collapse;font-size:.9em} td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.warn{color:#8a3b00}
`;

const ICON: Record<string, string> = { completed: 'OK', aborted: 'STOPPED', failsafe: 'ALARM', 'not-started': 'NOT STARTED', cancelled: 'CANCELLED', running: 'INCOMPLETE' };

/** Renders the report of the last session in a journal. */
export function renderReport(j: ParsedJournal): string {
  const summary = (j.outcome?.summary ?? null) as SessionSummary | null;
  const t0 = summary?.startedAt ?? j.inputs[0]?.now ?? 0;
  const s = extract(j, t0);
  const safety = j.protocol.safety;
  const baseVitals = summary?.steps[0];
  const mapThresholds = [{ value: safety.mapFloorMmHg, label: `MAP floor ${safety.mapFloorMmHg}`, color: '#b71c1c' }];
  if (baseVitals?.mapMmHg) {
    const v = Math.round(baseVitals.mapMmHg * (1 - safety.mapFallMaxPct / 100));
    mapThresholds.push({ value: v, label: `-${safety.mapFallMaxPct}% of baseline (${v})`, color: '#e65100' });
  }
  const spo2Thresholds = [{ value: safety.spo2FloorPct, label: `SpO2 floor ${safety.spo2FloorPct}`, color: '#b71c1c' }];
  if (baseVitals?.spo2Pct) spo2Thresholds.push({ value: baseVitals.spo2Pct - safety.spo2FallMaxPts, label: `baseline -${safety.spo2FallMaxPts}`, color: '#e65100' });
  const chart = renderSvgChart({
    title: 'Maneuver timeline (shaded: steps; dashed: abort limits)',
    xLabel: 'time from start (min)',
    shading: summary ? shading(summary.steps, t0) : [],
    panels: [
      {
        yLabel: 'Airway pressure',
        yUnit: 'cmH2O',
        series: [
          { label: 'set PEEP', points: s.setPeep, step: true, color: '#1f77b4' },
          { label: 'set peak', points: s.setPeak, step: true, color: '#9467bd', dashed: true },
          { label: 'measured peak', points: s.peak, color: '#d62728' },
          { label: 'measured PEEP', points: s.peep, color: '#17becf' },
        ],
        thresholds: [{ value: j.protocol.peakLimitCmH2O + safety.peakToleranceCmH2O, label: `peak limit ${j.protocol.peakLimitCmH2O}+${safety.peakToleranceCmH2O}`, color: '#b71c1c' }],
      },
      { yLabel: 'SpO2', yUnit: '%', series: [{ label: 'SpO2', points: s.spo2, color: '#2ca02c' }], thresholds: spo2Thresholds },
      {
        yLabel: 'Blood pressure',
        yUnit: 'mmHg',
        series: [
          { label: 'MAP', points: s.map, color: '#d62728' },
          { label: 'SBP', points: s.sbp, color: '#ff7f0e', dashed: true },
        ],
        thresholds: [...mapThresholds, { value: safety.sbpFloorMmHg, label: `SBP floor ${safety.sbpFloorMmHg}`, color: '#7f0000' }],
      },
      { yLabel: 'Compliance', yUnit: 'mL/cmH2O', series: [{ label: 'Crs', points: s.compliance, color: '#8c564b' }] },
    ],
  });
  const outcome = summary?.outcome ?? 'running';
  const header = j.header as Record<string, unknown>;
  const patient = header['patient'] as { name?: string } | undefined;
  const cls = outcome === 'completed' || outcome === 'aborted' || outcome === 'failsafe' ? outcome : 'other';
  const events = j.lines
    .filter((l) => ['state', 'command', 'readback', 'guard', 'operator', 'fault', 'alarm', 'apply-error'].includes(l.event))
    .filter((l) => l.event !== 'state' || !String(l['state']).endsWith('dwelling'))
    .map((l) => `${clockTime(Number(l['t'] ?? t0) - t0)}  ${l.event.padEnd(11)} ${describeLine(l)}`);
  const warnings = (summary?.preconditionIssues ?? []).map((i) => `<li class="warn">${escapeXml(`${i.severity}: ${i.message}`)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rm-sequencer report: ${escapeXml(j.protocol.maneuver)}</title><style>${STYLE}</style></head>
<body>
${integrityBanner(j)}
<h1>Recruitment maneuver report: ${escapeXml(j.protocol.maneuver)}</h1>
<div class="meta">Patient: ${escapeXml(patient?.name ?? 'unknown')} · seed ${escapeXml(String(header['seed'] ?? '-'))} · device: ${escapeXml(String(header['device'] ?? '-'))} · clock: ${escapeXml(String(header['clock'] ?? '-'))} · journal started ${escapeXml(String(header['time'] ?? ''))}</div>
<div class="banner ${cls}">[${ICON[outcome] ?? outcome}] ${escapeXml(summary ? outcomeLine(summary) : 'The journal has no outcome: the session did not finish (use rmseq recover).')}</div>
${warnings ? `<ul>${warnings}</ul>` : ''}
<p>Vitals baseline: ${escapeXml(summary?.baselineVitals ? describeBaselineVitals(summary.baselineVitals) : 'not captured (the maneuver did not start)')}</p>
<p>Baseline settings: ${escapeXml(j.baseline ? describeSettings(j.baseline) : 'unknown')}${summary?.verifiedSettings ? ` · settings verified at the end: ${escapeXml(describeSettings(summary.verifiedSettings))}` : ''}${summary?.response ? ` · response: ${escapeXml(summary.response.detail)}` : ''}</p>
${chart}
<h2>Steps</h2>
<pre>${escapeXml(summary ? stepTable(summary.steps, summary.startedAt, (summary.patient ?? null)?.pbwKg ?? null) : 'no steps recorded')}</pre>
${summary && titrationLines(summary).length ? `<h2>Titration and lung-protective limits</h2>\n<pre class="titration">${escapeXml(titrationLines(summary).join('\n'))}</pre>` : ''}
<h2>Events</h2>
<pre>${escapeXml(events.join('\n'))}</pre>
<h2>Protocol</h2>
<pre>${escapeXml(JSON.stringify(j.protocol, null, 2))}</pre>
</body></html>
`;
}

function describeLine(l: Record<string, unknown>): string {
  switch (l['event']) {
    case 'state':
      return `${String(l['state'])}${l['step'] ? ` (${String(l['step'])})` : ''}`;
    case 'command': {
      const c = l['command'] as { seq: number; label: string; purpose: string; settings: VentSettings };
      return `#${c.seq} ${c.purpose}: ${describeSettings(c.settings)} (${c.label})`;
    }
    case 'readback':
      return `#${String(l['seq'])} ${l['matches'] ? 'verified' : 'MISMATCH'}: ${describeSettings(l['settings'] as VentSettings)}`;
    case 'guard': {
      const a = l['abort'] as { reason: string; guard: string; message: string };
      return `${a.reason} (${a.guard}): ${a.message}`;
    }
    case 'operator':
      return `${String(l['action'])}${l['note'] ? `: ${String(l['note'])}` : ''}`;
    default:
      return `${String(l['code'] ?? l['priority'] ?? '')} ${String(l['message'] ?? '')}`;
  }
}

/** A journal whose chain is broken is still rendered, under a banner nobody can miss. */
function integrityBanner(j: ParsedJournal): string {
  if (!j.integrity.problem) return '';
  return `<div role="alert" class="tamper" style="border:4px solid #b00;background:#fee;color:#600;padding:12px;margin:0 0 16px;font-size:1.2em;font-weight:bold">WARNING: THIS JOURNAL CANNOT BE TRUSTED. ${escapeXml(j.integrity.problem)}. What follows may have been altered; do not base clinical decisions on it.</div>`;
}
