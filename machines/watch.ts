/**
 * The post-maneuver watch: after a completed maneuver, monitoring goes on at the titrated
 * settings. A pure reducer with time as data (`SAMPLE`/`TICK`/`END` in, findings out): a
 * sustained SpO2 fall, a sustained compliance fall or a loss of PEEP (disconnection, open
 * suction) raise an advisory with its evidence; a guard that would abort a maneuver raises an
 * alarm. It has no command output: nothing here can change a ventilator setting.
 * Thresholds and their sources: docs/watch.md.
 */
import { z } from 'zod';
import { bounded } from '../common/validation.js';
import type { SafetyConfig } from './config/safety.js';
import { emptyLatest, updateLatest } from './context.js';
import { evaluateClock, evaluateSample, judgeSample, NO_CONDITIONS, type AlarmPriority, type Conditions } from './safety/rules.js';
import { median } from './safety/sample.js';
import type { Watched } from './safety/guards.js';
import type { AbortReason, BaselineVitals, CheckedSample, LatestValues, VentSettings } from './types.js';

/**
 * The watch's thresholds (all configurable, bounded).
 *
 * @example
 * WatchConfigSchema.parse({ durationMin: 60 }); // the rest at their defaults
 */
export const WatchConfigSchema = z
  .object({
    /** How long the watch lasts after the maneuver (0: no watch). */
    durationMin: bounded(0, 240, 'min').default(30),
    /** Rolling window whose median is the current value (monitor noise and single artifacts do not count). */
    windowS: bounded(10, 600, 's').default(60),
    /** SpO2 fall from the best window median that suggests derecruitment (PHARLAP: 2 points). */
    spo2FallPts: bounded(1, 10, 'points').default(2),
    /** ... and for how long it must hold. */
    spo2SustainS: bounded(0, 1800, 's').default(120),
    /** Compliance fall from the best window median, in percent of it. */
    complianceFallPct: bounded(2, 50, '%').default(10),
    complianceSustainS: bounded(0, 1800, 's').default(120),
    /** PEEP is lost when the measured PEEP is this far below the set PEEP ... */
    peepLossCmH2O: bounded(1, 20, 'cmH2O').default(5),
    /** ... on every ventilator sample for at least this long. */
    peepLossMinS: bounded(0, 60, 's').default(5),
  })
  .strict();
export type WatchConfig = z.output<typeof WatchConfigSchema>;
export const DEFAULT_WATCH_CONFIG: WatchConfig = WatchConfigSchema.parse({});

export interface WatchInput {
  config: WatchConfig;
  startedAt: number;
  /** The settings the maneuver left and verified (the titrated PEEP). */
  settings: VentSettings;
  /** The vitals baseline of the maneuver (the guards' reference); null: only absolute limits apply. */
  baseline: BaselineVitals | null;
  safety: SafetyConfig;
  peakLimitCmH2O: number;
  /** Values measured at the end of the maneuver (the final step): the first reference. */
  reference?: { spo2Pct: number | null; complianceMlPerCmH2O: number | null };
}

export type WatchCause = 'spo2-fall' | 'compliance-fall' | 'peep-lost';

export interface WatchAdvisory {
  kind: 'advisory';
  cause: WatchCause;
  at: number;
  message: string;
  /** The numbers behind it: reference and current values, since when, how long. */
  evidence: Record<string, number | null>;
}
export interface WatchAlarm {
  kind: 'alarm';
  guard: string;
  reason: AbortReason;
  priority: AlarmPriority;
  at: number;
  message: string;
}
export type WatchFinding = WatchAdvisory | WatchAlarm;

export type WatchEvent = { type: 'SAMPLE'; now: number; sample: CheckedSample } | { type: 'TICK'; now: number } | { type: 'END'; now: number; by: string };

interface Trend {
  points: readonly { t: number; v: number }[];
  best: { value: number; at: number } | null;
  current: number | null;
  fallSince: number | null;
  raised: boolean;
}
export interface PeepLoss {
  from: number;
  to: number | null;
  lowestCmH2O: number;
}

