/**
 * `rmseq run ... --watch-min <n> [--watch-event <kind>@<min>[:<s>]]`: the post-maneuver watch
 * at the terminal. Flags validated here (zod), findings printed as they come, a summary at the end.
 */
import { z } from 'zod';
import { WatchConfigSchema, type WatchConfig, type WatchFinding, type WatchSummary } from '../../machines/index.js';
import type { CircuitEvent } from '../../hal/simulated/index.js';
import { CliError } from './exitCodes.js';

/** The watch's default length on a virtual clock (cheap); a wall-clock run watches only when asked. */
export const WATCH_DEFAULT_MIN = 30;

/**
 * `--watch-min <n>`: 0-240 minutes (0 disables). Default 30 on the virtual clock; 0 on the wall
 * clock (a device or a rehearsal), where watching keeps the run open for that long.
 */
export function watchConfigFlag(value: string | undefined, wallClock: boolean): WatchConfig {
  const fallback = wallClock ? 0 : WATCH_DEFAULT_MIN;
  const n = value === undefined ? fallback : /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  const r = WatchConfigSchema.safeParse({ durationMin: n });
  if (!r.success) throw new CliError(`--watch-min = ${JSON.stringify(value)}: must be a number of minutes between 0 and 240 (0: no watch)`);
  return r.data;
}

const EventSchema = z.object({
  kind: z.enum(['disconnection', 'suction']),
  atMin: z.number().min(0).max(240),
  durationS: z.number().int().min(1).max(600),
});

/**
 * `--watch-event disconnection@5:30,suction@12:15`: scripted events on the simulated patient,
 * at a minute into the watch, lasting seconds (default 30). Simulator only.
 *
 * @example
 * watchEventsFlag('disconnection@5:30', 30); // [{ kind: 'disconnection', atMin: 5, durationS: 30 }]
 */
export function watchEventsFlag(value: string | undefined, watchMin: number): { kind: CircuitEvent['kind']; atMin: number; durationS: number }[] {
  if (value === undefined) return [];
  if (watchMin <= 0) throw new CliError('--watch-event needs a post-maneuver watch (--watch-min above 0)');
  return value.split(',').map((item) => {
    const m = /^([a-z]+)@(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(item.trim());
    const r = EventSchema.safeParse(m ? { kind: m[1], atMin: Number(m[2]), durationS: m[3] === undefined ? 30 : Number(m[3]) } : null);
    if (!r.success || r.data.atMin >= watchMin) {
      throw new CliError(
        `--watch-event = ${JSON.stringify(item)}: must be <disconnection|suction>@<minute into the watch, 0 to below --watch-min ${watchMin}>[:<seconds, 1-600, default 30>], e.g. disconnection@5:30`,
      );
    }
    return r.data;
  });
}

const mmss = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** One finding as a line: "+5:03 ADVISORY PEEP lost ...". */
export function formatWatchFinding(f: WatchFinding, startedAt: number): string {
  return `  +${mmss(f.at - startedAt)} ${f.kind === 'advisory' ? 'ADVISORY' : `ALARM (${f.priority})`} ${f.message}`;
}

/** The watch's summary for the terminal. */
export function formatWatch(w: WatchSummary): string {
  const lines = [
    `Post-maneuver watch at PEEP ${w.setPeepCmH2O} cmH2O: ${mmss(w.watchedMs)} of ${mmss(w.plannedMs)} (ended by ${w.endedBy ?? 'nothing yet'}); the controller did not change any setting`,
    `  SpO2 best ${w.best.spo2Pct ?? '-'}%, now ${w.current.spo2Pct ?? '-'}%; compliance best ${w.best.complianceMlPerCmH2O ?? '-'}, now ${w.current.complianceMlPerCmH2O ?? '-'} mL/cmH2O`,
  ];
  if (w.spo2Blind) lines.push('  SpO2 above 97%: on the flat top of the dissociation curve a fall from derecruitment hardly shows; compliance and PEEP still count');
  for (const p of w.peepLosses) lines.push(`  PEEP lost +${mmss(p.from - w.startedAt)} to ${p.to === null ? 'the end' : `+${mmss(p.to - w.startedAt)}`} (lowest ${p.lowestCmH2O} cmH2O)`);
  const findings = [...w.advisories, ...w.alarms].sort((a, b) => a.at - b.at);
  for (const f of findings) lines.push(formatWatchFinding(f, w.startedAt));
  lines.push(w.derecruitmentSuspected ? '  => derecruitment suspected: consider re-recruitment (advisory; the operator decides)' : '  => no sign of derecruitment');
  return lines.join('\n');
}
