/** Human-readable renderings of a session: the step table and the outcome summary. */
import { screenRecommendation, type StepRecord, type VentSettings } from '../../machines/index.js';
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

/** The per-step response table, as aligned text (FiO2 and plateau per step; Vt per kg PBW when the PBW is known). */
export function stepTable(steps: readonly StepRecord[], startedAt: number | null, pbwKg: number | null = null): string {
  const header = ['#', 'phase', 'settings (cmH2O)', 'FiO2', 'start', 'dwell', 'SpO2 %', 'MAP', 'HR', 'Crs mL/cmH2O', 'Ppeak', 'Pplat', 'Vt mL/kg'];
  const rows = steps.map((s, i) => [
    String(i),
    s.aborted ? `${s.phase} (ABORTED)` : s.phase,
    describeSettings(s.settings),
    s.settings.fio2.toFixed(2),
    clockTime(s.startedAt - (startedAt ?? s.startedAt)),
    clockTime(s.endedAt - s.startedAt),
    fmt(s.spo2Pct, 1),
    fmt(s.mapMmHg),
    fmt(s.hrBpm),
    fmt(s.complianceMlPerCmH2O, 1),
    fmt(s.peakCmH2O, 1),
    fmt(s.plateauCmH2O ?? null, 1),
    s.tidalVolumeMl != null && pbwKg !== null ? (s.tidalVolumeMl / pbwKg).toFixed(1) : '-',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * The FiO2 a completed maneuver ended on (protocol finalFio2), when it is not simply the
 * baseline's without pre-oxygenation: the message, why, and the wean steps with their SpO2.
 */
export function finalFio2Lines(s: SessionSummary): string[] {
  const f = s.finalFio2;
  if (!f || f.policy === 'not-preoxygenated') return [];
  const head = f.message ?? `FiO2 ended at ${f.fio2} (baseline ${f.baselineFio2})`;
  const out = [`final FiO2: ${head}; ${f.detail ?? ''}${f.spo2Pct !== null ? ` (SpO2 ${f.spo2Pct}% on FiO2 ${f.fio2})` : ''}`];
  if (f.steps.length) {
    const steps = f.steps.map((w) => (w.stepBack ? `back to ${w.fio2}` : `${w.fio2} (SpO2 ${w.spo2Pct ?? '?'}%, ${Math.round(w.holdMs / 1000)} s)`));
    out.push(`  wean from FiO2 ${f.fromFio2}: ${steps.join(' -> ')}`);
  }
  return out;
}

const fio2Note = (s: SessionSummary): string => (s.finalFio2?.message ? `; ${s.finalFio2.message}` : '');

/** One line that says how the session ended. */
export function outcomeLine(s: SessionSummary): string {
  switch (s.outcome) {
    case 'completed':
      if (s.maneuver === 'recruitability-screen') {
        const r = s.screen ?? null;
        return `COMPLETED: ${r ? `${r.ratio === null ? 'R/I not assessable' : `R/I ${r.ratio}`}: ${screenRecommendation(r)}` : 'R/I not computed'}; back on baseline settings (verified)${fio2Note(s)}`;
      }
      if (s.maneuver === 'staircase' || (s.titration?.methods?.length ?? 0) > 0) {
        // Journals written before issue 15 carry no titration summary.
        const t = s.titration as SessionSummary['titration'] | undefined;
        const seen = t?.derecruitmentSeen === true || s.derecruitmentPeepCmH2O !== null;
        const by = t?.decidedBy ? `${t.decidedBy} method, ` : '';
        const why = seen ? `${by}derecruitment at PEEP ${s.derecruitmentPeepCmH2O ?? '?'}` : `${by}no derecruitment seen down to the floor`;
        return `COMPLETED: titrated PEEP ${s.finalPeepCmH2O} cmH2O (${why}); settings verified${fio2Note(s)}`;
      }
      if (s.verifiedSettings && s.verifiedSettings.peepCmH2O !== s.baseline.peepCmH2O) {
        return `COMPLETED: post-RM PEEP ${s.verifiedSettings.peepCmH2O} cmH2O (verified)${fio2Note(s)}; ${s.response?.detail ?? ''}`;
      }
      if (s.finalFio2?.message) return `COMPLETED: back on baseline PEEP ${s.verifiedSettings?.peepCmH2O ?? s.baseline.peepCmH2O} (verified)${fio2Note(s)}; ${s.response?.detail ?? ''}`;
      return `COMPLETED: back on baseline settings (verified); ${s.response?.detail ?? ''}`;
    case 'aborted':
      return `ABORTED (${s.abort?.reason}): ${s.abort?.message}; baseline ${describeSettings(s.baseline)} restored and verified${s.restoreSettings && s.restoreSettings.fio2 !== s.baseline.fio2 ? `, FiO2 kept at ${s.restoreSettings.fio2} after pre-oxygenation (baseline ${s.baseline.fio2}: wean by SpO2)` : ''}`;
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

/**
 * The titration in words: the FiO2 step, each method's PEEP with what it rests on (the deciding
 * one marked), disagreement, the fallback, and the lung-protective limits at the final step.
 */
export function titrationLines(s: SessionSummary): string[] {
  const t = s.titration as SessionSummary['titration'] | undefined;
  const out: string[] = [];
  if (!t) return out;
  if (s.patient) out.push(`patient: ${s.patient.sex}, ${s.patient.heightCm} cm, PBW ${s.patient.pbwKg} kg`);
  const po = s.preoxygenation;
  if (po) {
    out.push(
      `pre-oxygenation: FiO2 ${s.baseline.fio2} -> ${po.fio2} (${po.reason}); ${po.spo2Pct !== null ? `SpO2 settled at ${po.spo2Pct}%: the SpO2 limits measure from it` : 'SpO2 did not reach a settled value fit for the RM'}; at the end FiO2 per protocol (finalFio2), ${po.fio2} kept on abort`,
    );
  }
  if (t.fio2TitratedTo !== null) {
    out.push(`FiO2 step: ${s.baseline.fio2} -> ${t.fio2TitratedTo} before the decremental phase${t.spo2Blind ? ' (SpO2 still above the target at the lowest FiO2: SpO2 cannot see derecruitment)' : ''}; ${s.preoxygenation ? 'at the end FiO2 per protocol (finalFio2)' : `restored to ${s.baseline.fio2} in the final settings`}`);
  }
  out.push(...finalFio2Lines(s));
  if (t.methods.length) {
    out.push('PEEP methods (same decremental trial):');
    for (const m of t.methods) {
      out.push(`  ${m.method === t.decidedBy ? '*' : ' '} ${m.method.padEnd(16)} PEEP ${m.peepCmH2O ?? '-'}  ${m.sawDerecruitment ? 'derecruitment seen' : 'no derecruitment seen'}: ${m.detail}`);
    }
    if (t.decisionNote) out.push(`  decided by: ${t.decisionNote}`);
    if (t.methodsDisagree) out.push('  NOTE: the methods disagree by more than one decremental step');
  }
  if (t.fallback) out.push(`fallback: desaturation at PEEP ${t.fallback.atPeepCmH2O} (SpO2 ${t.fallback.spo2Pct ?? '?'}%): re-recruited and set the last PEEP that held`);
  if (t.limitsNote) out.push(`lung-protective limits: ${t.limitsNote}`);
  const m = t.limitsMeasured;
  if (m) {
    const v = (x: number | null): string => (x === null ? '-' : String(x));
    out.push(
      `final step: plateau ${v(m.plateauCmH2O)} (limit ${m.limits.plateauMaxCmH2O}), driving pressure ${v(m.drivingPressureCmH2O)} (limit ${m.limits.drivingPressureMaxCmH2O}) cmH2O, Vt ${v(m.tidalVolumeMlPerKg)} mL/kg PBW (limit ${m.limits.tidalVolumeMaxMlPerKg}): ${m.within ? 'within the limits' : `BEYOND: ${m.exceeded.join(', ')}`}`,
    );
  }
  return out;
}

/** The recruitability screen's values (R/I, Chen 2020), for the run table and the report. */
export function screenLines(s: Pick<SessionSummary, 'screen'>): string[] {
  const r = s.screen;
  if (!r) return [];
  const v = (x: number | null, unit = ''): string => (x === null ? '-' : `${x}${unit}`);
  const rd = r.readings;
  return [
    `recruitability (R/I, Chen 2020): ${r.ratio === null ? 'not assessable' : r.ratio} (threshold ${r.thresholdRatio}): ${r.recruitability.toUpperCase()}`,
    `  release PEEP ${rd.highPeepCmH2O} -> ${rd.lowPeepCmH2O}: VTe ${Number.isFinite(rd.releaseExpiredVolumeMl) ? rd.releaseExpiredVolumeMl : '-'} mL, Vt ${Number.isFinite(rd.tidalVolumeMl) ? rd.tidalVolumeMl : '-'} mL, plateau at low PEEP ${Number.isFinite(rd.lowPlateauCmH2O) ? rd.lowPlateauCmH2O : '-'} cmH2O${rd.airwayOpeningPressureCmH2O !== null ? `, AOP ${rd.airwayOpeningPressureCmH2O} cmH2O` : ''}`,
    `  Vrel ${v(r.releasedVolumeMl, ' mL')}, Crs,low ${v(r.lowComplianceMlPerCmH2O, ' mL/cmH2O')}, Vrec ${v(r.recruitedVolumeMl, ' mL')}, Crec ${v(r.recruitedComplianceMlPerCmH2O, ' mL/cmH2O')}`,
    `  ${r.detail}`,
  ];
}

export function formatSummary(s: SessionSummary): string {
  const parts = [outcomeLine(s)];
  const warnings = s.preconditionIssues.filter((i) => i.severity === 'warn');
  for (const w of warnings) parts.push(`warning: ${w.message}`);
  if (s.steps.length > 1) parts.push('', stepTable(s.steps, s.startedAt, (s.patient ?? null)?.pbwKg ?? null));
  const sc = screenLines(s);
  if (sc.length) parts.push('', ...sc);
  const t = s.maneuver === 'recruitability-screen' ? finalFio2Lines(s) : titrationLines(s);
  if (t.length) parts.push('', ...t);
  if (s.response && s.outcome === 'completed' && s.maneuver !== 'recruitability-screen') parts.push('', `response: ${s.response.detail}`);
  return parts.join('\n');
}