export interface WatchState {
  input: WatchInput;
  endsAt: number;
  now: number;
  status: 'watching' | 'ended';
  endedAt: number | null;
  endedBy: string | null;
  spo2: Trend;
  compliance: Trend;
  peepLoss: PeepLoss | null;
  peepLossRaised: boolean;
  peepLosses: readonly PeepLoss[];
  conditions: Conditions;
  alarmed: readonly string[];
  stale: string | null;
  latest: LatestValues;
  findings: readonly WatchFinding[];
}

/** Above this SpO2 the dissociation curve is flat (clinical.md, Hodgson 2011). */
export const SPO2_BLIND_ABOVE_PCT = 97;
const ADVICE = 'derecruitment suspected: consider re-recruitment';
const WATCHED: Watched = { spo2: true, map: true, sbp: false, hr: false, peak: true, peep: true };

const trend = (ref: number | null | undefined, at: number): Trend => ({ points: [], best: ref == null ? null : { value: ref, at }, current: null, fallSince: null, raised: false });

/**
 * The watch at its start.
 *
 * @example
 * let s = startWatch({ config: DEFAULT_WATCH_CONFIG, startedAt: now, settings, baseline, safety, peakLimitCmH2O: 55 });
 * const r = stepWatch(s, { type: 'SAMPLE', now, sample }); s = r.state; r.findings.forEach(show);
 */
export function startWatch(input: WatchInput): WatchState {
  const config = WatchConfigSchema.parse(input.config);
  const t = input.startedAt;
  return {
    input: { ...input, config },
    endsAt: t + config.durationMin * 60_000,
    now: t,
    status: config.durationMin > 0 ? 'watching' : 'ended',
    endedAt: config.durationMin > 0 ? null : t,
    endedBy: config.durationMin > 0 ? null : 'disabled',
    spo2: trend(input.reference?.spo2Pct, t),
    compliance: trend(input.reference?.complianceMlPerCmH2O, t),
    peepLoss: null,
    peepLossRaised: false,
    peepLosses: [],
    conditions: NO_CONDITIONS,
    alarmed: [],
    stale: null,
    latest: emptyLatest(),
    findings: [],
  };
}

/** One event: the next state and the findings it raised (also appended to `state.findings`). */
export function stepWatch(s: WatchState, e: WatchEvent): { state: WatchState; findings: WatchFinding[] } {
  if (s.status === 'ended' || e.now < s.now) return { state: s, findings: [] };
  const out: WatchFinding[] = [];
  let n: WatchState = { ...s, now: e.now };
  if (e.type === 'END' || e.now >= s.endsAt) {
    return { state: { ...n, status: 'ended', endedAt: Math.min(e.now, s.endsAt), endedBy: e.type === 'END' ? e.by : 'time' }, findings: [] };
  }
  if (e.type === 'SAMPLE') n = onSample(n, e.sample, e.now, out);
  n = onClock(n, e.now, out);
  return { state: out.length ? { ...n, findings: [...n.findings, ...out] } : n, findings: out };
}

