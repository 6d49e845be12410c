/**
 * MakAir ventilation modes <-> the controller's `VentMode`.
 *
 * | MakAir (code)  | VentMode | note                                                      |
 * |----------------|----------|-----------------------------------------------------------|
 * | PC_CMV (1)     | PCV      | pressure controlled, mandatory breaths                    |
 * | PC_AC (2)      | PCV      | pressure controlled, assist-control (patient may trigger) |
 * | VC_CMV (3)     | VC       | volume controlled, mandatory breaths                      |
 * | VC_AC (5)      | VC       | volume controlled, assist-control                         |
 * | PC_VSAI (4)    | -        | pressure support of spontaneous breaths: not expressible  |
 * | -              | CPAP     | the MakAir has no CPAP mode: not expressible              |
 *
 * When a change asks for the other family, the kind is kept (CMV <-> CMV, AC <-> AC); from
 * PC_VSAI the controlled kind (CMV) is chosen. Within a family the device's mode is kept.
 * Source of the codes: makair-firmware `includes/cycle.h`, makair-telemetry `src/control.rs`.
 */
import { OutOfRangeError } from '../errors.js';
import type { VentMode } from '../../machines/types.js';
import type { MakAirVentilationMode } from './messages.js';

/** Wire code of each mode (value of the `VentilationMode` control setting). */
export const MAKAIR_MODE_CODES: Readonly<Record<MakAirVentilationMode, number>> = {
  PC_CMV: 1,
  PC_AC: 2,
  VC_CMV: 3,
  PC_VSAI: 4,
  VC_AC: 5,
};

/** The controller modes the MakAir can be put into. */
export const MAKAIR_VENT_MODES: readonly VentMode[] = ['PCV', 'VC'];

/**
 * The controller's name for a MakAir mode, or null when it has none (PC_VSAI).
 *
 * @example
 * ventModeOf('PC_AC'); // 'PCV'
 * ventModeOf('PC_VSAI'); // null
 */
export function ventModeOf(mode: MakAirVentilationMode): VentMode | null {
  switch (mode) {
    case 'PC_CMV':
    case 'PC_AC':
      return 'PCV';
    case 'VC_CMV':
    case 'VC_AC':
      return 'VC';
    case 'PC_VSAI':
      return null;
  }
}

/**
 * The MakAir mode that expresses `target`, given the mode the device is in. Throws
 * `OutOfRangeError` for a mode the MakAir cannot express (CPAP).
 *
 * @example
 * makAirModeFor('VC', 'PC_AC'); // 'VC_AC'
 * makAirModeFor('PCV', 'PC_CMV'); // 'PC_CMV' (unchanged)
 */
export function makAirModeFor(target: VentMode, current: MakAirVentilationMode): MakAirVentilationMode {
  if (ventModeOf(current) === target) return current;
  const assist = current === 'PC_AC' || current === 'VC_AC';
  switch (target) {
    case 'PCV':
      return assist ? 'PC_AC' : 'PC_CMV';
    case 'VC':
      return assist ? 'VC_AC' : 'VC_CMV';
    case 'CPAP':
      throw new OutOfRangeError('mode', target, MAKAIR_VENT_MODES.join('|'), 'the MakAir has no CPAP mode (its modes: PC-CMV, PC-AC, VC-CMV, PC-VSAI, VC-AC)');
  }
}
