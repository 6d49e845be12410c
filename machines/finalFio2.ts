/**
 * The FiO2 a completed maneuver ends on (protocol `finalFio2`; issue 15, items 2 and 8): pure
 * functions the machines' guards, actions and plans use. After pre-oxygenation a completed
 * maneuver never drops FiO2 straight to the baseline's: a severe patient gets its baseline SpO2
 * back (often below the critical floor), the guard aborts and the recruitment is thrown away.
 * `wean` lowers FiO2 towards the baseline's by SpO2 (machine phases `wean` and `weanBack`, under
 * the same safety monitor); `keep` ends on the FiO2 in use; `baseline` drops to the baseline FiO2.
 * Patients not pre-oxygenated end on the baseline FiO2 (docs/hazards.md H87-H89).
 */
import { stepMeasurement, type FinalFio2State, type ManeuverContext } from './context.js';
import { weanMinSpo2Of } from './config/protocols.js';
import type { StepPlan } from './types.js';

const EPS = 1e-9;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The policy that applies to this run: the protocol's after pre-oxygenation, else `not-preoxygenated`. */
export function finalFio2Policy(ctx: Pick<ManeuverContext, 'run' | 'protocol'>): FinalFio2State['policy'] {
  return ctx.run.preox ? ctx.protocol.finalFio2.afterPreoxygenation : 'not-preoxygenated';
}

/**
 * FiO2 of the final (post-RM or titrated-PEEP) step: the FiO2 in use when it begins (the
 * pre-oxygenation FiO2 after a single-step RM or a re-recruitment; the FiO2 the FiO2 titration
 * left in use otherwise), never below the baseline FiO2. The baseline FiO2 when the run was not
 * pre-oxygenated or the protocol says `baseline`.
 */
export function finalFio2InUse(ctx: ManeuverContext): number {
  const base = ctx.baseline.fio2;
  const policy = finalFio2Policy(ctx);
  if (policy === 'not-preoxygenated' || policy === 'baseline') return base;
  const inUse = ctx.verified?.fio2 ?? ctx.run.preox?.fio2 ?? base;
  return Math.max(base, inUse);
}

/** FiO2 of wean step `i` (0-based): `from` lowered by (i + 1) steps, never below the baseline FiO2. */
export function weanFio2Value(from: number, baselineFio2: number, stepFio2: number, i: number): number {
  return Math.max(baselineFio2, round2(from - (i + 1) * stepFio2));
}

/** SpO2 of the step now ending (median of its measurement window, valid samples only). */
function currentSpo2(ctx: ManeuverContext): number | null {
  return ctx.current ? stepMeasurement(ctx.current, ctx.latest).spo2Pct : null;
}

/** Another wean step is due: policy `wean`, FiO2 still above the baseline's, SpO2 of the step now ending at or above the threshold. */
export function weanStepDue(ctx: ManeuverContext): boolean {
  if (finalFio2Policy(ctx) !== 'wean' || !ctx.current) return false;
  if (ctx.current.settings.fio2 <= ctx.baseline.fio2 + EPS) return false;
  const spo2 = currentSpo2(ctx);
  return spo2 !== null && spo2 >= weanMinSpo2Of(ctx.protocol) - EPS;
}

/** The wean hold now ending measured SpO2 below the threshold (or nothing): step back. */
export function weanSpo2Low(ctx: ManeuverContext): boolean {
  if (ctx.current?.phase !== 'wean') return false;
  const spo2 = currentSpo2(ctx);
  return spo2 === null || spo2 < weanMinSpo2Of(ctx.protocol) - EPS;
}

/** The final step's FiO2 state as it ends (before any wean step). */
export function beginFinalFio2State(ctx: ManeuverContext): FinalFio2State | null {
  const c = ctx.current;
  if (!c) return null;
  return { policy: finalFio2Policy(ctx), fromFio2: c.settings.fio2, baselineFio2: ctx.baseline.fio2, settings: c.settings, fio2: null, spo2Pct: null, message: null, detail: null };
}

function weanState(ctx: ManeuverContext): FinalFio2State {
  const ff = ctx.titration.finalFio2;
  if (!ff) throw new Error('a wean step was planned before the final step ended: the final step records finalFio2 first');
  return ff;
}

