/**
 * Time-dependent recruitment and derecruitment (Bates & Irvin 2002), with the threshold
 * hysteresis of Hickling's model: each unit's virtual trajectory x in [0, 1] rises while the
 * airway pressure P is above its opening pressure Po and falls while P is below its closing
 * pressure Pc (Pc < Po):
 *
 *   dx/dt = s_o (P - Po)   for P > Po
 *   dx/dt = s_c (P - Pc)   for P < Pc
 *   dx/dt = 0              otherwise
 *
 * A unit opens when x reaches 1 and closes when x reaches 0. Over one breath the unit sees
 * the end-inspiratory alveolar pressure for the inspiratory fraction of the cycle and PEEP for
 * the rest, so the rates are averaged over the cycle (steps of up to 1 s span a breath or less).
 */
import { UNIT_COUNT, UNITS_PER_LAYER } from './constants.js';
import type { LungUnits } from './lungUnits.js';

/** Net cycle-averaged drift of one unit's trajectory (per s). */
function drift(units: LungUnits, i: number, inspCmH2O: number, expCmH2O: number, inspFraction: number): number {
  const po = units.openingCmH2O[i] as number;
  const pc = units.closingCmH2O[i] as number;
  const so = units.openRate[i] as number;
  const sc = units.closeRate[i] as number;
  const ef = 1 - inspFraction;
  let d = 0;
  if (inspCmH2O > po) d += so * (inspCmH2O - po) * inspFraction;
  else if (inspCmH2O < pc) d += sc * (inspCmH2O - pc) * inspFraction;
  if (expCmH2O > po) d += so * (expCmH2O - po) * ef;
  else if (expCmH2O < pc) d += sc * (expCmH2O - pc) * ef;
  return d;
}

/** Lists the units whose trajectory moves under these pressures, with their drift. */
function rebuildWorkList(units: LungUnits, inspCmH2O: number, expCmH2O: number, inspFraction: number): void {
  const act = units.activity;
  const list = units.activeUnits;
  const drifts = units.drift;
  const n = UNIT_COUNT;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (units.compressed[i]) continue;
    const d = drift(units, i, inspCmH2O, expCmH2O, inspFraction);
    if (!(d !== 0 && Number.isFinite(d))) continue;
    const x = units.x[i] as number;
    if ((d > 0 && x >= 1 && units.open[i]) || (d < 0 && x <= 0 && !units.open[i])) continue;
    list[count] = i;
    drifts[i] = d;
    count++;
  }
  act.count = count;
  act.inspCmH2O = inspCmH2O;
  act.expCmH2O = expCmH2O;
  act.inspFraction = inspFraction;
  act.valid = true;
}

/**
 * Integrates every unit over `dtS` seconds. Updates `open`, `x` and the per-layer open counts.
 * Returns how many units opened or closed. Only units that can move are visited: the work
 * list is rebuilt when the pressures differ from those it was built for.
 *
 * @example
 * const flipped = stepRecruitment(units, 55, 40, 1 / 3, 1);
 */
export function stepRecruitment(units: LungUnits, inspCmH2O: number, expCmH2O: number, inspFraction: number, dtS: number): number {
  const act = units.activity;
  if (!act.valid || act.inspCmH2O !== inspCmH2O || act.expCmH2O !== expCmH2O || act.inspFraction !== inspFraction) {
    rebuildWorkList(units, inspCmH2O, expCmH2O, inspFraction);
  }
  const list = units.activeUnits;
  const drifts = units.drift;
  const x = units.x;
  const open = units.open;
  const counts = units.openCount;
  const perLayer = UNITS_PER_LAYER;
  let flipped = 0;
  let kept = 0;
  const count = act.count;
  for (let k = 0; k < count; k++) {
    const i = list[k] as number;
    const xi = (x[i] as number) + (drifts[i] as number) * dtS;
    if (xi >= 1) {
      x[i] = 1;
      if (!open[i]) {
        open[i] = 1;
        const l = (i / perLayer) | 0;
        counts[l] = (counts[l] as number) + 1;
        flipped++;
      }
    } else if (xi <= 0) {
      x[i] = 0;
      if (open[i]) {
        open[i] = 0;
        const l = (i / perLayer) | 0;
        counts[l] = (counts[l] as number) - 1;
        flipped++;
      }
    } else {
      x[i] = xi;
      list[kept++] = i;
    }
  }
  act.count = kept;
  return flipped;
}

/**
 * The long-run state under constant pressures, from the current one: a closed unit opens if
 * its net drift is positive; an open unit closes if its net drift is negative. Returns how
 * many units changed. Used to start the patient at steady state for the initial settings.
 */
export function settleRecruitment(units: LungUnits, inspCmH2O: number, expCmH2O: number, inspFraction: number): number {
  units.activity.valid = false;
  let changed = 0;
  for (let i = 0; i < UNIT_COUNT; i++) {
    if (units.compressed[i] || !Number.isFinite(units.openingCmH2O[i] as number)) continue;
    const d = drift(units, i, inspCmH2O, expCmH2O, inspFraction);
    const l = (i / UNITS_PER_LAYER) | 0;
    if (!units.open[i] && d > 0) {
      units.open[i] = 1;
      units.x[i] = 1;
      units.openCount[l] = (units.openCount[l] as number) + 1;
      changed++;
    } else if (units.open[i] && d < 0) {
      units.open[i] = 0;
      units.x[i] = 0;
      units.openCount[l] = (units.openCount[l] as number) - 1;
      changed++;
    }
  }
  return changed;
}
