/**
 * `rmseq`: the command line. Every command validates its input first; bad input exits 2
 * with a message naming the problem, and nothing starts.
 */
import { Command, CommanderError } from 'commander';
import { isValidationError } from '../../common/validation.js';
import { CliError, EXIT } from './exitCodes.js';
import { cohortCommand, cohortMergeCommand, type CohortFlags } from './cohort.js';
import { emulateCommand, type EmulateFlags } from './emulate.js';
import { MAX_TRIAL_ARMS, TRIAL_HORIZON_MIN, trialCommand, trialMergeCommand, type TrialFlags } from './trial.js';
import { portsCommand } from './ports.js';
import { recoverCommand, type RecoverFlags } from './recover.js';
import { CONSOLE_DEFAULTS, consoleCommand, type ConsoleFlags } from './console.js';
import { DEFAULT_FAILSAFE_TIMEOUT_MS, type RunFlags, type RunIo } from './run.js';
import { runCommand } from './runCommand.js';
import { WATCH_DEFAULT_MIN } from './watch.js';
import { adviseCommand, type AdviseFlags } from './advise.js';
import { GUIDED_TIMEOUT_FLAG_S } from './inputs.js';
import { VITALS_LINE_DEFAULTS } from '../../hal/vitals/index.js';
import { CHECKLIST_IDS } from '../../machines/index.js';
import { replayCommand, reportCommand, schemaCommand, validateCommand } from './tools.js';
import { screenCommand, type ScreenFlags } from './screen.js';
import { verifyCommand } from './verify.js';
import { testgenCommand, type TestgenFlags } from './testgen.js';
import { isJsonInputError } from '../../common/jsonInput.js';
import { ownVersion } from './versions.js';

const processIo: RunIo = {
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
  isTTY: Boolean(process.stdout.isTTY),
};

const EXIT_HELP = `
Exit codes:
  0  completed (resulting settings verified)
  1  internal error (baseline restored if a maneuver was running)
  2  bad input (flags, files, a journal that is not this tool's, is broken or is another device's): nothing was started or sent
  3  aborted by a guard, a fault or the operator; baseline restored and verified
  4  FAILSAFE: baseline could not be verified; check the ventilator
  5  not started: preconditions not met (nothing changed)
  6  replay: the machine reached different decisions`;

/** The ventilator and serial-line options shared by `run`, `console` and `recover`. */
function ventilatorOptions(cmd: Command, deviceHelp: string): Command {
  return cmd
    .option('--device <protocol:port>', deviceHelp)
    .option('--fio2 <fraction>', 'MakAir: the FiO2 set on the oxygen supply, 0.21-1 (the MakAir cannot report it)')
    .option('--family <name>', 'MEDIBUS device family: evita | primus | v300')
    .option('--medibus-codes <file>', "MEDIBUS: the device's code table (.json, as hal/medibus/codes/<family>.json) instead of the family's built-in one")
    .option('--baud <n>', 'serial baud rate (default per protocol/family)')
    .option('--parity <p>', 'serial parity: none | even | odd')
    .option('--data-bits <n>', 'serial data bits: 7 | 8')
    .option('--stop-bits <n>', 'serial stop bits: 1 | 2');
}

/** `ventilatorOptions` and the patient monitor feed: what a maneuver on a device needs. */
function deviceOptions(cmd: Command, deviceHelp: string): Command {
  return ventilatorOptions(cmd, deviceHelp)
    .option('--vitals <monitor>', 'with --device: the patient monitor: intellivue:udp:HOST[:PORT] or intellivue:serial:PORT (Philips IntelliVue Data Export), or line:PORT (one JSON object per line)')
    .option('--vitals-baud <n>', `serial vitals baud rate (default: line ${VITALS_LINE_DEFAULTS.baudRate}, IntelliVue MIB 115200)`);
}

