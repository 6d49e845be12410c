/**
 * Units at the MEDIBUS edge. Draeger devices report pressures in mbar, volumes in L or mL,
 * concentrations in %, compliance in L/bar or mL/mbar; the controller works in cmH2O, mL,
 * fractions and mL/cmH2O. Every value is converted here, once, and rounded to 0.01.
 */

/**
 * 1 mbar = 100 Pa; 1 cmH2O = 98.0665 Pa (conventional), so 1 mbar = 1.019716 cmH2O.
 *
 * @example
 * const peepCmH2O = peepMbar * CMH2O_PER_MBAR;
 */
export const CMH2O_PER_MBAR = 100 / 98.0665;

export const MEDIBUS_UNITS = ['mbar', 'cmH2O', 'L', 'mL', 'pct', '1/min', 'L/bar', 'mL/mbar', 'L/min', 's', 'none'] as const;
export type MedibusUnit = (typeof MEDIBUS_UNITS)[number];

/** What the controller measures each kind of value in. */
export type Quantity = 'pressureCmH2O' | 'volumeMl' | 'fraction' | 'rateBpm' | 'complianceMlPerCmH2O';

/** Factor from each wire unit to its controller quantity (null: not converted). */
const TO_QUANTITY: Record<MedibusUnit, { quantity: Quantity; factor: number } | null> = {
  mbar: { quantity: 'pressureCmH2O', factor: CMH2O_PER_MBAR },
  cmH2O: { quantity: 'pressureCmH2O', factor: 1 },
  L: { quantity: 'volumeMl', factor: 1000 },
  mL: { quantity: 'volumeMl', factor: 1 },
  pct: { quantity: 'fraction', factor: 0.01 },
  '1/min': { quantity: 'rateBpm', factor: 1 },
  // 1 L/bar = 1000 mL / 1000 mbar = 1 mL/mbar
  'L/bar': { quantity: 'complianceMlPerCmH2O', factor: 1 / CMH2O_PER_MBAR },
  'mL/mbar': { quantity: 'complianceMlPerCmH2O', factor: 1 / CMH2O_PER_MBAR },
  'L/min': null,
  s: null,
  none: null,
};

/**
 * The controller quantity a wire unit converts to, or null if it is not converted.
 *
 * @example
 * quantityOf('mbar'); // 'pressureCmH2O'
 */
export function quantityOf(unit: MedibusUnit): Quantity | null {
  return TO_QUANTITY[unit]?.quantity ?? null;
}

/**
 * Converts a wire value to the controller's unit for `quantity`, rounded to 0.01.
 * Throws `TypeError` if the unit is not of that quantity (a code-table error).
 *
 * @example
 * toQuantity(10, 'mbar', 'pressureCmH2O'); // 10.2
 * toQuantity(0.45, 'L', 'volumeMl');       // 450
 * toQuantity(40, 'pct', 'fraction');       // 0.4
 */
export function toQuantity(value: number, unit: MedibusUnit, quantity: Quantity): number {
  const conv = TO_QUANTITY[unit];
  if (!conv || conv.quantity !== quantity) throw new TypeError(`a value in ${unit} cannot be read as ${quantity}`);
  return Math.round(value * conv.factor * 100) / 100;
}
