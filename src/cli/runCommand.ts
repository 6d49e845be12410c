/**
 * `rmseq run <maneuver>`: one maneuver, or with `--screen` the recruitability screen first and
 * the staircase as its policy allows (src/cli/screen.ts). Its own module so that run.ts (one
 * session) and screen.ts (which runs sessions through run.ts) do not import each other.
 */
import type { ManeuverKind } from '../../machines/index.js';
import { loadProtocol, parseManeuver } from './inputs.js';
import { runOne, type RunFlags, type RunIo } from './run.js';
import { runScreenedStaircase } from './screen.js';

export async function runCommand(maneuverName: string, flags: RunFlags, io: RunIo): Promise<number> {
  const maneuver: ManeuverKind = parseManeuver(maneuverName);
  const protocol = loadProtocol(maneuver, flags.protocol);
  if (flags.screen || flags.screenProtocol !== undefined) return runScreenedStaircase(protocol, flags, io);
  return (await runOne(maneuver, protocol, flags, io)).code;
}