export function buildProgram(setExit: (code: number) => void, io: RunIo = processIo): Command {
  const program = new Command();
  // Before any subcommand is added: subcommands copy the output settings when created.
  program.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program
    .name('rmseq')
    .description('Lung recruitment maneuver sequencing controller')
    .version(ownVersion())
    .showHelpAfterError()
    .addHelpText('after', EXIT_HELP)
    .exitOverride();

  const run = program
    .command('run')
    .description('run a maneuver on the built-in simulator (virtual time unless --realtime/--speed/--guided) or on a ventilator (--device)')
    .argument('<maneuver>', 'sustained-inflation | high-pressure-pcv | staircase')
    .option('--patient <profile>', 'simulator: built-in profile name or profile .json file')
    .option('--height-cm <cm>', 'patient height, 130-230 cm (with --sex): predicted body weight limits Vt per kg; simulator default: the profile\'s')
    .option('--sex <male|female>', 'patient sex for predicted body weight (with --height-cm)')
    .option('--protocol <file>', 'protocol configuration .json (defaults otherwise)')
    .option('--baseline <file>', 'simulator: baseline ventilator settings .json')
    .option('--seed <n>', 'simulator: simulation seed (default 1)')
    .option('--realtime', 'run on the wall clock (rehearsal at clock speed)')
    .option('--speed <x>', 'run on the wall clock, x times faster')
    .option('--json', 'print the result as JSON (no progress)')
    .option('--journal <file>', 'append the audit journal (JSON lines) to this file')
    .option('--journal-decimate <n>', 'journal every nth sample/tick (replay becomes approximate)')
    .option('--journal-key <file>', 'HMAC key for the journal hash chain (edits without the key become detectable)')
    .option('--artifacts', 'simulate SpO2/MAP artifacts')
    .option('--dropouts', 'simulate monitor dropouts')
    .option('--guided', 'guided mode: print each setting as an instruction and wait for Enter (wall clock)')
    .option('--guided-timeout <s>', `with --guided (or MEDIBUS): abort when an instruction is not carried out in time (${GUIDED_TIMEOUT_FLAG_S.min}-${GUIDED_TIMEOUT_FLAG_S.max} s, default ${GUIDED_TIMEOUT_FLAG_S.default})`)
    .option('--confirm-checklist <items>', `the operator checklist confirmed for a scripted run: all, or ids comma-separated (${CHECKLIST_IDS.join(', ')}); required on a device or the wall clock, where a terminal is asked otherwise`)
    .option('--watch-min <n>', `after a completed maneuver, watch at the final settings for n minutes, 0-240 (0: none; default ${WATCH_DEFAULT_MIN} on the virtual clock, 0 on the wall clock); advisory only, nothing is set`)
    .option('--pao2 <mmHg>', 'arterial PaO2 (20-700 mmHg) for the rescue-therapy advisor shown after a failed run (P/F, OI)')
    .option('--mawp <cmH2O>', 'mean airway pressure as displayed (1-60 cmH2O) for the advisor (OI, OSI); default: estimated in PCV')
    .option('--watch-event <events>', 'simulator: scripted events during the watch, <disconnection|suction>@<minute>[:<seconds>], comma-separated, e.g. disconnection@5:30')
    .option('--failsafe-timeout <s>', `in FAILSAFE, end the run (exit 4, device state printed) after this many seconds of the session clock; default ${DEFAULT_FAILSAFE_TIMEOUT_MS / 1000} without a terminal, else wait for \`ack\` + Enter`)
    .option('--screen', 'staircase: run the recruitability screen (R/I) first; its policy (warn | block | cap) decides whether and how the staircase runs')
    .option('--screen-protocol <file>', 'with --screen: the screen protocol .json (recruitability-screen; implies --screen)');
  deviceOptions(run, 'a real ventilator: makair:/dev/ttyUSB0 or medibus:/dev/ttyUSB1 (MEDIBUS is always guided)')
    .addHelpText('after', `\nExamples:\n  rmseq run staircase --patient moderate-ards\n  rmseq run staircase --device makair:/dev/ttyUSB0 --fio2 0.4 --vitals intellivue:udp:10.0.0.5 --protocol makair-staircase.json\n  rmseq run staircase --device medibus:/dev/ttyUSB1 --family evita --vitals intellivue:serial:/dev/ttyUSB2\n  rmseq run staircase --device makair:/dev/ttyUSB0 --fio2 0.4 --vitals line:/dev/ttyUSB2   (a JSON-lines bridge)\n${EXIT_HELP}`)
    .action(async (maneuver: string, flags: RunFlags) => setExit(await runCommand(maneuver, flags, io)));

  const screen = program
    .command('screen')
    .description('recruitability screen (R/I, Chen 2020): at PEEP 15 one breath at PEEP 5, verified return, R/I and the recommendation; the same target flags as run, or --readings for the test done by hand')
    .option('--readings <file>', 'the one-breath test done by hand on a ventilator that cannot drop PEEP for one breath (MakAir, MEDIBUS): its numbers, .json')
    .option('--by-hand', 'the one-breath test done by hand, guided step by step at the terminal: type each reading as the ventilator shows it')
    .option('--patient <profile>', 'simulator: built-in profile name or profile .json file')
    .option('--height-cm <cm>', 'patient height, 130-230 cm (with --sex)')
    .option('--sex <male|female>', 'patient sex for predicted body weight (with --height-cm)')
    .option('--protocol <file>', 'screen protocol .json (recruitability-screen; defaults otherwise)')
    .option('--baseline <file>', 'simulator: baseline ventilator settings .json')
    .option('--seed <n>', 'simulator: simulation seed (default 1)')
    .option('--realtime', 'run on the wall clock (rehearsal at clock speed)')
    .option('--speed <x>', 'run on the wall clock, x times faster')
    .option('--json', 'print the result as JSON (no progress)')
    .option('--journal <file>', 'append the audit journal (JSON lines) to this file')
    .option('--journal-decimate <n>', 'journal every nth sample/tick (replay becomes approximate)')
    .option('--journal-key <file>', 'HMAC key for the journal hash chain')
    .option('--artifacts', 'simulate SpO2/MAP artifacts')
    .option('--dropouts', 'simulate monitor dropouts')
    .option('--confirm-checklist <items>', `the operator checklist confirmed for a scripted run: all, or ids comma-separated (${CHECKLIST_IDS.join(', ')})`)
    .option('--failsafe-timeout <s>', 'in FAILSAFE, end the run after this many seconds of the session clock (wall-clock runs)');
  deviceOptions(screen, 'a real ventilator that drops PEEP for one breath on command (MakAir and MEDIBUS cannot: use --by-hand or --readings)')
    .addHelpText('after', `\nExamples:\n  rmseq screen --patient moderate-ards\n  rmseq screen --readings bed4-ri.json --journal bed4.jsonl\n  rmseq screen --by-hand --journal bed4.jsonl\n  rmseq run staircase --patient moderate-ards --screen --screen-protocol block.json\n${EXIT_HELP}`)
    .action(async (flags: ScreenFlags) => setExit(await screenCommand(flags, io)));

  program
    .command('emulate')
    .description('emulate a MakAir or Draeger MEDIBUS ventilator, or a Philips IntelliVue monitor, driven by a simulated patient; control commands on stdin (`help`); Ctrl-C stops')
    .argument('<device>', 'makair | medibus | intellivue')
    .option('--port <path>', 'serial port or pseudo-terminal the device talks on (IntelliVue: its MIB RS232 port)')
    .option('--listen <udp:host:port>', 'intellivue: where its LAN (Data Export, UDP) interface listens, e.g. udp:127.0.0.1:24105')
    .option('--vitals-port <path>', 'also write the monitor feed (one JSON line per second) here')
    .requiredOption('--patient <profile>', 'built-in profile name or profile .json file')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--speed <x>', 'wall clock x times faster (the host must use the same speed)')
    .option('--device <family>', 'MEDIBUS family: evita | primus | v300 (required for medibus)')
    .option('--baseline <file>', 'device settings at start (default PCV PEEP 10, peak 25, 20/min, FiO2 0.4)')
    .option('--device-id <id>', 'identity the device reports: MakAir n-n-n (default derived from --port), MEDIBUS 4 characters (default per family: evita 0161, primus 0162, v300 0163)')
    .option('--medibus-codes <file>', 'MEDIBUS: code table (.json, as hal/medibus/codes/<family>.json) the emulated device reports through')
    .option('--baud <n>', 'serial baud rate')
    .option('--parity <p>', 'serial parity')
    .option('--data-bits <n>', 'serial data bits')
    .option('--stop-bits <n>', 'serial stop bits')
    .option('--vitals-baud <n>', 'vitals port baud rate', String(VITALS_LINE_DEFAULTS.baudRate))
    .action(async (device: string, flags: EmulateFlags) => setExit(await emulateCommand(device, flags, io)));

  program
    .command('advise')
    .description('rescue-therapy advisor (advisory only; opens no device): oxygenation indices and escalation options with their criteria met / not met / unknown')
    .option('--fio2 <f>', 'inspired O2 fraction, 0.21-1 (required)')
    .option('--spo2 <pct>', 'SpO2 %, 50-100 (required)')
    .option('--pao2 <mmHg>', 'arterial PaO2, 20-700 mmHg (P/F and OI need it)')
    .option('--mawp <cmH2O>', 'mean airway pressure as displayed, 1-60 cmH2O (OI and OSI need it)')
    .option('--peep <cmH2O>', 'PEEP, 0-50 cmH2O')
    .option('--map <mmHg>', 'mean arterial pressure, 20-200 mmHg')
    .option('--vasopressors <yes|no>', 'vasopressors running')
    .option('--tried <list>', 'already tried or unsuitable: recruitment, prone, neuromuscular-blockade, pulmonary-vasodilators (comma-separated)')
    .option('--json', 'print the advice as JSON')
    .addHelpText('after', '\nExample:\n  rmseq advise --fio2 0.8 --spo2 88 --pao2 62 --mawp 24 --peep 14\nSources of every criterion: docs/advisor.md')
    .action((flags: AdviseFlags) => setExit(adviseCommand(flags, io)));

  program
    .command('ports')
    .description('list serial ports')
    .action(async () => setExit(await portsCommand(io)));

  const recover = program
    .command('recover')
    .description('restore the recorded baseline after a maneuver that never finished (process killed, power loss)')
    .argument('<journal>', 'the journal of the interrupted session')
    .option('--journal-key <file>', 'the HMAC key the journal was written with');
  ventilatorOptions(recover, 'the ventilator (default: the one the journal names)')
    .action(async (path: string, flags: RecoverFlags) => setExit(await recoverCommand(path, flags, io)));

  const cohort = program
    .command('cohort')
    .description('run a maneuver over a seeded virtual cohort (worker threads); print outcome and abort statistics')
    .option('--patients <n>', 'cohort size', '100')
    .option('--seed <n>', 'cohort seed', '1')
    .option('--maneuver <name>', 'sustained-inflation | high-pressure-pcv | staircase', 'staircase')
    .option('--protocol <file>', 'protocol configuration .json')
    .option('--baseline <file>', 'baseline ventilator settings .json')
    .option('--workers <n>', 'worker threads (default: one per core; 0 = in process)')
    .option('--json', 'print statistics as JSON')
    .option('--shard <K/N>', 'run only shard K of N (0-based; patients floor(K*n/N) to floor((K+1)*n/N)-1) and write a part with --out')
    .option('--out <part.json>', 'write the per-patient results as a part file for `rmseq cohort merge`')
    .addHelpText('after', '\nExamples:\n  rmseq cohort --patients 10000 --seed 7\n  rmseq cohort --patients 10000 --seed 7 --shard 0/4 --out part-0.json   (one per machine, K = 0..3)\n  rmseq cohort merge part-*.json --json\n')
    .action(async (flags: CohortFlags) => setExit(await cohortCommand(flags, io)));
  cohort
    .command('merge')
    .description('merge the parts of a sharded cohort (cohort --shard K/N --out): exactly the statistics of the unsharded run')
    .argument('<parts...>', 'the part files, one per shard, in any order')
    .option('--json', 'print statistics as JSON')
    .action((parts: string[], flags: { json?: boolean }) => {
      // `--json` is also an option of `cohort`, which commander gives it wherever it stands.
      const json = Boolean(flags.json ?? cohort.opts<CohortFlags>().json);
      const given = Object.keys(cohort.opts()).filter((k) => k !== 'json' && cohort.getOptionValueSource(k) === 'cli');
      if (given.length) throw new CliError(`cohort merge takes the configuration from the parts: --${given.join(', --')} given before merge`);
      setExit(cohortMergeCommand(parts, { json }, io));
    });

  const trial = program
    .command('trial')
    .description('a virtual trial: every arm (maneuver, protocol file or none) on the same seeded cohort; per arm and patient group, with 95% CIs')
    .option('--arms <list>', `comma-separated: ${'staircase, sustained-inflation, high-pressure-pcv'}, none, or protocol .json files (max ${MAX_TRIAL_ARMS})`, 'staircase,sustained-inflation,high-pressure-pcv,none')
    .option('--patients <n>', 'cohort size', '100')
    .option('--seed <n>', 'cohort seed', '1')
    .option('--baseline <file>', 'baseline ventilator settings .json')
    .option('--horizon-min <min>', `assessment time after each arm's start, ${TRIAL_HORIZON_MIN.min}-${TRIAL_HORIZON_MIN.max} min of virtual time (default ${TRIAL_HORIZON_MIN.default})`)
    .option('--workers <n>', 'worker threads (default: one per core; 0 = in process)')
    .option('--json', 'print the statistics and every patient as JSON')
    .option('--html <file>', 'also write a self-contained HTML page with plots')
    .option('--shard <K/N>', 'run only shard K of N and write a part with --out (as `rmseq cohort`)')
    .option('--out <part.json>', 'write the per-patient results as a part file for `rmseq trial merge`')
    .addHelpText('after', '\nExamples:\n  rmseq trial --arms staircase,sustained-inflation,high-pressure-pcv,none --patients 1000 --seed 7 --html trial.html\n  rmseq trial --arms strict.json,lenient.json,none --patients 500\n  rmseq trial --patients 100000 --shard 3/8 --out part-3.json; rmseq trial merge part-*.json --html trial.html\n')
    .action(async (flags: TrialFlags) => setExit(await trialCommand(flags, io)));
  trial
    .command('merge')
    .description('merge the parts of a sharded trial (trial --shard K/N --out): exactly the statistics of the unsharded run')
    .argument('<parts...>', 'the part files, one per shard, in any order')
    .option('--json', 'print the statistics and every patient as JSON')
    .option('--html <file>', 'also write the HTML page')
    .action((parts: string[], flags: { json?: boolean; html?: string }) => {
      const parent = trial.opts<TrialFlags>();
      const given = Object.keys(parent).filter((k) => k !== 'json' && k !== 'html' && trial.getOptionValueSource(k) === 'cli');
      if (given.length) throw new CliError(`trial merge takes the configuration from the parts: --${given.join(', --')} given before merge`);
      const html = flags.html ?? parent.html;
      setExit(trialMergeCommand(parts, { json: Boolean(flags.json ?? parent.json), ...(html !== undefined ? { html } : {}) }, io));
    });

  const consoleCmd = program
    .command('console')
    .description('therapist console: local web UI for a maneuver on the built-in simulator or on a ventilator (--device)')
    .option('--port <p>', 'port to listen on (0 = any free port)', String(CONSOLE_DEFAULTS.port))
    .option('--host <address>', 'address to listen on (default: this computer only)', CONSOLE_DEFAULTS.host)
    .option('--patient <profile>', `simulator: built-in profile name or profile .json file (default ${CONSOLE_DEFAULTS.patient})`)
    .option('--seed <n>', `simulator: simulation seed (default ${CONSOLE_DEFAULTS.seed})`)
    .option('--speed <x>', `simulator: clock speed, x times real time, 0.1-1000 (default ${CONSOLE_DEFAULTS.speed})`)
    .option('--guided', 'guided mode: the operator sets the ventilator when told and confirms (always on for MEDIBUS)')
    .option('--guided-timeout <s>', `seconds to carry out a guided instruction before the maneuver aborts (${GUIDED_TIMEOUT_FLAG_S.min}-${GUIDED_TIMEOUT_FLAG_S.max})`, String(GUIDED_TIMEOUT_FLAG_S.default))
    .option('--journal <file>', 'append every session to this audit journal (an unfinished one found there is restored first)')
    .option('--journal-key <file>', 'HMAC key for the journal hash chain')
    .option('--watch-min <n>', 'post-maneuver watch (advisory, sets nothing) while a completed maneuver waits for End or Repeat, 0-240 min (default 30; 0: none)');
  deviceOptions(consoleCmd, 'a real ventilator: makair:/dev/ttyUSB0 or medibus:/dev/ttyUSB1 (MEDIBUS is always guided)')
    .addHelpText('after', '\nExamples:\n  rmseq console --patient hypovolemic-ards --speed 10\n  rmseq console --device makair:/dev/ttyUSB0 --fio2 0.4 --vitals intellivue:udp:10.0.0.5 --journal bed4.jsonl\n  rmseq console --device medibus:/dev/ttyUSB1 --family evita --vitals intellivue:serial:/dev/ttyUSB2 --journal bed4.jsonl\n')
    .action(async (flags: ConsoleFlags) => setExit(await consoleCommand(flags, io)));

  program
    .command('replay')
    .description('re-run the machine on a journal and check it reaches the same decisions')
    .argument('<journal>', 'journal file written by run --journal')
    .option('--json', 'print the comparison as JSON')
    .option('--journal-key <file>', 'the HMAC key the journal was written with')
    .action((path: string, flags: { json?: boolean; journalKey?: string }) => setExit(replayCommand(path, flags, io)));

  program
    .command('verify')
    .description("check a journal's hash chain: OK, or the first line that was altered, inserted, reordered or deleted (exit 2)")
    .argument('<journal>', 'journal file')
    .option('--journal-key <file>', 'the HMAC key the journal was written with')
    .option('--json', 'print the result as JSON')
    .action((path: string, flags: { journalKey?: string; json?: boolean }) => setExit(verifyCommand(path, flags, io)));

  program
    .command('report')
    .description('write a self-contained HTML report (plots, step table, events) from a journal')
    .argument('<journal>', 'journal file written by run --journal')
    .option('--out <file>', 'output HTML file (default: the journal name with .html)')
    .option('--journal-key <file>', 'the HMAC key the journal was written with')
    .option('--session <n>', 'only session n of the journal (1 = the oldest); default: every session, with an index at the top')
    .action((path: string, flags: { out?: string; journalKey?: string; session?: string }) => setExit(reportCommand(path, flags, io)));

  program
    .command('validate')
    .description('check a protocol configuration file')
    .argument('<protocol>', 'protocol .json')
    .action((path: string) => setExit(validateCommand(path, io)));

  program
    .command('testgen')
    .description("write a vitest file of model-based paths through a protocol's maneuver machine, each replayed against your Ventilator")
    .option('--protocol <file>', 'the protocol .json the paths are generated for (it names its maneuver)')
    .option('--out <file>', 'the test file to write, e.g. test/generated.test.ts (a file testgen wrote before is replaced)')
    .option('--subject <module>', "module, relative to the output file, exporting `makeSubject()`: your ventilator and its clock (default: the built-in simulator)")
    .option('--baseline <file>', 'ventilator settings each path starts from, .json (default: the simulator baseline)')
    .option('--path-timeout <s>', 'seconds each path may take (1-3600, default 60)')
    .action((flags: TestgenFlags) => setExit(testgenCommand(flags, io)));

  program
    .command('schema')
    .description('print the JSON Schema of a configuration')
    .argument('[name]', 'protocol | sustained-inflation | high-pressure-pcv | staircase | recruitability-screen | screen-readings | safety', 'protocol')
    .action((name: string) => setExit(schemaCommand(name, io)));

  return program;
}

/** Runs `rmseq` with these arguments; returns the exit code (never throws). */
export async function main(argv: string[], io: RunIo = processIo): Promise<number> {
  let code = EXIT.completed as number;
  const program = buildProgram((c) => (code = c), io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors are bad input.
      return e.exitCode === 0 ? 0 : EXIT.badInput;
    }
    if (e instanceof CliError) {
      io.stderr(`rmseq: ${e.message}\n`);
      return e.exitCode;
    }
    if (isValidationError(e) || isJsonInputError(e)) {
      io.stderr(`rmseq: ${e.message}\n`);
      return EXIT.badInput;
    }
    io.stderr(`rmseq: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}
