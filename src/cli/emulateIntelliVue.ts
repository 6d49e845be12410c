/**
 * `rmseq emulate intellivue`: the emulated Philips IntelliVue (Data Export), driven by a
 * simulated patient, on UDP (`--listen udp:HOST:PORT`, the LAN interface) or a serial port /
 * pseudo-terminal (`--port PATH`, the MIB RS232 interface, 115200 8N1 unless --baud), until
 * SIGINT. Control commands on stdin (`help`): INOPs, flush, questionable, demo, drop, silent.
 *
 *   rmseq emulate intellivue --listen udp:127.0.0.1:24105 --patient moderate-ards
 *   rmseq emulate intellivue --port /tmp/mon-dev --patient moderate-ards
 */
import { createInterface } from 'node:readline';
import { WallClock } from '../../common/clock.js';
import { SerialTransport } from '../../hal/serial/transport.js';
import { SimWorld } from '../../hal/simulated/world.js';
import { executeIntelliVueControl, IntelliVueEmulator, parseIntelliVueControl, SerialMonitorLink, UdpMonitorLink, type MonitorLink } from '../../emulators/intellivue/index.js';
import { explainPortError } from '../runner/device.js';
import { lineSettingsFrom } from './device.js';
import { DEFAULT_EMULATED_SETTINGS, untilSignal, type EmulateFlags, type EmulateIo } from './emulateOptions.js';
import { CliError, EXIT } from './exitCodes.js';
import { intFlag, loadBaseline, loadPatient, numberFlag } from './inputs.js';

export interface IntelliVueEmulateFlags extends EmulateFlags {
  /** `udp:HOST:PORT`: where the LAN interface listens. */
  listen?: string;
}

/** `udp:HOST:PORT` (port 0: any free port, printed). */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^udp:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65_535) throw new CliError(`--listen = ${JSON.stringify(value)}: must be udp:<host>:<port> with a port 0-65535, e.g. udp:127.0.0.1:24105`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export async function emulateIntelliVue(flags: IntelliVueEmulateFlags, io: EmulateIo): Promise<number> {
  if ((flags.listen === undefined) === (flags.port === undefined)) throw new CliError('emulate intellivue needs one of --listen udp:<host>:<port> (LAN) or --port <path> (MIB RS232)');
  for (const f of ['device', 'deviceId', 'vitalsPort'] as const) {
    if (flags[f] !== undefined) throw new CliError(`--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to emulate intellivue`);
  }
  const { name: patientName, profile } = loadPatient(flags.patient);
  const seed = intFlag('seed', flags.seed, 0, 2 ** 31 - 1, 1);
  const speed = numberFlag('speed', flags.speed, 0.1, 1000) ?? 1;
  const settings = flags.baseline ? loadBaseline(flags.baseline) : DEFAULT_EMULATED_SETTINGS;
  const clock = new WallClock(speed);
  const world = new SimWorld({ profile, seed, clock, settings });

  let link: MonitorLink;
  let port: SerialTransport | null = null;
  if (flags.listen !== undefined) {
    const { host, port: p } = parseListen(flags.listen);
    try {
      link = await UdpMonitorLink.listen(host, p);
    } catch (e) {
      throw new CliError(`--listen = ${JSON.stringify(flags.listen)}: ${(e as Error).message}`);
    }
  } else {
    const line = lineSettingsFrom(flags, { baudRate: 115_200, parity: 'none', dataBits: 8, stopBits: 1 });
    try {
      port = await SerialTransport.open({ path: flags.port!, ...line });
    } catch (e) {
      throw new CliError(explainPortError(flags.port!, e, 'MIB port'));
    }
    link = new SerialMonitorLink(port, `serial ${flags.port} (${line.baudRate} ${line.dataBits}${line.parity[0]!.toUpperCase()}${line.stopBits})`);
  }
  const monitor = new IntelliVueEmulator({ clock, world, send: (m, peer) => link.send(m, peer) });
  link.attach(monitor);
  const startedAt = clock.now();
  const stamp = (t: number): string => `[${((t - startedAt) / 1000).toFixed(1).padStart(7)} s]`;
  io.stdout(`rmseq emulate intellivue on ${link.address}, patient ${patientName} (seed ${seed}), clock x${speed}\ncontrol commands on stdin (\`help\` lists them); Ctrl-C stops\n`);
  const sub = monitor.events$.subscribe((e) => io.stdout(`${stamp(e.t)} ${e.kind}: ${e.message}\n`));
  monitor.start();

  const rl = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  rl.on('line', (text) => {
    if (text.trim() === '') return;
    const parsed = parseIntelliVueControl(text);
    io.stdout(parsed.ok ? `> ${executeIntelliVueControl(parsed.command, monitor)}\n` : `! ${parsed.error}\n`);
  });
  await (io.until ?? untilSignal());
  rl.close();
  sub.unsubscribe();
  await monitor.close();
  await link.close();
  await port?.close();
  clock.clearAll();
  io.stdout('emulator stopped\n');
  return EXIT.completed;
}
