/**
 * `rmseq emulate makair|medibus`: a device emulator on a serial port or pseudo-terminal,
 * driven by a simulated patient, until SIGINT. It prints what it does and reads control
 * commands from stdin, one per line (`help` lists them): faults, a leak, reboot, knob turns.
 *
 *   rmseq emulate makair  --port /tmp/makair-dev [--vitals-port /tmp/vitals-dev] --patient moderate-ards [--seed 1] [--speed 1]
 *   rmseq emulate medibus --port /tmp/medibus-dev --device evita --patient moderate-ards
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { every, WallClock } from '../../common/clock.js';
import { MEDIBUS_FAMILIES, loadCodeTableFile, type MedibusFamily } from '../../hal/medibus/index.js';
import { SerialTransport } from '../../hal/serial/transport.js';
import { SimWorld } from '../../hal/simulated/world.js';
import { CONTROL_HELP, MakAirEmulator, MedibusEmulator, VitalsFeedEmulator, executeControl, parseControlLine, type DeviceEmulator } from '../../emulators/index.js';
import { defaultLineSettings, explainPortError } from '../runner/device.js';
import { lineSettingsFrom, vitalsLineSettings } from './device.js';
import { DEFAULT_EMULATED_SETTINGS, untilSignal, type EmulateFlags, type EmulateIo } from './emulateOptions.js';
import { CliError, EXIT } from './exitCodes.js';
import { emulateIntelliVue } from './emulateIntelliVue.js';
import { intFlag, loadBaseline, loadPatient, numberFlag } from './inputs.js';

export { DEFAULT_EMULATED_SETTINGS, type EmulateFlags, type EmulateIo } from './emulateOptions.js';

/**
 * The MakAir device id the emulator reports when none is given: three words derived from the
 * port path, so two emulators on two ports are two devices (as two boards would be).
 *
 * @example
 * defaultMakAirId('/tmp/a-dev'); // e.g. "1789-52011-301"
 */
export function defaultMakAirId(port: string): string {
  const h = createHash('sha256').update(port).digest();
  return `${h.readUInt32BE(0)}-${h.readUInt32BE(4)}-${h.readUInt32BE(8)}`;
}

function parseDeviceId(kind: 'makair' | 'medibus', value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ok = kind === 'makair' ? /^\d{1,10}-\d{1,10}-\d{1,10}$/.test(value) && value.split('-').every((w) => Number(w) <= 0xffffffff) : /^[\x21-\x7e]{4}$/.test(value) && !value.includes("'");
  if (!ok) throw new CliError(`--device-id = ${JSON.stringify(value)}: ${kind === 'makair' ? 'a MakAir id is three whole numbers 0-4294967295 joined by "-", e.g. 4242-1-2' : 'a MEDIBUS id is 4 printable characters without an apostrophe, e.g. 0161'}`);
  return value;
}

/**
 * Validates every flag, opens the ports, runs until `until` (or SIGINT), returns the exit code.
 *
 * @example
 * await emulateCommand('makair', { port: '/tmp/makair-dev', patient: 'moderate-ards' }, { stdout, stderr });
 */
