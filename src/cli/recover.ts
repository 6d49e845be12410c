/**
 * `rmseq recover <journal>`: after a process died mid-maneuver (SIGKILL, power loss), restore
 * the baseline recorded in its journal on the ventilator, verified by readback. On a MEDIBUS
 * device (read-only) the baseline becomes a guided instruction, confirmed from the device.
 */
import { WallClock } from '../../common/clock.js';
import { identityOf } from '../journal/identity.js';
import { findUnfinished, recoverBaseline } from '../journal/recover.js';
import { DeviceOpenError, openDeviceVentilator } from '../runner/device.js';
import { describeSettings } from './format.js';
import { parseDeviceFlags, type DeviceFlags } from './device.js';
import { CliError, EXIT } from './exitCodes.js';
import { answerPromptsFromStdin } from './interactive.js';
import type { RunIo } from './run.js';
import { loadJournal, loadJournalKey, openJournalFile } from './journalFiles.js';
import { assertRecoverable } from './recovery.js';

export type RecoverFlags = Omit<DeviceFlags, 'vitals' | 'vitalsBaud'> & { journalKey?: string };

export async function recoverCommand(path: string, flags: RecoverFlags, io: RunIo): Promise<number> {
  const key = loadJournalKey(flags.journalKey);
  const journal = loadJournal(path, { key, intact: true });
  const u = findUnfinished(journal);
  if (!u) {
    const how = journal.outcome ? `ended ${String((journal.outcome.summary as { outcome?: string }).outcome)}` : journal.recovered ? 'was already recovered' : 'never connected to a device';
    io.stdout(`${path}: nothing to recover (the last session ${how})\n`);
    return EXIT.completed;
  }
  io.stdout(`${path}: a ${u.maneuver} that never finished (started ${u.startedAtIso ?? '?'}, last state ${u.lastState ?? '?'}${u.lastCommand ? `, last command: ${u.lastCommand.label}` : ''})\nbaseline to restore: ${describeSettings(u.baseline)}\n`);
  if (u.device === 'simulator' && !flags.device) {
    io.stdout('the session ran on the built-in simulator, which ended with its process: nothing to restore\n');
    return EXIT.completed;
  }
  const recorded = u.device && /^(makair|medibus):/.test(u.device) ? u.device : undefined;
  const device = flags.device ?? recorded;
  if (!device) throw new CliError('the journal names no device: give --device makair:<port> or medibus:<port>');
  const choice = parseDeviceFlags({ ...flags, device });
  const clock = new WallClock();
  let dev;
  try {
    dev = await openDeviceVentilator({ device: choice.spec, serial: choice.serial, clock, ...(choice.spec.protocol === 'medibus' ? { guided: { timeoutMs: 300_000 } } : {}) });
  } catch (e) {
    if (e instanceof DeviceOpenError) throw new CliError(e.message, EXIT.badInput);
    throw e;
  }
  let writer;
  try {
    writer = openJournalFile('journal', path, { durability: 'fsync', ...(key ? { key } : {}) });
    const now = identityOf(choice.spec.protocol, choice.spec.path, dev.info);
    assertRecoverable(path, u, journal.protocol, now, dev.info.capabilities, writer);
  } catch (e) {
    writer?.close();
    await dev.close();
    throw e;
  }
  const stopPrompts = dev.guided ? answerPromptsFromStdin(dev.guided, io, true) : () => undefined;
  try {
    const r = await recoverBaseline(u, dev.ventilator, { journal: writer, device: identityOf(choice.spec.protocol, choice.spec.path, dev.info) });
    if (r.restored) {
      io.stdout(`baseline ${r.alreadyAtBaseline ? 'was already in force' : 'restored'} and verified on ${dev.info.vendor} ${dev.info.model}: ${r.readback ? describeSettings(r.readback) : ''}\n`);
      // Restored with something left undone (the device settings captured at the start): the operator is told what to check.
      for (const e of r.errors) io.stderr(`note: ${e}\n`);
      return EXIT.aborted;
    }
    io.stderr(`FAILSAFE: the baseline could not be restored (${r.errors.join('; ')}). CHECK THE VENTILATOR.\n`);
    return EXIT.failsafe;
  } finally {
    stopPrompts();
    writer.close();
    await dev.close();
  }
}
