/**
 * The staircases the MakAir integration tests run. The MakAir firmware takes PEEP 5-30 cmH2O
 * and, in PCV, a plateau (the controller's peak) of 10-40 cmH2O, so the recruitment steps are
 * PEEP 20 and 25 with a driving pressure of 15 (peaks 35 and 40), re-recruitment at 25,
 * titration from 20 down to 12.5; dwells are shortened (30 s / 60 s). One definition, so the
 * in-process benches and the CLI tests (which write it to a --protocol file) run the same one.
 */
import type { ProtocolInput } from '../../../machines/index.js';

/** The steps every MakAir staircase below shares. */
const MAKAIR_STEPS = {
  maneuver: 'staircase' as const,
  incrementalPeepsCmH2O: [20, 25],
  incrementalDwellS: 30,
  drivingPressureCmH2O: 15,
  decremental: { startPeepCmH2O: 20, stepCmH2O: 2.5, floorPeepCmH2O: 12.5, dwellS: 60 },
  reRecruit: { peepCmH2O: 25, dwellS: 30 },
};

/** Run to its end (titrated PEEP, 2.5 margin, peak limit 40, 5-s assessment). */
export const MAKAIR_STAIRCASE: ProtocolInput = {
  ...MAKAIR_STEPS,
  finalMarginCmH2O: 2.5,
  peakLimitCmH2O: 40,
  measureWindowS: 20,
  assessS: 5,
};

/**
 * Interrupted mid-maneuver by the crash-recovery tests (SIGKILL during recruitment): the
 * titration settings stay at their defaults, the peak limit at 45, a 20-s assessment.
 */
export const MAKAIR_RECOVERY_STAIRCASE: ProtocolInput = {
  ...MAKAIR_STEPS,
  peakLimitCmH2O: 45,
  assessS: 20,
};