export async function emulateCommand(kind: string, flags: EmulateFlags, io: EmulateIo): Promise<number> {
  if (kind === 'intellivue') return emulateIntelliVue(flags, io);
  if (kind !== 'makair' && kind !== 'medibus') throw new CliError(`unknown device "${kind}": must be one of makair, medibus, intellivue`);
  if (!flags.port) throw new CliError('--port <path> is required: the serial port or pseudo-terminal the emulator talks on');
  let family: MedibusFamily | null = null;
  if (kind === 'medibus') {
    if (flags.device === undefined) throw new CliError(`--device is required for MEDIBUS: one of ${MEDIBUS_FAMILIES.join(', ')}`);
    if (!(MEDIBUS_FAMILIES as readonly string[]).includes(flags.device)) throw new CliError(`--device = ${JSON.stringify(flags.device)}: must be one of ${MEDIBUS_FAMILIES.join(', ')}`);
    family = flags.device as MedibusFamily;
  } else if (flags.device !== undefined) {
    throw new CliError('--device applies to `emulate medibus` only (the MEDIBUS family)');
  }
  if (flags.medibusCodes !== undefined && !family) throw new CliError('--medibus-codes applies to `emulate medibus` only');
  // Read and validated before any port opens: a bad file is bad input (JsonInputError / ValidationError, exit 2).
  const codeTable = family && flags.medibusCodes !== undefined ? loadCodeTableFile(flags.medibusCodes, family) : null;
  const deviceId = parseDeviceId(kind, flags.deviceId);
  const { name: patientName, profile } = loadPatient(flags.patient);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  const speed = numberFlag('speed', flags.speed, 0.1, 1000) ?? 1;
  const settings = flags.baseline ? loadBaseline(flags.baseline) : DEFAULT_EMULATED_SETTINGS;
  if (kind === 'makair' && settings.mode === 'CPAP') throw new CliError(`${flags.baseline}: a MakAir cannot start in CPAP; use PCV or VC`);
  const line = lineSettingsFrom(flags, family ? defaultLineSettings({ protocol: 'medibus', family }) : defaultLineSettings({ protocol: 'makair' }));
  const vitalsLine = vitalsLineSettings(flags.vitalsBaud);

  const open = async (path: string, s: typeof line, what: string): Promise<SerialTransport> => {
    try {
      return await SerialTransport.open({ path, ...s });
    } catch (e) {
      throw new CliError(explainPortError(path, e, what));
    }
  };
  const transport = await open(flags.port, line, 'device port');
  let vitalsPort: SerialTransport | null = null;
  try {
    vitalsPort = flags.vitalsPort ? await open(flags.vitalsPort, vitalsLine, 'vitals port') : null;
  } catch (e) {
    await transport.close();
    throw e;
  }

  const clock = new WallClock(speed);
  const startedAt = clock.now();
  const stamp = (t: number): string => `[${((t - startedAt) / 1000).toFixed(1).padStart(7)} s]`;
  const world = new SimWorld({ profile, seed, clock, settings });
  const emulator: DeviceEmulator = family
    ? new MedibusEmulator({ transport, clock, world, family, ...(codeTable ? { codeTable } : {}), ...(deviceId ? { identity: { idNumber: deviceId } } : {}) })
    : new MakAirEmulator({ transport, clock, world, fio2: settings.fio2, deviceId: deviceId ?? defaultMakAirId(flags.port) });
  const vitals = vitalsPort ? new VitalsFeedEmulator({ transport: vitalsPort, clock, world }) : null;
  const fmtLine = (s: typeof line): string => `${s.baudRate} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
  io.stdout(
    `rmseq emulate ${kind}${family ? ` (${family}${codeTable ? `, code table ${flags.medibusCodes}` : ''})` : ''} on ${flags.port} (${fmtLine(line)}), patient ${patientName} (seed ${seed}), clock x${speed}` +
      `${vitalsPort ? `; vitals feed on ${flags.vitalsPort} (${fmtLine(vitalsLine)})` : '; no vitals feed (--vitals-port)'}\n` +
      'control commands on stdin (`help` lists them); Ctrl-C stops\n',
  );
  const sub = emulator.events$.subscribe((e) => io.stdout(`${stamp(e.t)} ${e.kind}: ${e.message}\n`));
  const stopStatus = every(clock, 30_000, () => {
    world.catchUp();
    const p = world.patient.settings();
    const v = world.monitor.vitals(clock.now());
    io.stdout(`${stamp(clock.now())} patient: ${p.mode} PEEP ${p.peepCmH2O.toFixed(1)} peak ${p.peakCmH2O.toFixed(1)} cmH2O, ${p.rateBpm}/min | SpO2 ${v.spo2Pct ?? '-'} MAP ${v.mapMmHg ?? '-'} HR ${v.hrBpm ?? '-'}\n`);
  });
  emulator.start();
  vitals?.start();

  const rl = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  rl.on('line', (text) => {
    if (text.trim() === '') return;
    const parsed = parseControlLine(text);
    if (!parsed.ok) {
      io.stdout(`! ${parsed.error}\n`);
      return;
    }
    try {
      const result = executeControl(parsed.command, { emulator, vitals });
      io.stdout(parsed.command.kind === 'help' ? `${CONTROL_HELP}\n` : `> ${result}\n`);
    } catch (e) {
      io.stdout(`! ${(e as Error).message}\n`);
    }
  });

  await (io.until ?? untilSignal());
  rl.close();
  stopStatus();
  sub.unsubscribe();
  await emulator.close();
  await vitals?.close();
  await transport.close();
  await vitalsPort?.close();
  clock.clearAll();
  io.stdout('emulator stopped\n');
  return EXIT.completed;
}