function onSample(s: WatchState, sample: CheckedSample, now: number, out: WatchFinding[]): WatchState {
  const { config, settings } = s.input;
  const n = { ...s, latest: updateLatest(s.latest, sample) };
  if (sample.peepCmH2O !== undefined) {
    const lost = sample.peepCmH2O < settings.peepCmH2O - config.peepLossCmH2O;
    if (lost) {
      const p = n.peepLoss ?? { from: now, to: null, lowestCmH2O: sample.peepCmH2O };
      n.peepLoss = { ...p, lowestCmH2O: Math.min(p.lowestCmH2O, sample.peepCmH2O) };
      if (!n.peepLossRaised && now - p.from >= config.peepLossMinS * 1000) {
        n.peepLossRaised = true;
        out.push(advisory('peep-lost', now, `PEEP lost since ${since(s, p.from)} (measured ${r1(n.peepLoss.lowestCmH2O)} cmH2O, set ${settings.peepCmH2O}): disconnection or suction? ${ADVICE}`, {
          setPeepCmH2O: settings.peepCmH2O, lowestPeepCmH2O: r1(n.peepLoss.lowestCmH2O), fromMs: p.from, heldS: r1((now - p.from) / 1000),
        }));
      }
    } else if (n.peepLoss) {
      if (n.peepLossRaised) n.peepLosses = [...n.peepLosses, { ...n.peepLoss, to: now }];
      n.peepLoss = null;
      n.peepLossRaised = false;
    }
  }
  // During a loss of PEEP the compliance shown is not that of the lung at the set PEEP.
  if (sample.complianceMlPerCmH2O !== undefined && !n.peepLoss) {
    n.compliance = follow(n.compliance, sample.complianceMlPerCmH2O, now, s, (best, cur) => (100 * (best - cur)) / best, config.complianceFallPct, config.complianceSustainS, (t, fall, held) =>
      advisory('compliance-fall', now, `compliance ${r1(t.current!)} mL/cmH2O, ${r1(fall)}% below the best ${r1(t.best!.value)} (${since(s, t.best!.at)}) for ${Math.round(held)} s: ${ADVICE}`, {
        bestMlPerCmH2O: r1(t.best!.value), bestAtMs: t.best!.at, currentMlPerCmH2O: r1(t.current!), fallPct: r1(fall), sinceMs: t.fallSince, heldS: Math.round(held),
      }), out);
  }
  if (sample.spo2Pct !== undefined) {
    n.spo2 = follow(n.spo2, sample.spo2Pct, now, s, (best, cur) => best - cur, config.spo2FallPts, config.spo2SustainS, (t, fall, held) =>
      advisory('spo2-fall', now, `SpO2 ${r1(t.current!)}%, ${r1(fall)} points below the best ${r1(t.best!.value)}% (${since(s, t.best!.at)}) for ${Math.round(held)} s: ${ADVICE}`, {
        bestPct: r1(t.best!.value), bestAtMs: t.best!.at, currentPct: r1(t.current!), fallPts: r1(fall), sinceMs: t.fallSince, heldS: Math.round(held),
      }), out);
  }
  return guards(n, sample, now, out);
}

/** Adds a value to a trend: window median, best median, and a fall sustained long enough. */
function follow(t: Trend, v: number, now: number, s: WatchState, fallOf: (best: number, cur: number) => number, limit: number, sustainS: number, raise: (t: Trend, fall: number, heldS: number) => WatchAdvisory, out: WatchFinding[]): Trend {
  const windowMs = s.input.config.windowS * 1000;
  const points = [...t.points.filter((p) => p.t > now - windowMs), { t: now, v }];
  // The window counts once it spans most of its length (not on the first samples of the watch).
  if (now - s.input.startedAt < windowMs || points.length < 3) return { ...t, points };
  const current = median(points.map((p) => p.v))!;
  const best = t.best === null || current > t.best.value ? { value: current, at: now } : t.best;
  const fall = fallOf(best.value, current);
  let { fallSince, raised } = t;
  if (fall >= limit) {
    fallSince ??= now;
    const held = (now - fallSince) / 1000;
    if (!raised && held >= sustainS) {
      raised = true;
      out.push(raise({ ...t, best, current, fallSince }, fall, held));
    }
  } else {
    fallSince = null;
    if (fall <= limit / 2) raised = false; // re-armed once clearly recovered
  }
  return { points, best, current, fallSince, raised };
}

