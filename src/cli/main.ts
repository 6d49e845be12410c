/**
 * `rmseq`: the command line. Every command validates its input first; bad input exits 2
 * with a message naming the problem, and nothing starts.
 */
import { Command, CommanderError } from 'commander';
import { isValidationError } from '../../common/validation.js';
import { CliError, EXIT } from './exitCodes.js';
import { cohortCommand, type CohortFlags } from './cohort.js';
import { consoleCommand, type ConsoleFlags } from './console.js';
import { runCommand, type RunFlags, type RunIo } from './run.js';
import { replayCommand, reportCommand, schemaCommand, validateCommand } from './tools.js';
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
  2  bad input: nothing was started
  3  aborted by a guard, a fault or the operator; baseline restored and verified
  4  FAILSAFE: baseline could not be verified; check the ventilator
  5  not started: preconditions not met (nothing changed)
  6  replay: the machine reached different decisions`;

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

  program
    .command('run')
    .description('run a maneuver (built-in simulator, virtual time unless --realtime/--speed)')
    .argument('<maneuver>', 'sustained-inflation | high-pressure-pcv | staircase')
    .requiredOption('--patient <profile>', 'built-in profile name or profile .json file')
    .option('--protocol <file>', 'protocol configuration .json (defaults otherwise)')
    .option('--baseline <file>', 'baseline ventilator settings .json for the simulator')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--realtime', 'run on the wall clock (rehearsal at clock speed)')
    .option('--speed <x>', 'run on the wall clock, x times faster')
    .option('--json', 'print the result as JSON (no progress)')
    .option('--journal <file>', 'append the audit journal (JSON lines) to this file')
    .option('--journal-decimate <n>', 'journal every nth sample/tick (replay becomes approximate)')
    .option('--artifacts', 'simulate SpO2/MAP artifacts')
    .option('--dropouts', 'simulate monitor dropouts')
    .option('--guided', 'guided mode: print each setting as an instruction and wait for Enter (wall clock)')
    .option('--guided-timeout <s>', 'abort when an instruction is not carried out in time (s)', '120')
    .addHelpText('after', EXIT_HELP)
    .action(async (maneuver: string, flags: RunFlags) => setExit(await runCommand(maneuver, flags, io)));

  program
    .command('cohort')
    .description('run a maneuver over a seeded virtual cohort (worker threads); print outcome and abort statistics')
    .option('--patients <n>', 'cohort size', '100')
    .option('--seed <n>', 'cohort seed', '1')
    .option('--maneuver <name>', 'sustained-inflation | high-pressure-pcv | staircase', 'staircase')
    .option('--protocol <file>', 'protocol configuration .json')
    .option('--baseline <file>', 'baseline ventilator settings .json')
    .option('--workers <n>', 'worker threads (default: one per core; 0 = in process)')
    .option('--json', 'print statistics as JSON')
    .action(async (flags: CohortFlags) => setExit(await cohortCommand(flags, io)));

  program
    .command('console')
    .description('therapist console: local web UI for a guided maneuver on the built-in simulator')
    .option('--port <p>', 'port to listen on (0 = any free port)', '8417')
    .option('--host <address>', 'address to listen on (default: this computer only)', '127.0.0.1')
    .option('--patient <profile>', 'built-in profile name or profile .json file', 'moderate-ards')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--speed <x>', 'simulated clock speed, x times real time (0.1-1000)', '1')
    .option('--guided', 'guided mode: the operator sets the ventilator when told and confirms')
    .action(async (flags: ConsoleFlags) => setExit(await consoleCommand(flags, io)));

  program
    .command('replay')
    .description('re-run the machine on a journal and check it reaches the same decisions')
    .argument('<journal>', 'journal file written by run --journal')
    .option('--json', 'print the comparison as JSON')
    .action((path: string, flags: { json?: boolean }) => setExit(replayCommand(path, flags, io)));

  program
    .command('report')
    .description('write a self-contained HTML report (plots, step table, events) from a journal')
    .argument('<journal>', 'journal file written by run --journal')
    .option('--out <file>', 'output HTML file (default: the journal name with .html)')
    .action((path: string, flags: { out?: string }) => setExit(reportCommand(path, flags, io)));

  program
    .command('validate')
    .description('check a protocol configuration file')
    .argument('<protocol>', 'protocol .json')
    .action((path: string) => setExit(validateCommand(path, io)));

  program
    .command('schema')
    .description('print the JSON Schema of a configuration')
    .argument('[name]', 'protocol | sustained-inflation | high-pressure-pcv | staircase | safety', 'protocol')
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
    if (isValidationError(e)) {
      io.stderr(`rmseq: ${e.message}\n`);
      return EXIT.badInput;
    }
    io.stderr(`rmseq: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.internal;
  }
}
