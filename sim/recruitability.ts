/**
 * The one-breath PEEP release of the recruitment-to-inflation test (Chen et al. 2020,
 * AJRCCM 201:178-187), as the simulated lung produces it from its own units.
 *
 * At the high PEEP the open units hold V(PEEP_high). When PEEP drops to the low level for one
 * breath, every open unit whose closing pressure (tissue threshold plus its layer's
 * superimposed pressure) is above the low PEEP collapses during that long expiration and
 * releases its whole volume; the units that stay open deflate to V(PEEP_low). The extra
 * volume expired is therefore
 *
 *   released = V_open@high(PEEP_high) - V_stay(PEEP_low)
 *
 * and the breath that follows at the low PEEP inflates only the units that stayed open, so its
 * plateau (and the compliance at low PEEP) come from them. A lung whose open units all stay
 * open (nothing recruited by the high PEEP) releases only Crs_low x dPEEP: R/I about 0; a lung
 * with many units held open only by the high PEEP releases much more: R/I well above 0.5.
 * The controller computes R/I from these readings with the published formula
 * (machines/recruitability.ts); nothing here computes R/I for it.
 */
import { UNIT_COUNT, UNITS_PER_LAYER } from './constants.js';
import type { LungUnits } from './lungUnits.js';
import { lungVolumeMl, solvePressure, type PvCurve } from './mechanics.js';

/** What the ventilator measures around a one-breath PEEP release. */
export interface ReleaseBreath {
  /** Expired volume of the release breath (the breath's own Vt plus the released volume). */
  expiredVolumeMl: number;
  /** The volume released by the PEEP drop alone (end-expiratory lung volume high minus low). */
  releasedVolumeMl: number;
  /** Plateau pressure of the first breath at the low PEEP. */
  lowPlateauCmH2O: number;
  /** Tidal volume of that breath. */
  lowTidalVolumeMl: number;
  /** Units open at the high PEEP that collapse at the low PEEP (the model's truth, for calibration). */
  collapsingUnits: number;
  /** Units open at the high PEEP. */
  openUnits: number;
}

/**
 * The release breath for a drop from `highPeepCmH2O` to `lowPeepCmH2O`, in volume control at
 * `tidalVolumeMl` (the breath is cut at `pressureLimitCmH2O`), from the lung's present state.
 * Pure: the units are not changed (a single breath is too short to move their trajectories
 * much, and the high PEEP is restored at once).
 *
 * @example
 * const r = releaseBreath(units, curve, 15, 5, 420, 40);
 * r.expiredVolumeMl - 420; // released volume
 */
export function releaseBreath(
  units: LungUnits,
  curve: PvCurve,
  highPeepCmH2O: number,
  lowPeepCmH2O: number,
  tidalVolumeMl: number,
  pressureLimitCmH2O: number,
): ReleaseBreath {
  const layers = units.openCount.length;
  const stay = new Float64Array(layers);
  let collapsing = 0;
  let open = 0;
  for (let i = 0; i < UNIT_COUNT; i++) {
    if (!units.open[i]) continue;
    open++;
    const l = (i / UNITS_PER_LAYER) | 0;
    if ((units.closingCmH2O[i] as number) > lowPeepCmH2O) collapsing++;
    else stay[l] = (stay[l] as number) + 1;
  }
  const high = lungVolumeMl(units.openCount, units.spCmH2O, highPeepCmH2O, curve);
  const low = lungVolumeMl(stay, units.spCmH2O, lowPeepCmH2O, curve);
  const released = Math.max(0, high - low);
  const limit = Math.max(lowPeepCmH2O, pressureLimitCmH2O);
  const reachable = lungVolumeMl(stay, units.spCmH2O, limit, curve) - low >= tidalVolumeMl;
  const plateau = reachable ? solvePressure(stay, units.spCmH2O, curve, 0, 1, low, tidalVolumeMl, lowPeepCmH2O, limit) : limit;
  const vt = reachable ? tidalVolumeMl : Math.max(0, lungVolumeMl(stay, units.spCmH2O, limit, curve) - low);
  return {
    expiredVolumeMl: tidalVolumeMl + released,
    releasedVolumeMl: released,
    lowPlateauCmH2O: plateau,
    lowTidalVolumeMl: vt,
    collapsingUnits: collapsing,
    openUnits: open,
  };
}
