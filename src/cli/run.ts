/**
 * `rmseq run <maneuver>`: one maneuver on the built-in simulator (virtual time unless
 * --realtime/--speed/--guided), or on a real ventilator with --device (wall clock).
 * Every input is validated first; bad input throws CliError (exit 2) before anything starts.
 */
import { plannedDurationMs, type ManeuverKind, type Protocol, type RunnableKind } from '../../machines/index.js';
import type { Journal } from '../journal/journal.js';
import type { VentilatorCapabilities } from '../../hal/port.js';
import { findUnfinished, recoverBaseline } from '../journal/recover.js';
import { DeviceOpenError } from '../runner/device.js';
import { runSession } from '../runner/drive.js';
import { describeJournalFailure } from '../runner/journalGuard.js';
import type { Session } from '../runner/session.js';
import { deviceSource, journalSession, simulatedSource, type OpenedSession, type SessionSource } from '../runner/source.js';
import type { SessionSummary } from '../runner/telemetry.js';
import { parseDeviceFlags, type DeviceFlags } from './device.js';
import { parseVitalsTarget } from './vitals.js';
import { askChecklist, confirmation, operatorName, parseChecklistFlag } from './checklist.js';
import { CHECKLIST_IDS, type ChecklistConfirmation } from '../../machines/index.js';
import { CliError, EXIT, exitCodeFor } from './exitCodes.js';
import { formatSummary } from './format.js';
import { guidedTimeoutFlag, intFlag, loadBaseline, loadPatient, loadProtocol, numberFlag, parseManeuver, patientSizeFlags } from './inputs.js';
import { FailsafeWatch } from './failsafe.js';
import { answerPromptsFromStdin, handleSignals } from './interactive.js';
import type { RunIo } from './io.js';
import { StdinLines } from './stdinLines.js';
import { ProgressDisplay } from './progress.js';
import { versions } from './versions.js';
import { loadJournal, loadJournalKey, openJournalFile } from './journalFiles.js';
import { assertRecoverable, refuseToHideUnfinished } from './recovery.js';
import { rejectFlagsNotFor } from './targetFlags.js';
import { statSync } from 'node:fs';
import type { WatchSummary } from '../../machines/index.js';
import { watchAfter, type WatchRun } from '../runner/watch.js';
import type { Subscription } from 'rxjs';
import { formatWatch, formatWatchFinding, watchConfigFlag, watchEventsFlag } from './watch.js';
import { adviceAfterRun } from '../runner/advice.js';
import { formatAdvice } from './advise.js';

export interface RunFlags extends DeviceFlags {
  patient?: string;
  protocol?: string;
  baseline?: string;
  seed?: string;
  realtime?: boolean;
  speed?: string;
  json?: boolean;
  journal?: string;
  journalDecimate?: string;
  journalKey?: string;
  artifacts?: boolean;
  dropouts?: boolean;
  guided?: boolean;
  guidedTimeout?: string;
  failsafeTimeout?: string;
  /** Patient size (simulator: overrides the profile's; device: without it Vt/kg is not limited). */
  heightCm?: string;
  sex?: string;
  /** The operator checklist items confirmed for a scripted run: ids (comma-separated) or `all`. */
  confirmChecklist?: string;
  /** Post-maneuver watch length in minutes (0: none; default 30 on the virtual clock, 0 on the wall clock). */
  watchMin?: string;
  /** Simulator: scripted circuit events during the watch, `disconnection@5:30,suction@12:15`. */
  watchEvent?: string;
  /** For the rescue-therapy advisor after a failed run: arterial PaO2 and the displayed mean airway pressure. */
  pao2?: string;
  mawp?: string;
  /** `run staircase --screen`: run the recruitability screen first and apply its policy. */
  screen?: boolean;
  /** The screen's protocol .json (implies --screen). */
  screenProtocol?: string;
}

/** A run nobody can acknowledge at the terminal ends this long after entering failsafe (session clock). */
export const DEFAULT_FAILSAFE_TIMEOUT_MS = 120_000;

export type { RunIo } from './io.js';

/** Validates every input, then runs; returns the exit code. */
/** One session (a maneuver or the recruitability screen): its exit code and its `--json` result. */
export interface RunResult {
  code: number;
  summary: SessionSummary | null;
  json: Record<string, unknown> | null;
}