/** The maneuver's guards, as alarms: once per condition, again only after it cleared. */
function guards(s: WatchState, sample: CheckedSample, now: number, out: WatchFinding[]): WatchState {
  const { baseline, safety, peakLimitCmH2O, settings } = s.input;
  const ref: BaselineVitals = baseline ?? { spo2Pct: Number.NaN, mapMmHg: Number.NaN, sbpMmHg: null, hrBpm: null, complianceMlPerCmH2O: null };
  const input = { sample, baseline: ref, safety, peakLimitCmH2O, delivering: settings };
  const v = judgeSample(input, s.conditions, now);
  const fired = v.abort ? [v.abort.guard, ...v.abort.also] : [];
  const alarmed = s.alarmed.filter((g) => v.conditions[g] !== undefined);
  const fresh = fired.filter((g) => !alarmed.includes(g));
  if (fresh.length) {
    const all = evaluateSample(input);
    for (const g of fresh) {
      const viol = all.find((x) => x.guard === g);
      if (!viol) continue;
      const message = g === v.abort?.guard ? v.abort.message : viol.message;
      out.push({ kind: 'alarm', guard: g, reason: viol.reason, priority: viol.priority, at: now, message: `${message} (post-maneuver watch, ${since(s, now)}; the controller changes nothing now)` });
    }
  }
  return { ...s, conditions: v.conditions, alarmed: [...alarmed, ...fresh] };
}

function onClock(s: WatchState, now: number, out: WatchFinding[]): WatchState {
  const { safety, startedAt } = s.input;
  // Grace at the start: every value has its stale limit to arrive.
  if (now - startedAt <= Math.max(safety.vitalsStaleS, safety.ventilatorStaleS) * 1000) return s;
  const v = evaluateClock(now, s.latest, safety, WATCHED);
  const key = v ? `${v.guard}:${v.message.replace(/[\d.]+ s/, '')}` : null;
  if (v && key !== s.stale) out.push({ kind: 'alarm', guard: v.guard, reason: v.reason, priority: v.priority, at: now, message: `${v.message} (post-maneuver watch, ${since(s, now)})` });
  return key === s.stale ? s : { ...s, stale: key };
}

const advisory = (cause: WatchCause, at: number, message: string, evidence: WatchAdvisory['evidence']): WatchAdvisory => ({ kind: 'advisory', cause, at, message, evidence });
const r1 = (x: number): number => Math.round(x * 10) / 10;

/** "+m:ss into the watch". */
function since(s: WatchState, t: number): string {
  const sec = Math.max(0, Math.round((t - s.input.startedAt) / 1000));
  return `+${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')} into the watch`;
}

/** What the watch found, for summaries, the journal, the report and the console. */
export interface WatchSummary {
  startedAt: number;
  plannedMs: number;
  endedAt: number | null;
  endedBy: string | null;
  watchedMs: number;
  setPeepCmH2O: number;
  derecruitmentSuspected: boolean;
  advisories: WatchAdvisory[];
  alarms: WatchAlarm[];
  best: { spo2Pct: number | null; complianceMlPerCmH2O: number | null };
  current: { spo2Pct: number | null; complianceMlPerCmH2O: number | null };
  peepLosses: PeepLoss[];
  /** SpO2 stayed above 97%: on the flat top of the dissociation curve a fall from derecruitment hardly shows (Hodgson 2011). */
  spo2Blind: boolean;
}

export function watchSummary(s: WatchState): WatchSummary {
  const advisories = s.findings.filter((f): f is WatchAdvisory => f.kind === 'advisory');
  const end = s.endedAt ?? s.now;
  return {
    startedAt: s.input.startedAt,
    plannedMs: s.endsAt - s.input.startedAt,
    endedAt: s.endedAt,
    endedBy: s.endedBy,
    watchedMs: end - s.input.startedAt,
    setPeepCmH2O: s.input.settings.peepCmH2O,
    derecruitmentSuspected: advisories.length > 0,
    advisories,
    alarms: s.findings.filter((f): f is WatchAlarm => f.kind === 'alarm'),
    best: { spo2Pct: s.spo2.best ? r1(s.spo2.best.value) : null, complianceMlPerCmH2O: s.compliance.best ? r1(s.compliance.best.value) : null },
    current: { spo2Pct: s.spo2.current === null ? null : r1(s.spo2.current), complianceMlPerCmH2O: s.compliance.current === null ? null : r1(s.compliance.current) },
    peepLosses: [...s.peepLosses, ...(s.peepLoss && s.peepLossRaised ? [s.peepLoss] : [])],
    spo2Blind: s.spo2.current !== null && s.spo2.current > SPO2_BLIND_ABOVE_PCT,
  };
}
