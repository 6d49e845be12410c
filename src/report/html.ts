/**
 * The maneuver report: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * external resources) built from a journal: outcome, PEEP/pressure, SpO2, MAP and compliance
 * over time with the guard limits, the per-step table and the event timeline.
 */
import type { StepRecord, VentSettings } from '../../machines/index.js';
import type { ParsedJournal } from '../journal/read.js';
import type { SessionSummary } from '../runner/telemetry.js';
import { clockTime, describeBaselineVitals, describeSettings, outcomeLine, screenLines, stepTable, titrationLines } from '../cli/format.js';
import { escapeXml, renderSvgChart, type ChartMarker, type ChartPoint, type ChartShade } from './svgChart.js';

import { stepsThatRan } from './steps.js';
import { afterManeuverSections } from './after.js';

interface Series {
  spo2: ChartPoint[];
  map: ChartPoint[];
  sbp: ChartPoint[];
  hr: ChartPoint[];
  peak: ChartPoint[];
  peep: ChartPoint[];
  compliance: ChartPoint[];
  setPeep: ChartPoint[];
  /** The set peak pressure in pressure modes (PCV); a gap in volume control. */
  setPeak: ChartPoint[];
  /** In volume control the "peak" setting is the pressure limit, not a target: its own line. */
  setLimit: ChartPoint[];
}

const PHASE_COLOURS: Record<string, string> = {
  incremental: '#fde2c4',
  decremental: '#d7e8fb',
  're-recruit': '#fde2c4',
  inflation: '#fde2c4',
  'high-pressure': '#fde2c4',
  final: '#d9f2d9',
  assessment: '#d9f2d9',
  preoxygenation: '#e8e0f7',
  fio2: '#e8e0f7',
  wean: '#e8e0f7',
};

function extract(j: ParsedJournal, t0: number): Series {
  const s: Series = { spo2: [], map: [], sbp: [], hr: [], peak: [], peep: [], compliance: [], setPeep: [], setPeak: [], setLimit: [] };
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
  // Settings as step lines: PEEP always; the peak setting on the "set peak" line in pressure
  // modes and on the "VC pressure limit" line in volume control, each with a gap where the
  // other applies.
  const settings: { t: number; s: VentSettings }[] = [];
  if (j.baseline) settings.push({ t: j.inputs[0]?.now ?? t0, s: j.baseline });
  for (const l of j.lines) if (l.event === 'readback') settings.push({ t: Number(l['t']), s: l['settings'] as VentSettings });
  let prev: VentSettings | null = null;
  for (const { t, s: set } of settings) {
    const tMin = min(t);
    if (prev && (prev.mode === 'VC') !== (set.mode === 'VC')) {
      // Close the line that ends here (a step line ends at the change), then a gap.
      const ending = prev.mode === 'VC' ? s.setLimit : s.setPeak;
      ending.push({ tMin, value: prev.peakCmH2O }, { tMin, value: null });
    }
    s.setPeep.push({ tMin, value: set.peepCmH2O });
    if (set.mode === 'CPAP') {
      if (prev && prev.mode !== 'CPAP') (prev.mode === 'VC' ? s.setLimit : s.setPeak).push({ tMin, value: prev.peakCmH2O }, { tMin, value: null });
    } else (set.mode === 'VC' ? s.setLimit : s.setPeak).push({ tMin, value: set.peakCmH2O });
    prev = set;
  }
  const end = j.inputs[j.inputs.length - 1]?.now;
  if (end !== undefined && prev) {
    s.setPeep.push({ tMin: min(end), value: prev.peepCmH2O });
    if (prev.mode !== 'CPAP') (prev.mode === 'VC' ? s.setLimit : s.setPeak).push({ tMin: min(end), value: prev.peakCmH2O });
  }
  return s;
}