/**
 * Runs one session of `kind` with `protocol`. `printJson: false` leaves the `--json` result to
 * the caller (a screened staircase prints one result for both sessions).
 */
export async function runOne(maneuver: RunnableKind, protocol: Protocol, flags: RunFlags, io: RunIo, printJson = true): Promise<RunResult> {
  const speed = numberFlag('speed', flags.speed, 0.1, 1000);
  if (flags.realtime && speed !== undefined) throw new CliError('--realtime and --speed exclude each other');
  const decimate = intFlag('journal-decimate', flags.journalDecimate, 1, 1000, 1);
  const guidedTimeoutS = guidedTimeoutFlag(flags.guidedTimeout);
  const failsafeTimeoutS = flags.failsafeTimeout === undefined ? null : intFlag('failsafe-timeout', flags.failsafeTimeout, 1, 86_400, 0);
  const checklistItems = flags.confirmChecklist === undefined ? null : parseChecklistFlag(flags.confirmChecklist);
  const onDevice = flags.device !== undefined;
  rejectFlagsNotFor(onDevice ? 'device' : 'simulator', flags, { simulatorOnly: ['watchEvent'] });
  if (flags.guidedTimeout !== undefined && !flags.guided && !(onDevice && flags.device?.startsWith('medibus:'))) {
    throw new CliError('--guided-timeout applies to guided runs only (--guided, or a MEDIBUS device); this run sets the ventilator itself, where it would be ignored');
  }
  if (onDevice) {
    if (!flags.vitals) throw new CliError('--vitals line:<port> is required with --device, or intellivue:udp:<host>[:<port>] / intellivue:serial:<port> for a Philips IntelliVue: the ventilator protocols carry no SpO2 or arterial pressure');
  } else if (!flags.patient) {
    throw new CliError("required option '--patient <profile>' not specified (or --device for a real ventilator)");
  }
  // A person answers guided instructions, and devices run in real time.
  const realtime = onDevice || Boolean(flags.realtime) || speed !== undefined || Boolean(flags.guided);
  const watchConfig = watchConfigFlag(flags.watchMin, realtime);
  const watchEvents = watchEventsFlag(flags.watchEvent, watchConfig.durationMin);
  const pao2MmHg = numberFlag('pao2', flags.pao2, 20, 700);
  const mawpCmH2O = numberFlag('mawp', flags.mawp, 1, 60);
  if (failsafeTimeoutS !== null && !realtime) {
    throw new CliError('--failsafe-timeout applies to runs on the wall clock (--device, --realtime, --speed, --guided): a virtual-clock run ends at FAILSAFE at once (exit 4)');
  }
  const key = loadJournalKey(flags.journalKey);
  const journal = flags.journal === undefined ? null : openJournalFile('--journal', flags.journal, { durability: realtime ? 'fsync' : 'write', decimate, ...(key ? { key } : {}) });
  // One reader of stdin for guided answers and the failsafe `ack`; only runs that wait read it.
  const stdin = realtime ? new StdinLines() : null;

  let source: SessionSource;
  let opened: OpenedSession;
  try {
    source = onDevice ? deviceRunSource(flags, speed ?? 1, guidedTimeoutS, watchConfig.durationMin) : simulatorRunSource(flags, realtime, speed ?? 1, guidedTimeoutS, watchConfig.durationMin);
    const checklist = await checklistFor(source.checklistRequired, checklistItems, stdin, io);
    opened = await source.open(maneuver, protocol, checklist ? { checklist } : {});
  } catch (e) {
    journal?.close();
    stdin?.close();
    if (e instanceof DeviceOpenError) throw new CliError(e.message, EXIT.badInput);
    throw e;
  }
  const { session } = opened;
  if (maneuver === 'recruitability-screen') await assertOneBreathDrop(opened, journal, stdin);
  const stopPrompts = opened.guided && stdin ? answerPromptsFromStdin(opened.guided, io, !source.simulated, stdin) : () => undefined;

  // A previous session in this journal that never ended: its device must be brought back first.
  if (journal && flags.journal) {
    let recovered: number | null;
    try {
      recovered = await recoverOnStartup(flags.journal, key, journal, session, opened.device, io);
    } catch (e) {
      stopPrompts();
      stdin?.close();
      await opened.dispose();
      journal.close();
      throw e;
    }
    if (recovered !== null) {
      stopPrompts();
      stdin?.close();
      await opened.dispose();
      journal.close();
      return { code: recovered, summary: null, json: null };
    }
  }
  if (journal) journalSession(journal, opened, { versions: versions(), maneuver, protocol, argv: process.argv.slice(2) });

  const progress = flags.json ? null : new ProgressDisplay({ tty: io.isTTY, write: io.stdout, plannedMs: plannedDurationMs(protocol, session.baseline, { fio2Steps: true }) });
  if (progress) {
    io.stdout(`rmseq ${maneuver} on ${opened.description}, ${realtime ? `wall clock x${speed ?? 1}` : 'virtual clock'}\n`);
    progress.attach(session.telemetry$);
  }
  // The handlers stay until the process exits: a signal after the end must not kill it with 130.
  // In failsafe (runs that wait in it: wall clock), the watch tells the person what to do and
  // ends the wait: on `ack`, when a retry verifies the baseline (non-interactive), at --failsafe-timeout.
  const interactive = process.stdin.isTTY === true;
  const watch = stdin
    ? new FailsafeWatch(session, { stdin, interactive, timeoutMs: failsafeTimeoutS !== null ? failsafeTimeoutS * 1000 : interactive ? null : DEFAULT_FAILSAFE_TIMEOUT_MS, write: io.stderr })
    : null;
  // The post-maneuver watch runs while the completed maneuver waits (the machine holds its
  // verified settings and acts on nothing but the operator there); the run then ends it, so the
  // journal's outcome line still comes last.
  let postWatch: WatchRun | null = null;
  let watchedP: Promise<WatchSummary> | null = null;
  let watchTried = false;
  const live: Subscription[] = [];
  live.push(
    session.telemetry$.subscribe((e) => {
      if (e.kind !== 'state' || e.state !== 'completed' || watchTried || watchConfig.durationMin <= 0) return;
      watchTried = true;
      postWatch = watchAfter(session, { ...session.summary(), outcome: 'completed' }, watchConfig);
      // Nothing to watch (no verified settings): the session must not wait at `completed` for ever.
      if (!postWatch) return void session.clock.setTimeout(() => session.operator('end', 'no post-maneuver watch: no verified settings'), 0);
      const startedAt = session.clock.now();
      if (!flags.json) io.stdout(`\nwatching for ${watchConfig.durationMin} min at the final settings (Ctrl-C ends the watch; the controller changes nothing now)\n`);
      for (const w of watchEvents) opened.world?.scheduleCircuitEvent({ kind: w.kind, atMs: startedAt + w.atMin * 60_000, durationMs: w.durationS * 1000 });
      if (!flags.json) live.push(session.telemetry$.subscribe((f) => f.kind === 'watch' && f.stage === 'finding' && io.stdout(`${formatWatchFinding(f.finding, startedAt)}\n`)));
      watchedP = postWatch.done;
      void postWatch.done.then(() => session.operator('end', 'post-maneuver watch ended'));
    }),
  );
  const signals = handleSignals(session, io, {
    ...(watch ? { onFailsafe: (signal: NodeJS.Signals) => watch.ack(`${signal}: the operator ends the run`) } : {}),
    onWatch: (signal) => {
      const w = postWatch as WatchRun | null;
      if (!w || w.state.status === 'ended') return false;
      w.end(`operator (${signal})`);
      return true;
    },
  });
  let summary: SessionSummary;
  try {
    summary = await runSession(session);
  } catch (e) {
    signals.dispose();
    throw e;
  } finally {
    for (const l of live) l.unsubscribe();
    watch?.stop();
    stopPrompts();
    stdin?.close();
    progress?.detach();
  }
  const watched: WatchSummary | null = watchedP ? await watchedP : null;
  // Advisory only: computed from the summary; nothing reaches the ventilator.
  const advice = adviceAfterRun(summary, { ...(pao2MmHg !== undefined ? { pao2MmHg } : {}), ...(mawpCmH2O !== undefined ? { mawpCmH2O } : {}) });
  await opened.dispose();
  journal?.close();
  const json = { ...toJsonResult(summary, opened.record.result), watch: watched, advice };
  if (flags.json) {
    if (printJson) io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.stdout(`\n${formatSummary(summary)}\n${watched ? `\n${formatWatch(watched)}\n` : ''}`);
    if (advice) io.stdout(`\n${formatAdvice(advice)}\n`);
  }
  if (journal?.failure) io.stderr(`rmseq: ${describeJournalFailure(journal.path, journal.failure)}\n`);
  const code = exitCodeFor(summary.outcome);
  signals.settle(code);
  return { code, summary, json };
}

