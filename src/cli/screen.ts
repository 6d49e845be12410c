/**
 * `rmseq screen`: the recruitability screen (R/I, Chen et al. 2020) on the simulator or a
 * ventilator that drops PEEP for one breath on command; on any other ventilator, the one-breath
 * test done by hand with the numbers entered (`--readings`). `rmseq run staircase --screen`
 * runs the screen first and applies its policy (warn, block, cap) to the staircase.
 */
import { parseOrThrow } from '../../common/validation.js';
import {
  applyScreenPolicy,
  recruitabilityOf,
  ReleaseReadingsSchema,
  screenOf,
  screenRecommendation,
  type Protocol,
  type RecruitabilityResult,
  type ScreenDecision,
  type StaircaseProtocol,
} from '../../machines/index.js';
import { CliError, EXIT } from './exitCodes.js';
import { screenLines } from './format.js';
import { loadProtocol, readJson } from './inputs.js';
import type { RunIo } from './io.js';
import { loadJournalKey, openJournalFile } from './journalFiles.js';
import { runOne, type RunFlags } from './run.js';
import { versions } from './versions.js';

export interface ScreenFlags extends RunFlags {
  /** The one-breath test done by hand: its numbers, .json (ReleaseReadingsSchema). */
  readings?: string;
}

/** `rmseq screen`: validates every input, then screens; returns the exit code. */
export async function screenCommand(flags: ScreenFlags, io: RunIo): Promise<number> {
  const protocol = loadProtocol('recruitability-screen', flags.protocol);
  if (flags.readings !== undefined) return enteredScreen(protocol, flags, io);
  return (await runOne('recruitability-screen', protocol, flags, io)).code;
}

/** The guided procedure: the operator did the one-breath test and enters what the ventilator showed. */
function enteredScreen(protocol: Protocol, flags: ScreenFlags, io: RunIo): number {
  const given = (['patient', 'device', 'baseline', 'seed', 'realtime', 'speed', 'guided', 'vitals'] as const).filter((k) => flags[k] !== undefined);
  if (given.length) throw new CliError(`--readings computes R/I from entered numbers: --${given[0]} does not apply (nothing is run)`);
  const p = screenOf(protocol);
  const readings = parseOrThrow(ReleaseReadingsSchema, readJson(flags.readings!, 'readings'), `readings ${flags.readings}`);
  const result = recruitabilityOf(readings, p.thresholdRatio);
  if (flags.journal !== undefined) {
    const key = loadJournalKey(flags.journalKey);
    const journal = openJournalFile('--journal', flags.journal, { durability: 'fsync', ...(key ? { key } : {}) });
    journal.write('screen-entered', { versions: versions(), protocol, readings, result, recommendation: screenRecommendation(result), argv: process.argv.slice(2) });
    journal.close();
  }
  if (flags.json) io.stdout(`${JSON.stringify({ maneuver: 'recruitability-screen', source: 'entered', outcome: 'completed', screen: result, recommendation: screenRecommendation(result) }, null, 2)}\n`);
  else io.stdout(`${['R/I from entered readings (one-breath test by hand)', ...screenLines({ screen: result }), `recommendation: ${screenRecommendation(result)}`].join('\n')}\n`);
  return EXIT.completed;
}

/**
 * `rmseq run staircase --screen`: the screen first; a screen that does not complete (aborted,
 * not started, failsafe) ends the run there with its code, the staircase not started. Then the
 * screen protocol's policy decides: proceed, warn, block (exit 5, nothing more changed) or cap.
 */
export async function runScreenedStaircase(staircase: Protocol, flags: RunFlags, io: RunIo): Promise<number> {
  if (staircase.maneuver !== 'staircase') throw new CliError(`--screen applies to the staircase only (not ${staircase.maneuver})`);
  const screenProtocol = loadProtocol('recruitability-screen', flags.screenProtocol);
  const sp = screenOf(screenProtocol);
  const first = await runOne('recruitability-screen', screenProtocol, flags, io, false);
  const result: RecruitabilityResult | null = first.summary?.screen ?? null;
  if (first.code !== EXIT.completed || !result) {
    const why = `the recruitability screen did not complete (${first.summary?.outcome ?? 'not run'}): the staircase is not started`;
    if (flags.json) io.stdout(`${JSON.stringify({ maneuver: 'staircase', outcome: 'not-started', reason: why, screen: first.json }, null, 2)}\n`);
    else io.stderr(`rmseq: ${why}\n`);
    return first.code === EXIT.completed ? EXIT.notStarted : first.code;
  }
  const decision: ScreenDecision = applyScreenPolicy(staircase as StaircaseProtocol, result, sp.policy, sp.capPeakCmH2O);
  const decisionJson = { action: decision.action, policy: sp.policy, message: decision.message };
  if (!flags.json) io.stdout(`\nscreen -> staircase: ${decision.action.toUpperCase()}: ${decision.message}\n`);
  if (!decision.protocol) {
    if (flags.json) io.stdout(`${JSON.stringify({ maneuver: 'staircase', outcome: 'not-started', reason: decision.message, screenDecision: decisionJson, screen: first.json }, null, 2)}\n`);
    return EXIT.notStarted;
  }
  const second = await runOne('staircase', decision.protocol, flags, io, false);
  if (flags.json) io.stdout(`${JSON.stringify({ ...(second.json ?? { maneuver: 'staircase' }), screenDecision: decisionJson, screen: first.json }, null, 2)}\n`);
  return second.code;
}

