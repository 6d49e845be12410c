/**
 * The fault-injection matrix on the simulated adapter: every fault injected at every point
 * of a staircase, each cell run to its end on a virtual clock and judged safe or not.
 * A cell is safe when the run ends completed with its settings verified on the patient,
 * aborted with the baseline verified on the patient, or in failsafe (alarm, person needed);
 * never with the patient left at maneuver pressures without an alarm.
 */
import { VirtualClock } from '../../common/clock.js';
import { settingsMatch, type VentSettings } from '../../machines/index.js';
import { runSession } from '../../src/runner/drive.js';
import { type SimulatedSession } from '../../src/runner/simulated.js';
import { openModerateArds } from '../support/simSession.js';

export interface Fault {
  name: string;
  inject: (s: SimulatedSession, clock: VirtualClock) => void;
}

export const FAULTS: Fault[] = [
  { name: 'link lost (stays down)', inject: (s) => s.ventilator.setLinkDown(true) },
  {
    name: 'link lost 8 s',
    inject: (s, clock) => {
      s.ventilator.setLinkDown(true);
      clock.setTimeout(() => s.ventilator.setLinkDown(false), 8000);
    },
  },
  { name: 'refuses next 2 settings', inject: (s) => (s.ventilator.faults.refuseApplies = 2) },
  { name: 'refuses every setting', inject: (s) => (s.ventilator.faults.refuseApplies = 1_000) },
  { name: 'no confirmation (stall) once', inject: (s) => (s.ventilator.faults.stallApplies = 1) },
  { name: 'wrong readback 20 s', inject: (s, clock) => {
    s.ventilator.faults.wrongReadbackPeepCmH2O = 33;
    clock.setTimeout(() => (s.ventilator.faults.wrongReadbackPeepCmH2O = null), 20_000);
  } },
  { name: 'vitals feed stops', inject: (s) => (s.vitals.silenced = true) },
  {
    name: 'vitals feed stops 15 s',
    inject: (s, clock) => {
      s.vitals.silenced = true;
      clock.setTimeout(() => (s.vitals.silenced = false), 15_000);
    },
  },
  { name: 'SpO2 artifact (one sample reads 40%)', inject: (s) => s.vitals.injectNext({ spo2Pct: 40 }) },
  { name: 'SpO2 probe off (reads 0, dropped as implausible)', inject: (s) => {
    for (let i = 0; i < 1; i++) s.vitals.injectNext({ spo2Pct: 0 });
  } },
];

/**
 * Where in the maneuver the fault strikes: the first time the session enters that state, or,
 * for the `sent` points, the moment the final setting or the restore command goes out (before
 * the device confirms it), so the fault hits that command itself: the restore under fault.
 */
export const POINTS = [
  'active.incremental.applying',
  'active.incremental.dwelling',
  'active.decremental.dwelling',
  'active.reRecruit.dwelling',
  'active.final.applying',
  'final sent',
  'aborting.restoring',
  'restore sent',
] as const;

/** Each cell's session must end within this much session time (the ack after 60 s included)... */
export const VIRTUAL_BOUND_MS = 45 * 60_000;
/** ...and this much wall time (virtual clock). */
export const WALL_BOUND_MS = 5_000;

const SENT_POINTS: Record<string, 'final' | 'restore-baseline'> = { 'final sent': 'final', 'restore sent': 'restore-baseline' };

export interface Cell {
  fault: string;
  point: string;
  outcome: string;
  reason: string | null;
  safe: boolean;
  why: string;
  /** Session time at the end, and wall time the cell took. */
  virtualMs: number;
  wallMs: number;
  /** Failed restore attempts: > 0 when the fault hit the restore itself. */
  restoreFailures: number;
}