/**
 * Why the screen cannot run on this device (null: it can). It needs a device that drops PEEP
 * for one breath on command and reports the breath's expired volume
 * (`capabilities.oneBreathPeepDrop`); a guided run cannot (a person takes longer than a breath).
 * Then it is a guided procedure by hand: `rmseq screen --readings`.
 */
export function oneBreathDropProblem(caps: VentilatorCapabilities, description: string): string | null {
  if (caps.oneBreathPeepDrop === true && caps.guided !== true) return null;
  return (
    `${description} cannot drop PEEP for a single breath on command${caps.guided ? ' (guided: a person takes longer than one breath)' : ''}: ` +
    'do the one-breath test by hand (volume control, PEEP 15 -> 5 for one breath, back to 15), guided at the terminal: rmseq screen --by-hand; or enter the numbers from a file: rmseq screen --readings <file.json> ' +
    '(tidalVolumeMl, releaseExpiredVolumeMl, lowPlateauCmH2O; optional highPeepCmH2O, lowPeepCmH2O, airwayOpeningPressureCmH2O)'
  );
}

async function assertOneBreathDrop(opened: OpenedSession, journal: Journal | null, stdin: StdinLines | null): Promise<void> {
  const problem = oneBreathDropProblem(opened.session.device.capabilities, opened.description);
  if (problem === null) return;
  stdin?.close();
  await opened.dispose();
  journal?.close();
  throw new CliError(problem, EXIT.badInput);
}

