/**
 * What a MakAir accepts, from its firmware limits (makair-firmware `includes/parameters.h`:
 * CONST_MIN/MAX_PEEP_PRESSURE 50-300 mmH2O, CONST_MIN/MAX_PLATEAU_PRESSURE 100-400 mmH2O,
 * CONST_MIN/MAX_CYCLE 5-35, CONST_MIN/MAX_TIDAL_VOLUME 50-2000 mL) and the documented bounds of
 * the peak pressure alarm threshold (makair-telemetry `src/control.rs`: 50-700 mmH2O). The
 * firmware clamps a PEEP below 50 mmH2O up to 50 although `control.rs` documents 0-300, so the
 * firmware's limit is the one used here.
 */
import { OutOfRangeError } from '../errors.js';
import type { Range, VentilatorCapabilities } from '../port.js';
import type { VentSettings } from '../../machines/types.js';
import { MAKAIR_VENT_MODES } from './modes.js';
import { mmH2OToCmH2O } from './units.js';

/** Firmware limits in wire units. */
export const MAKAIR_LIMITS = {
  peepMmH2O: [50, 300],
  plateauMmH2O: [100, 400],
  peakPressureAlarmMmH2O: [50, 700],
  cyclesPerMinute: [5, 35],
  tidalVolumeMl: [50, 2000],
} as const satisfies Record<string, Range>;

const cm = ([lo, hi]: Range): Range => [mmH2OToCmH2O(lo), mmH2OToCmH2O(hi)];

/** `peakCmH2O` in PCV is the plateau (inspiratory pressure) setting. */
export const PCV_PEAK_RANGE_CMH2O: Range = cm(MAKAIR_LIMITS.plateauMmH2O);
/** `peakCmH2O` in VC is the peak pressure alarm threshold. */
export const VC_PEAK_RANGE_CMH2O: Range = cm(MAKAIR_LIMITS.peakPressureAlarmMmH2O);

/**
 * The capabilities `identify()` reports. The MakAir has no FiO2 setting (oxygen is blended
 * outside it), so the FiO2 range is the single value the operator declared.
 * `ranges.peakCmH2O` spans both meanings of the peak (PCV 10-40, VC 5-70 cmH2O);
 * `assertMakAirLimits` applies the one of the requested mode.
 *
 * @example
 * makAirCapabilities(0.4).ranges.peepCmH2O; // [5, 30]
 */
export function makAirCapabilities(fio2: number): VentilatorCapabilities {
  return {
    modes: MAKAIR_VENT_MODES,
    ranges: {
      peepCmH2O: cm(MAKAIR_LIMITS.peepMmH2O),
      peakCmH2O: [Math.min(PCV_PEAK_RANGE_CMH2O[0], VC_PEAK_RANGE_CMH2O[0]), Math.max(PCV_PEAK_RANGE_CMH2O[1], VC_PEAK_RANGE_CMH2O[1])],
      rateBpm: MAKAIR_LIMITS.cyclesPerMinute,
      fio2: [fio2, fio2],
      tidalVolumeMl: MAKAIR_LIMITS.tidalVolumeMl,
    },
    remoteSetting: true,
    pressureResolutionCmH2O: 0.1,
  };
}

/**
 * The mode-specific checks `assertWithinCapabilities` cannot make: the peak range of the
 * requested mode, and a set tidal volume in VC. Throws `OutOfRangeError`.
 *
 * @example
 * assertMakAirLimits({ mode: 'PCV', peepCmH2O: 10, peakCmH2O: 45, rateBpm: 20, fio2: 0.4 }); // throws: PCV peak 10-40
 */
export function assertMakAirLimits(s: VentSettings): void {
  if (s.mode === 'PCV') {
    const [lo, hi] = PCV_PEAK_RANGE_CMH2O;
    if (!(s.peakCmH2O >= lo && s.peakCmH2O <= hi)) {
      throw new OutOfRangeError('peakCmH2O', s.peakCmH2O, PCV_PEAK_RANGE_CMH2O, `PCV peak (MakAir plateau pressure) ${s.peakCmH2O} cmH2O outside ${lo}-${hi}`);
    }
  }
  if (s.mode === 'VC') {
    const [lo, hi] = VC_PEAK_RANGE_CMH2O;
    if (!(s.peakCmH2O >= lo && s.peakCmH2O <= hi)) {
      throw new OutOfRangeError('peakCmH2O', s.peakCmH2O, VC_PEAK_RANGE_CMH2O, `VC peak (MakAir peak pressure alarm threshold) ${s.peakCmH2O} cmH2O outside ${lo}-${hi}`);
    }
    if (s.tidalVolumeMl === undefined) {
      throw new OutOfRangeError('tidalVolumeMl', s.tidalVolumeMl, MAKAIR_LIMITS.tidalVolumeMl, 'VC on the MakAir needs a set tidal volume');
    }
  }
}
