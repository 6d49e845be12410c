/** Human-readable renderings of a session: the step table and the outcome summary. */
import type { StepRecord, VentSettings } from '../../machines/index.js';
import { describeBaselineVitals, type SessionSummary } from '../runner/telemetry.js';

export { describeBaselineVitals };

export function clockTime(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function describeSettings(s: VentSettings): string {
  if (s.mode === 'CPAP') return `CPAP ${s.peepCmH2O}`;
  if (s.mode === 'VC') return `VC PEEP ${s.peepCmH2O}, Vt ${s.tidalVolumeMl ?? '?'} mL`;
  return `PCV PEEP ${s.peepCmH2O}/peak ${s.peakCmH2O}`;
}

const fmt = (v: number | null, digits = 0): string => (v === null ? '-' : v.toFixed(digits));

/** The per-step response table, as aligned text. */
export function stepTable(steps: readonly StepRecord[], startedAt: number | null): string {
  const header = ['#', 'phase', 'settings (cmH2O)', 'start', 'dwell', 'SpO2 %', 'MAP', 'HR', 'Crs mL/cmH2O', 'Ppeak'];
  const rows = steps.map((s, i) => [
    String(i),
    s.aborted ? `${s.phase} (ABORTED)` : s.phase,
    describeSettings(s.settings),
    clockTime(s.startedAt - (startedAt ?? s.startedAt)),
    clockTime(s.endedAt - s.startedAt),
    fmt(s.spo2Pct, 1),
    fmt(s.mapMmHg),
    fmt(s.hrBpm),
    fmt(s.complianceMlPerCmH2O, 1),
    fmt(s.peakCmH2O, 1),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One line that says how the session ended. */
export function outcomeLine(s: SessionSummary): string {
  switch (s.outcome) {
    case 'completed':
      if (s.maneuver === 'staircase') {
        const why = s.derecruitmentPeepCmH2O !== null ? `derecruitment at PEEP ${s.derecruitmentPeepCmH2O}` : 'no derecruitment seen down to the floor';
        return `COMPLETED: titrated PEEP ${s.finalPeepCmH2O} cmH2O (${why}); settings verified`;
      }
      return `COMPLETED: back on baseline settings (verified); ${s.response?.detail ?? ''}`;
    case 'aborted':
      return `ABORTED (${s.abort?.reason}): ${s.abort?.message}; baseline ${describeSettings(s.baseline)} restored and verified`;
    case 'failsafe':
      if (s.baselineVerified) return `FAILSAFE resolved: baseline ${describeSettings(s.baseline)} verified by a later retry, after ${s.restoreFailures.length} failed attempts. Check the patient and the ventilator.`;
      return `FAILSAFE: baseline NOT verified after ${s.restoreFailures.length} attempts (${s.restoreFailures.join('; ')}). CHECK THE VENTILATOR.`;
    case 'not-started':
      return `NOT STARTED: ${s.preconditionIssues.filter((i) => i.severity === 'block').map((i) => i.message).join('; ') || 'preconditions not met'}; nothing was changed`;
    case 'cancelled':
      return 'CANCELLED before the start; nothing was changed';
    case 'running':
      return `STOPPED while ${s.state}`;
  }
}

export function formatSummary(s: SessionSummary): string {
  const parts = [outcomeLine(s)];
  const warnings = s.preconditionIssues.filter((i) => i.severity === 'warn');
  for (const w of warnings) parts.push(`warning: ${w.message}`);
  if (s.steps.length > 1) parts.push('', stepTable(s.steps, s.startedAt));
  if (s.response && s.outcome === 'completed') parts.push('', `response: ${s.response.detail}`);
  return parts.join('\n');
}