/**
 * The operator checklist for this run: the one `--confirm-checklist` gives; else, when the run
 * requires it and stdin is a terminal, one y/n answer per item. Null: nothing confirmed (a run
 * that requires the checklist is then refused by the preconditions, 'checklist-not-confirmed').
 */
async function checklistFor(required: boolean, items: ChecklistConfirmation['items'] | null, stdin: StdinLines | null, io: RunIo): Promise<ChecklistConfirmation | null> {
  if (items) return confirmation(items, operatorName(), Date.now());
  if (!required) return null;
  if (stdin && process.stdin.isTTY === true) return confirmation(await askChecklist(stdin.lines$, io.stderr), operatorName(), Date.now());
  io.stderr(`rmseq: this run needs the operator checklist confirmed (${CHECKLIST_IDS.join(', ')}): give --confirm-checklist all (or the ids) for a scripted run, or run at a terminal to be asked\n`);
  return null;
}

/** The built-in simulator: a virtual clock unless the run is on the wall clock; a batch run ends at failsafe. */
function simulatorRunSource(flags: RunFlags, realtime: boolean, speed: number, guidedTimeoutS: number, watchMin: number): SessionSource {
  const { name: patientName, profile } = loadPatient(flags.patient ?? '');
  const baseline = loadBaseline(flags.baseline);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  return simulatedSource({
    patientName,
    profile,
    seed,
    baseline,
    speed,
    clock: realtime ? 'wall' : 'virtual',
    guided: Boolean(flags.guided),
    guidedTimeoutMs: guidedTimeoutS * 1000,
    monitor: { artifacts: { enabled: Boolean(flags.artifacts) }, dropouts: { enabled: Boolean(flags.dropouts) } },
    policy: { onCompleted: watchMin > 0 ? 'wait' : 'end', onFailsafe: realtime ? 'wait' : 'end' },
    ...(patientSizeFlags(flags) ? { patient: patientSizeFlags(flags)! } : {}),
  });
}

/** A ventilator (`--device`) and its monitor feed (`--vitals`), on the wall clock. */
function deviceRunSource(flags: RunFlags, speed: number, guidedTimeoutS: number, watchMin: number): SessionSource {
  const choice = parseDeviceFlags(flags);
  const vitals = parseVitalsTarget(flags.vitals ?? '', flags.vitalsBaud);
  return deviceSource({
    device: choice.spec,
    serial: choice.serial,
    vitals,
    guided: Boolean(flags.guided) || choice.spec.protocol === 'medibus',
    guidedTimeoutMs: guidedTimeoutS * 1000,
    speed,
    policy: { onCompleted: watchMin > 0 ? 'wait' : 'end', onFailsafe: 'wait' },
    ...(patientSizeFlags(flags) ? { patient: patientSizeFlags(flags)! } : {}),
  });
}

