/**
 * The CLI rig the MakAir PTY tests share: `rmseq emulate makair` as a child process on the device
 * ends of two new pseudo-terminal pairs (ventilator, monitor line), a protocol written to a file
 * beside them, and the `rmseq run` arguments that reach them from the host ends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli, waitForOutput } from '../../support/cli.js';
import { ptyPair, type PtyPair } from './pty.js';

export interface MakAirCliRig {
  dev: PtyPair;
  vit: PtyPair;
  /** The protocol file. */
  protocol: string;
  emulator: ReturnType<typeof startCli>;
  /** `rmseq run <maneuver>` on this rig's ports and protocol at its speed, checklist confirmed, FiO2 0.4, then `extra`. */
  runArgs(maneuver: string, extra?: string[]): string[];
  /** Stops the emulator (SIGINT, waits for it) and closes both pairs; again, it finds them stopped. */
  close(): Promise<void>;
}

/**
 * Starts the rig and resolves once the emulator says it is up; if it never does, everything
 * started is stopped before the error is passed on.
 *
 * @example
 * const rig = await makairCliRig(dir, 'fs0', HOLD, '4');
 * try { const run = startCli(rig.runArgs('high-pressure-pcv')); ... } finally { await rig.close(); }
 */
export async function makairCliRig(dir: string, name: string, protocol: unknown, speed: string, emulatorArgs: string[] = []): Promise<MakAirCliRig> {
  const dev = await ptyPair(dir, `${name}-makair`);
  const vit = await ptyPair(dir, `${name}-vitals`).catch(async (e: unknown) => {
    await dev.close();
    throw e;
  });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(protocol));
  const emulator = startCli(['emulate', 'makair', '--port', dev.device, '--vitals-port', vit.device, '--patient', 'moderate-ards', '--speed', speed, ...emulatorArgs]);
  const close = async (): Promise<void> => {
    emulator.child.kill('SIGINT');
    await emulator.done;
    await dev.close();
    await vit.close();
  };
  try {
    await waitForOutput(emulator.child, /rmseq emulate makair on/);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    dev,
    vit,
    protocol: file,
    emulator,
    runArgs: (maneuver, extra = []) => ['run', maneuver, '--confirm-checklist', 'all', '--device', `makair:${dev.host}`, '--fio2', '0.4', '--vitals', `line:${vit.host}`, '--protocol', file, '--speed', speed, ...extra],
    close,
  };
}
