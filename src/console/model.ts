/**
 * The session model and how console events change it: one pure reducer shared by the
 * server (which keeps the model for snapshots) and the page (which applies the same updates),
 * so a reloaded page shows exactly what a page that never left shows.
 */
import type { AbortReason } from '../../machines/types.js';
import type { ChartRow, ConsoleEvent, SessionInfo, SessionModel, StepView } from './wire.js';

/** What each abort reason is called on screen. */
export const ABORT_TITLES: Record<AbortReason, string> = {
  hypotension: 'Hypotension',
  desaturation: 'Desaturation',
  'heart-rate': 'Heart rate out of range',
  overdistention: 'Airway pressure too high',
  'stale-vitals': 'Vital signs not received',
  'delivery-mismatch': 'Ventilator not delivering the set pressure',
  'stale-ventilator': 'Ventilator measurements not received',
  'device-fault': 'Device or link fault',
  'journal-failure': 'Journal could not be written',
  'operator-abort': 'Stopped by the operator',
  'operator-timeout': 'No operator response',
};

/** History kept for snapshots: 6 h of one-second rows, the last alarms and log lines. */
export const LIMITS = { rows: 6 * 3600, alarms: 200, log: 400 } as const;

export function initialStep(): StepView {
  return { state: 'idle', outcome: 'running', phase: null, label: null, stepIndex: 0, planIndex: null, dwellEndsAt: null, settings: null };
}

export function newSessionModel(info: SessionInfo): SessionModel {
  return {
    info,
    now: info.t0,
    step: initialStep(),
    startedAt: null,
    baselineVitals: null,
    visited: [],
    rows: [],
    alarms: [],
    log: [],
    prompt: null,
    verified: null,
    abort: null,
    summary: null,
    titration: null,
    acknowledged: null,
    closed: false,
    watch: null,
    advice: null,
    screen: info.screen ?? null,
  };
}

function capped<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

/** Applies one batch (rows, then events) to the model in place. */
export function applyUpdate(model: SessionModel, now: number, rows: readonly ChartRow[], events: readonly ConsoleEvent[]): void {
  model.now = Math.max(model.now, now);
  if (rows.length) {
    model.rows.push(...rows);
    capped(model.rows, LIMITS.rows);
  }
  for (const e of events) applyEvent(model, e);
}

export function applyEvent(model: SessionModel, e: ConsoleEvent): void {
  switch (e.kind) {
    case 'state':
      model.step = e.step;
      // The baseline verified after all: a missed restore deadline is no longer an alarm condition.
      if (e.step.state === 'aborted' || e.step.state === 'failsafe.restored') {
        for (const a of model.alarms) if (a.source === 'restore' && a.resolvedAt === undefined) a.resolvedAt = e.t;
      }
      if (e.step.planIndex !== null && !model.visited.includes(e.step.planIndex)) model.visited.push(e.step.planIndex);
      return;
    case 'started':
      model.startedAt = e.t;
      model.baselineVitals = e.baselineVitals;
      model.visited = [];
      model.summary = null;
      model.abort = null;
      model.titration = null;
      model.watch = null;
      model.advice = null;
      return;
    case 'watch':
      model.watch = e.watch;
      return;
    case 'advice':
      model.advice = e.advice;
      return;
    case 'screen':
      model.screen = e.screen;
      return;
    case 'alarm':
      model.alarms.push(e.alarm);
      capped(model.alarms, LIMITS.alarms);
      return;
    case 'abort':
      model.abort = e.abort;
      return;
    case 'prompt':
      model.prompt = e.prompt;
      return;
    case 'log':
      model.log.push(e.entry);
      capped(model.log, LIMITS.log);
      return;
    case 'verified':
      model.verified = e.settings;
      return;
    case 'titration':
      model.titration = { stage: e.stage, t: e.t, summary: e.titration };
      return;
    case 'outcome':
      model.summary = e.summary;
      model.prompt = null;
      return;
    case 'ack':
      model.acknowledged = { t: e.t, note: e.note };
      return;
    case 'closed':
      model.closed = true;
      model.prompt = null;
      return;
  }
}

/** Whether the maneuver can still change the ventilator (so Abort means something). */
export function isLive(model: SessionModel | null): boolean {
  return model !== null && !model.closed && model.summary === null;
}