/**
 * Start-up check of the journal: an unfinished maneuver on a device is recovered (the
 * recorded baseline restored, verified) and the run stops there, so the operator decides
 * what comes next. A simulator died with its process: that is noted and the run goes on.
 * Returns an exit code when the run must stop, null to go on.
 */
async function recoverOnStartup(path: string, key: Buffer | undefined, journal: Journal, session: Session, device: OpenedSession['device'], io: RunIo): Promise<number | null> {
  if (statSync(path).size === 0) return null; // a new journal holds nothing to recover
  const parsed = loadJournal(path, { key, intact: true });
  const unfinished = findUnfinished(parsed);
  if (!unfinished) return null;
  if (!device) refuseToHideUnfinished(path, unfinished, journal);
  if (!device || unfinished.device === 'simulator') {
    journal.write('recover-note', { recovers: unfinished.session, message: 'an unfinished simulator session: the simulated device ended with its process; nothing to restore', unfinished });
    return null;
  }
  // Before anything is sent: this must be the journal's device, and its baseline a valid one for it.
  assertRecoverable(path, unfinished, parsed.protocol, device.identity, device.capabilities, journal);
  io.stderr(`journal ${path}: a ${unfinished.maneuver} from ${unfinished.startedAtIso ?? '?'} never finished (last state ${unfinished.lastState ?? '?'}); restoring its baseline first...\n`);
  const r = await recoverBaseline(unfinished, session.options.ventilator, { journal, device: device.identity });
  if (r.restored) {
    io.stderr(`baseline restored and verified${r.alreadyAtBaseline ? ' (the device already held it)' : ''}. Start the maneuver again when ready.\n`);
    for (const e of r.errors) io.stderr(`note: ${e}\n`);
    return EXIT.aborted;
  }
  io.stderr(`FAILSAFE: the baseline could not be restored (${r.errors.join('; ')}). CHECK THE VENTILATOR.\n`);
  return EXIT.failsafe;
}

/**
 * What was verified on the path the run took (issue 21): the final settings on completion, the
 * baseline restore on abort or failsafe; null where the path has nothing of that kind (a
 * completed run restores nothing, an aborted one has no final settings).
 */
function verificationOf(s: SessionSummary): { finalSettingsVerified: boolean | null; baselineRestoreVerified: boolean | null } {
  if (s.outcome === 'completed') return { finalSettingsVerified: s.finalSettingsVerified, baselineRestoreVerified: null };
  if (s.outcome === 'aborted' || s.outcome === 'failsafe') return { finalSettingsVerified: null, baselineRestoreVerified: s.baselineVerified };
  return { finalSettingsVerified: null, baselineRestoreVerified: s.baselineVerified ? true : null };
}

/** The machine-readable result of `run --json`. */
export function toJsonResult(s: SessionSummary, extra: Record<string, unknown>) {
  return {
    ...extra,
    maneuver: s.maneuver,
    outcome: s.outcome,
    finalPeepCmH2O: s.finalPeepCmH2O,
    derecruitmentPeepCmH2O: s.derecruitmentPeepCmH2O,
    abortReason: s.abort?.reason ?? null,
    abort: s.abort,
    baseline: s.baseline,
    ...verificationOf(s),
    verifiedSettings: s.verifiedSettings,
    durationMs: s.durationMs,
    response: s.response,
    preconditionIssues: s.preconditionIssues,
    restoreFailures: s.restoreFailures,
    steps: s.steps,
    patientSize: s.patient,
    decidedBy: s.titration.decidedBy,
    derecruitmentSeen: s.titration.derecruitmentSeen,
    methodPeeps: Object.fromEntries(s.titration.methods.map((m) => [m.method, m.peepCmH2O])),
    finalPlateauCmH2O: s.titration.limitsMeasured?.plateauCmH2O ?? null,
    finalDrivingPressureCmH2O: s.titration.limitsMeasured?.drivingPressureCmH2O ?? null,
    finalTidalVolumeMlPerKg: s.titration.limitsMeasured?.tidalVolumeMlPerKg ?? null,
    titration: s.titration,
    preoxygenation: s.preoxygenation ?? null,
    finalFio2: s.finalFio2 ?? null,
    restoreSettings: s.restoreSettings ?? s.baseline,
    ...(s.screen !== undefined ? { screen: s.screen } : {}),
  };
}
