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
  type ReleaseReadings,
  type ScreenDecision,
  type StaircaseProtocol,
} from '../../machines/index.js';
import { CliError, EXIT } from './exitCodes.js';
import { screenLines } from './format.js';
import { loadProtocol, readJson } from './inputs.js';
import type { RunIo } from './io.js';
import type { Journal } from '../journal/journal.js';
import { loadJournalKey, openJournalFile } from './journalFiles.js';
import { describeJournalFailure } from '../runner/journalGuard.js';
import { runOne, type RunFlags } from './run.js';
import { askReleaseReadings } from './screenByHand.js';
import { StdinLines } from './stdinLines.js';
import { versions } from './versions.js';

export interface ScreenFlags extends RunFlags {
  /** The one-breath test done by hand: its numbers, .json (ReleaseReadingsSchema). */
  readings?: string;
  /** The one-breath test done by hand, guided step by step at the terminal, the numbers typed in. */
  byHand?: boolean;
}

/** `rmseq screen`: validates every input, then screens; returns the exit code. */
export async function screenCommand(flags: ScreenFlags, io: RunIo): Promise<number> {
  const protocol = loadProtocol('recruitability-screen', flags.protocol);
  if (flags.byHand && flags.readings !== undefined) throw new CliError('--by-hand and --readings: give one (typed at the terminal, or from a file)');
  if (flags.byHand) return byHandScreen(protocol, flags, io);
  if (flags.readings !== undefined) return enteredScreen(protocol, flags, io);
  return (await runOne('recruitability-screen', protocol, flags, io)).code;
}

/** Entered numbers compute R/I; nothing is run, so the run flags do not apply. */
function refuseRunFlags(flags: ScreenFlags, mode: string): void {
  const given = (['patient', 'device', 'baseline', 'seed', 'realtime', 'speed', 'guided', 'vitals'] as const).filter((k) => flags[k] !== undefined);
  if (given.length) throw new CliError(`${mode} computes R/I from entered numbers: --${given[0]} does not apply (nothing is run)`);
}

/** The guided procedure: the operator did the one-breath test and enters what the ventilator showed. */
function enteredScreen(protocol: Protocol, flags: ScreenFlags, io: RunIo): number {
  refuseRunFlags(flags, '--readings');
  const readings = parseOrThrow(ReleaseReadingsSchema, readJson(flags.readings!, 'readings'), `readings ${flags.readings}`);
  return reportEntered(protocol, readings, { source: 'file' }, flags, io);
}

/**
 * The one-breath test by hand, guided at the terminal (src/cli/screenByHand.ts): the steps are
 * printed on stderr, the answers read from stdin, the result on stdout. Wrong answers three
 * times: exit 2; no answer (stdin ended, or 10 min): exit 5; nothing computed either way.
 */
async function byHandScreen(protocol: Protocol, flags: ScreenFlags, io: RunIo): Promise<number> {
  refuseRunFlags(flags, '--by-hand');
  screenOf(protocol);
  // The journal is opened before the first question: a journal that cannot be written is found before the procedure.
  const journal = openEnteredJournal(flags, protocol, 'by-hand');
  const stdin = new StdinLines();
  try {
    const r = await askReleaseReadings({ lines$: stdin.lines$, write: io.stderr });
    io.stderr('\n');
    if (!r.ok) {
      journal?.write('screen-by-hand-ended', { reason: r.reason });
      io.stderr(`rmseq: ${r.reason}\n`);
      return r.kind === 'bad-input' ? EXIT.badInput : EXIT.notStarted;
    }
    return reportEntered(protocol, r.readings, { source: 'by-hand', returnConfirmedAt: new Date(r.returnConfirmedAt).toISOString() }, flags, io, journal);
  } finally {
    stdin.close();
    journal?.close();
  }
}

/**
 * The journal of an entered screen: a session of its own, opened by the same `session-start`
 * header as any run, so the file stays a journal of this tool (the bedside journal the
 * staircase that follows appends to, `rmseq verify`/`report` read). Nothing was driven: no
 * device, no baseline, so `rmseq recover` finds nothing to restore in it.
 */
function openEnteredJournal(flags: ScreenFlags, protocol: Protocol, entry: 'file' | 'by-hand'): Journal | null {
  if (flags.journal === undefined) return null;
  const key = loadJournalKey(flags.journalKey);
  const journal = openJournalFile('--journal', flags.journal, { durability: 'fsync', ...(key ? { key } : {}) });
  journal.header({ versions: versions(), maneuver: 'recruitability-screen', protocol, device: entry === 'file' ? 'readings entered from a file (one-breath test by hand)' : 'readings typed at the terminal (one-breath test by hand)', clock: 'wall', argv: process.argv.slice(2) });
  return journal;
}

/** R/I from entered readings: journaled (with where they came from), printed, exit 0. */
function reportEntered(protocol: Protocol, readings: ReleaseReadings, source: { source: 'file' | 'by-hand'; returnConfirmedAt?: string }, flags: ScreenFlags, io: RunIo, open: Journal | null = null): number {
  const p = screenOf(protocol);
  const result = recruitabilityOf(readings, p.thresholdRatio);
  const journal = open ?? openEnteredJournal(flags, protocol, source.source);
  journal?.write('screen-entered', { versions: versions(), protocol, ...source, readings, result, recommendation: screenRecommendation(result), argv: process.argv.slice(2) });
  // A journal that could not be written is said, as a run says it: the record of this screen is not kept.
  if (journal?.failure) io.stderr(`rmseq: ${describeJournalFailure(journal.path, journal.failure)}\n`);
  if (!open) journal?.close();
  const title = source.source === 'by-hand' ? 'R/I from readings typed at the terminal (one-breath test by hand)' : 'R/I from entered readings (one-breath test by hand)';
  if (flags.json) io.stdout(`${JSON.stringify({ maneuver: 'recruitability-screen', source: 'entered', entry: source.source, outcome: 'completed', screen: result, recommendation: screenRecommendation(result) }, null, 2)}\n`);
  else io.stdout(`${[title, ...screenLines({ screen: result }), `recommendation: ${screenRecommendation(result)}`].join('\n')}\n`);
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