export async function runCell(fault: Fault, point: string): Promise<Cell> {
  // In failsafe the machine keeps retrying the restore; the "operator" acknowledges after
  // a minute, so the cell shows whether the baseline came back in the meantime.
  const { clock, sim } = await openModerateArds('staircase', 'wait');
  const { session } = sim;
  let acked = false;
  let injected = false;
  let forcedAbort = false;
  session.telemetry$.subscribe((e) => {
    if (e.kind === 'state' && e.state.startsWith('failsafe') && !acked) {
      acked = true;
      clock.setTimeout(() => session.operator('ack', 'fault matrix: operator takes over'), 60_000);
    }
    const sent = SENT_POINTS[point];
    if (sent && e.kind === 'command' && e.command.purpose === sent && !injected) {
      // Synchronously, as the command goes out: the device has not confirmed it yet.
      injected = true;
      fault.inject(sim, clock);
      return;
    }
    if (e.kind !== 'state' || injected) return;
    if ((point === 'aborting.restoring' || point === 'restore sent') && e.state === 'active.incremental.dwelling' && !forcedAbort) {
      // To reach the restore, the operator aborts during the first dwell.
      forcedAbort = true;
      clock.setTimeout(() => session.operator('abort', 'fault matrix'), 30_000);
    }
    if (!sent && e.state === point) {
      injected = true;
      clock.setTimeout(() => fault.inject(sim, clock), 0);
    }
  });
  const wallStart = Date.now();
  const summary = await runSession(session);
  const wallMs = Date.now() - wallStart;
  const onPatient: VentSettings = sim.world.patient.settings();
  await session.close();
  let safe: boolean;
  let why: string;
  if (!injected) {
    safe = false;
    why = `fault point ${point} never reached (ended ${summary.state})`;
  } else if (summary.outcome === 'completed') {
    safe = summary.verifiedSettings !== null && settingsMatch(summary.verifiedSettings, onPatient);
    why = safe ? `completed, PEEP ${onPatient.peepCmH2O} verified` : 'completed but the patient holds other settings';
  } else if (summary.outcome === 'aborted') {
    safe = summary.baselineVerified && settingsMatch(summary.baseline, onPatient);
    why = safe ? 'baseline restored and verified on the patient' : `aborted but the patient holds PEEP ${onPatient.peepCmH2O}`;
  } else if (summary.outcome === 'failsafe') {
    // An alarm that a person must acknowledge: safe by definition of the failsafe state.
    safe = true;
    why = summary.baselineVerified
      ? 'FAILSAFE alarm; the retried restore verified the baseline before the acknowledgement'
      : `FAILSAFE alarm; baseline not verified (patient PEEP ${onPatient.peepCmH2O}), operator took over`;
  } else {
    safe = false;
    why = `ended ${summary.outcome} in ${summary.state}`;
  }
  const virtualMs = clock.now();
  if (safe && (virtualMs > VIRTUAL_BOUND_MS || wallMs > WALL_BOUND_MS)) {
    safe = false;
    why = `ended after ${Math.round(virtualMs / 1000)} s of session time / ${wallMs} ms of wall time, beyond the bound`;
  }
  return { fault: fault.name, point, outcome: summary.outcome, reason: summary.abort?.reason ?? null, safe, why, virtualMs, wallMs, restoreFailures: summary.restoreFailures.length };
}

export function formatMatrix(cells: readonly Cell[]): string {
  const faults = [...new Set(cells.map((c) => c.fault))];
  const points = [...new Set(cells.map((c) => c.point))];
  const short = (c: Cell | undefined) =>
    !c ? '?' : `${c.safe ? 'SAFE' : 'UNSAFE'} ${c.outcome}${c.outcome === 'failsafe' ? (c.why.includes('verified the baseline') ? '+restored' : '+manual') : ''}${c.reason ? `/${c.reason}` : ''}`;
  const w0 = Math.max(...faults.map((f) => f.length), 5);
  const cols = points.map((p) => Math.max(p.length, ...cells.filter((c) => c.point === p).map((c) => short(c).length)));
  const line = (first: string, rest: string[]) => [first.padEnd(w0), ...rest.map((r, i) => r.padEnd(cols[i]!))].join(' | ');
  return [
    line('fault', points),
    line('-'.repeat(w0), cols.map((w) => '-'.repeat(w))),
    ...faults.map((f) => line(f, points.map((p) => short(cells.find((c) => c.fault === f && c.point === p))))),
  ].join('\n');
}