/** Every abort of the session (a repeat can abort too), as a marker on the plots. */
function abortMarkers(j: ParsedJournal, t0: number): ChartMarker[] {
  return j.lines
    .filter((l) => l.event === 'guard')
    .map((l) => {
      const a = l['abort'] as { reason: string };
      return { atMin: (Number(l['t']) - t0) / 60_000, label: `ABORT: ${a.reason}` };
    });
}

function shading(steps: readonly StepRecord[], t0: number): ChartShade[] {
  return stepsThatRan(steps)
    .ran.filter((st) => st.endedAt > st.startedAt)
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
.warn{color:#8a3b00} .ok{color:#1b5e20}
.index td,.index th{vertical-align:top} hr{margin:40px 0;border:0;border-top:3px double #999}
`;

const ICON: Record<string, string> = { completed: 'OK', aborted: 'STOPPED', failsafe: 'ALARM', 'not-started': 'NOT STARTED', cancelled: 'CANCELLED', running: 'INCOMPLETE' };

/** Renders the report of one session (the last of a journal, as `readJournal` gives it). */
export function renderReport(j: ParsedJournal): string {
  return page(`rm-sequencer report: ${j.protocol.maneuver}`, j, sessionSection(j, null));
}

export interface JournalReportOptions {
  /** Only this session (1 = the oldest); every session, under an index, when absent. */
  session?: number;
}

/**
 * The report of a journal with one or more sessions (a console writes one per maneuver):
 * an index of every session at the top, then each session; or the one session asked for,
 * saying which of how many it is. Nothing in the journal is left out without saying so.
 */
export function renderJournalReport(sessions: readonly ParsedJournal[], options: JournalReportOptions = {}): string {
  if (!sessions.length) throw new RangeError('renderJournalReport needs at least one session');
  const total = sessions.length;
  if (options.session !== undefined) {
    const n = options.session;
    if (!Number.isInteger(n) || n < 1 || n > total) throw new RangeError(`session ${n} is not in this journal: it holds ${total} session${total === 1 ? '' : 's'} (1-${total})`);
    const j = sessions[n - 1]!;
    const note = total > 1 ? `<p class="meta" id="session-choice">Session ${n} of ${total} in this journal (the others: rmseq report --session 1-${total}, or without --session for all).</p>` : '';
    return page(`rm-sequencer report: session ${n} of ${total}, ${j.protocol.maneuver}`, j, note + sessionSection(j, { n, total }));
  }
  if (total === 1) return renderReport(sessions[0]!);
  const rows = sessions
    .map((j, i) => {
      const summary = (j.outcome?.summary ?? null) as SessionSummary | null;
      const outcome = summary?.outcome ?? 'running';
      return `<tr><td><a href="#session-${i + 1}">${i + 1}</a></td><td>${escapeXml(j.protocol.maneuver)}</td><td>${escapeXml(String(j.header['time'] ?? ''))}</td><td class="${outcome === 'completed' ? 'ok' : 'warn'}">${escapeXml(summary ? outcomeLine(summary) : 'did not finish (use rmseq recover)')}</td></tr>`;
    })
    .join('\n');
  const index = `<nav id="sessions" aria-label="Sessions in this journal"><h1>Journal report: ${total} sessions</h1>
<p class="meta">This journal holds ${total} sessions; each is reported below, oldest first. One alone: rmseq report --session N.</p>
<table class="index"><thead><tr><th>#</th><th>maneuver</th><th>started</th><th>outcome</th></tr></thead><tbody>
${rows}
</tbody></table></nav>`;
  const body = sessions.map((j, i) => `<section class="session" id="session-${i + 1}">${sessionSection(j, { n: i + 1, total })}</section>`).join('\n<hr>\n');
  return page(`rm-sequencer report: ${total} sessions`, sessions[sessions.length - 1]!, `${index}\n${body}`);
}

function page(title: string, j: ParsedJournal, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title><style>${STYLE}</style></head>
<body>
${integrityBanner(j)}
${body}
</body></html>
`;
}

function sessionSection(j: ParsedJournal, of: { n: number; total: number } | null): string {
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
    markers: abortMarkers(j, t0),
    panels: [
      {
        yLabel: 'Airway pressure',
        yUnit: 'cmH2O',
        series: [
          { label: 'set PEEP', points: s.setPeep, step: true, color: '#1f77b4' },
          { label: 'set peak', points: s.setPeak, step: true, color: '#9467bd', dashed: true },
          ...(s.setLimit.some((p) => p.value !== null) ? [{ label: 'VC pressure limit', points: s.setLimit, step: true, color: '#7f7f7f', dashed: true }] : []),
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
  const { ran, notStarted } = stepsThatRan(summary?.steps ?? []);
  const outcome = summary?.outcome ?? 'running';
  const header = j.header as Record<string, unknown>;
  const patient = header['patient'] as { name?: string } | undefined;
  const cls = outcome === 'completed' || outcome === 'aborted' || outcome === 'failsafe' ? outcome : 'other';
  const events = j.lines
    .filter((l) => ['state', 'command', 'readback', 'guard', 'operator', 'fault', 'alarm', 'apply-error'].includes(l.event))
    .filter((l) => l.event !== 'state' || !String(l['state']).endsWith('dwelling'))
    .map((l) => `${clockTime(Number(l['t'] ?? t0) - t0)}  ${l.event.padEnd(11)} ${describeLine(l)}`);
  const warnings = (summary?.preconditionIssues ?? []).map((i) => `<li class="warn">${escapeXml(`${i.severity}: ${i.message}`)}</li>`).join('');
  return `<h1>${of && of.total > 1 ? `Session ${of.n} of ${of.total}: ` : ''}Recruitment maneuver report: ${escapeXml(j.protocol.maneuver)}</h1>
<div class="meta">Patient: ${escapeXml(patient?.name ?? 'unknown')} · seed ${escapeXml(String(header['seed'] ?? '-'))} · device: ${escapeXml(String(header['device'] ?? '-'))} · clock: ${escapeXml(String(header['clock'] ?? '-'))} · session started ${escapeXml(String(header['time'] ?? ''))}</div>
<div class="banner ${cls}">[${ICON[outcome] ?? outcome}] ${escapeXml(summary ? outcomeLine(summary) : 'The journal has no outcome: the session did not finish (use rmseq recover).')}</div>
${warnings ? `<ul>${warnings}</ul>` : ''}
<p>Vitals baseline: ${escapeXml(summary?.baselineVitals ? describeBaselineVitals(summary.baselineVitals) : 'not captured (the maneuver did not start)')}</p>
<p>Baseline settings: ${escapeXml(j.baseline ? describeSettings(j.baseline) : 'unknown')}${summary?.verifiedSettings ? ` · settings verified at the end: ${escapeXml(describeSettings(summary.verifiedSettings))}` : ''}${summary?.response ? ` · response: ${escapeXml(summary.response.detail)}` : ''}</p>
${chart}
<h2>Steps</h2>
<pre>${escapeXml(summary ? stepTable(ran, summary.startedAt, (summary.patient ?? null)?.pbwKg ?? null) : 'no steps recorded')}</pre>
${notStarted ? `<p class="warn">Not run: ${escapeXml(notStarted.label)} (aborted before its settings were in place)</p>` : ''}
${summary && screenLines(summary).length ? `<h2>Recruitability (R/I, Chen 2020)</h2>\n<pre class="screen">${escapeXml(screenLines(summary).join('\n'))}</pre>` : ''}
${summary && summary.maneuver !== 'recruitability-screen' && titrationLines(summary).length ? `<h2>Titration and lung-protective limits</h2>\n<pre class="titration">${escapeXml(titrationLines(summary).join('\n'))}</pre>` : ''}
${afterManeuverSections(j)}
<h2>Events</h2>
<pre>${escapeXml(events.join('\n'))}</pre>
<h2>Protocol</h2>
<pre>${escapeXml(JSON.stringify(j.protocol, null, 2))}</pre>
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
