/**
 * Pressure units at the MakAir edge. The wire carries mmH2O (control values, measured
 * pressures) and, for the three pressure commands echoed in state snapshots, whole cmH2O
 * rounded by the firmware's `mmH2OtoCmH2O` (makair-firmware `srcs/telemetry.cpp`). The rest
 * of rm-sequencer works in cmH2O; these functions are the only place the two meet.
 */

/**
 * cmH2O -> mmH2O, rounded to the wire resolution of 1 mmH2O (0.1 cmH2O).
 * Throws `RangeError` for a non-finite input.
 *
 * @example
 * cmH2OToMmH2O(12.5); // 125
 * cmH2OToMmH2O(12.34); // 123
 */
export function cmH2OToMmH2O(cmH2O: number): number {
  if (!Number.isFinite(cmH2O)) throw new RangeError(`pressure ${cmH2O} cmH2O is not a finite number`);
  // toFixed removes binary noise such as 12.35 * 10 = 123.49999999999999 before rounding.
  return Math.round(Number((cmH2O * 10).toFixed(6)));
}

/**
 * mmH2O -> cmH2O (exact: one decimal).
 *
 * @example
 * mmH2OToCmH2O(125); // 12.5
 */
export function mmH2OToCmH2O(mmH2O: number): number {
  return mmH2O / 10;
}

/**
 * The firmware's own mmH2O -> whole cmH2O rounding (`mmH2OtoCmH2O`: last digit below 5 rounds
 * down, otherwise up), used for `peak_command`, `plateau_command` and `peep_command` in state
 * snapshots. A readback of those fields is compared with this, never with `mmH2OToCmH2O`.
 *
 * @example
 * firmwareRoundCmH2O(124); // 12
 * firmwareRoundCmH2O(125); // 13
 */
export function firmwareRoundCmH2O(mmH2O: number): number {
  const tenths = mmH2O % 10;
  const whole = (mmH2O - tenths) / 10;
  return tenths < 5 ? whole : whole + 1;
}