/** Wean step `stepIndex`: the final settings with FiO2 one step lower, held `weanHoldS`. */
export function weanPlan(ctx: ManeuverContext): StepPlan {
  const ff = weanState(ctx);
  const f = ctx.protocol.finalFio2;
  const fio2 = weanFio2Value(ff.fromFio2, ff.baselineFio2, f.weanStepFio2, ctx.stepIndex);
  return {
    phase: 'wean',
    label: `Wean FiO2 ${ctx.stepIndex + 1}: FiO2 ${fio2} (baseline ${ff.baselineFio2}) for ${f.weanHoldS} s; SpO2 >= ${weanMinSpo2Of(ctx.protocol)}% to go on`,
    settings: { ...ff.settings, fio2 },
    dwellMs: Math.round(f.weanHoldS * 1000),
    purpose: 'final',
  };
}

/** The previous FiO2 again after a wean hold with SpO2 below the threshold (verified, then the maneuver ends). */
export function weanBackPlan(ctx: ManeuverContext): StepPlan {
  const ff = weanState(ctx);
  const f = ctx.protocol.finalFio2;
  const i = ctx.stepIndex;
  const fio2 = i === 0 ? ff.fromFio2 : weanFio2Value(ff.fromFio2, ff.baselineFio2, f.weanStepFio2, i - 1);
  const low = [...ctx.steps].reverse().find((r) => r.phase === 'wean');
  const spo2 = low?.spo2Pct ?? null;
  return {
    phase: 'wean',
    label: `FiO2 back to ${fio2}: SpO2 ${spo2 ?? '?'}% below ${weanMinSpo2Of(ctx.protocol)}% on FiO2 ${low?.settings.fio2 ?? '?'}`,
    settings: { ...ff.settings, fio2 },
    dwellMs: 0,
    purpose: 'final',
  };
}

/** The message of the final FiO2: said whenever it ends above the baseline FiO2. */
export function finalFio2Message(fio2: number, baselineFio2: number): string | null {
  return fio2 > baselineFio2 + EPS ? `FiO2 ended at ${fio2} (baseline ${baselineFio2}): wean by SpO2` : null;
}

/**
 * The FiO2 state at completion (the last step just recorded, the ended settings verified): the
 * FiO2 it ended on, the SpO2 measured on it (the latest step held on that FiO2), and why.
 */
export function endFinalFio2State(ctx: ManeuverContext): FinalFio2State | null {
  const ff = ctx.titration.finalFio2 ?? beginFinalFio2State(ctx);
  if (!ff) return null;
  const fio2 = ctx.verified?.fio2 ?? ff.fromFio2;
  const held = [...ctx.steps].reverse().find((r) => r.endedAt > r.startedAt && !r.aborted && Math.abs(r.settings.fio2 - fio2) <= EPS);
  const spo2 = held?.spo2Pct ?? null;
  const f = ctx.protocol.finalFio2;
  const last = ctx.steps[ctx.steps.length - 1];
  const weaned = ctx.steps.some((r) => r.phase === 'wean');
  const detail =
    ff.policy === 'not-preoxygenated'
      ? 'not pre-oxygenated: the baseline FiO2'
      : ff.policy === 'baseline'
        ? 'the baseline FiO2 (finalFio2.afterPreoxygenation baseline)'
        : ff.policy === 'keep'
          ? `kept at the FiO2 in use (finalFio2.afterPreoxygenation keep)`
          : last?.phase === 'wean' && last.endedAt === last.startedAt
            ? last.label
            : weaned
              ? fio2 <= ff.baselineFio2 + EPS
                ? `weaned to the baseline FiO2 with SpO2 ${spo2 ?? '?'}% >= ${weanMinSpo2Of(ctx.protocol)}%`
                : `weaned to FiO2 ${fio2}`
              : fio2 <= ff.baselineFio2 + EPS
                ? 'the final step ran on the baseline FiO2: nothing to wean'
                : `not weaned: SpO2 ${spo2 ?? '?'}% below ${weanMinSpo2Of(ctx.protocol)}% on FiO2 ${fio2}`;
  return { ...ff, fio2, spo2Pct: spo2, message: finalFio2Message(fio2, ff.baselineFio2), detail };
}
