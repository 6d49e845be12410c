/**
 * A bedside on one machine: the MakAir emulator on the device end of a socat pair and the
 * emulated IntelliVue on UDP loopback (or on a second socat pair, MIB RS232), one simulated
 * patient behind both, one sped-up wall clock. The session opens the host ends exactly as
 * `rmseq run --device makair:PTY --vitals intellivue:udp:127.0.0.1:PORT` does (the same flag
 * parser, the same opener).
 */
import { WallClock } from '../../../common/clock.js';
import { SerialTransport } from '../../../hal/serial/transport.js';
import { SimWorld } from '../../../hal/simulated/world.js';
import type { ManeuverKind, ProtocolInput } from '../../../machines/index.js';
import { BUILTIN_PROFILES } from '../../../sim/index.js';
import { MakAirEmulator } from '../../../emulators/index.js';
import { IntelliVueEmulator, SerialMonitorLink, UdpMonitorLink, type MonitorLink } from '../../../emulators/intellivue/index.js';
import { defaultLineSettings, openDeviceSession, type DeviceSession } from '../../../src/runner/device.js';
import { announceMonitor, openVitals } from '../../../src/runner/vitals.js';
import { parseVitalsTarget } from '../../../src/cli/vitals.js';
import type { TelemetryEvent } from '../../../src/runner/telemetry.js';
import { benchProtocol, DEVICE_BASELINE, SessionBench, WIDE_SESSION } from './bench.js';
import { ptyPair, type PtyPair } from './pty.js';

/** The IntelliVue host's timings widened like the others (ms of the emulated clock; ~1 s real at 30x). */
export const WIDE_INTELLIVUE = { lostAfterMs: 30_000, associateTimeoutMs: 30_000, connectTimeoutMs: 40_000 } as const;

export class IntelliVueBench extends SessionBench {
  private constructor(
    clock: WallClock,
    readonly world: SimWorld,
    readonly makair: MakAirEmulator,
    readonly monitor: IntelliVueEmulator,
    readonly vitalsFlag: string,
    readonly devicePath: string,
  ) {
    super(clock);
  }

  static async start(o: { dir: string; name: string; speed: number; monitorOver: 'udp' | 'serial' }): Promise<IntelliVueBench> {
    const clock = new WallClock(o.speed);
    const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: DEVICE_BASELINE });
    const pairs: PtyPair[] = [];
    const device = await ptyPair(o.dir, `${o.name}-device`);
    pairs.push(device);
    const devicePort = await SerialTransport.open({ path: device.device, ...defaultLineSettings({ protocol: 'makair' }) });
    const makair = new MakAirEmulator({ transport: devicePort, clock, world, dataPeriodMs: 250 });
    let link: MonitorLink;
    let monitorPort: SerialTransport | null = null;
    let flag: string;
    if (o.monitorOver === 'udp') {
      const udp = await UdpMonitorLink.listen('127.0.0.1', 0);
      link = udp;
      flag = `intellivue:udp:127.0.0.1:${udp.port}`;
    } else {
      const mon = await ptyPair(o.dir, `${o.name}-mib`);
      pairs.push(mon);
      monitorPort = await SerialTransport.open({ path: mon.device, baudRate: 115_200, parity: 'none', dataBits: 8, stopBits: 1 });
      link = new SerialMonitorLink(monitorPort, mon.device);
      flag = `intellivue:serial:${mon.host}`;
    }
    const monitor = new IntelliVueEmulator({ clock, world, send: (m, peer) => link.send(m, peer), idleTimeoutMs: 60_000 });
    link.attach(monitor);
    const bench = new IntelliVueBench(clock, world, makair, monitor, flag, device.host);
    bench.closers.push(async () => {
      await makair.close();
      await monitor.close();
      await link.close();
      await devicePort.close();
      await monitorPort?.close();
      clock.clearAll();
      for (const p of pairs) await p.close();
    });
    makair.start();
    monitor.start();
    return bench;
  }

  async openSession(o: { maneuver: ManeuverKind; protocol: ProtocolInput }): Promise<{ ds: DeviceSession; telemetry: TelemetryEvent[] }> {
    const vitals = await openVitals(parseVitalsTarget(this.vitalsFlag), { clock: this.clock, intellivue: WIDE_INTELLIVUE });
    const protocol = benchProtocol(o);
    const ds = await openDeviceSession({
      device: { protocol: 'makair', path: this.devicePath, fio2: DEVICE_BASELINE.fio2 },
      maneuver: o.maneuver,
      protocol,
      vitals,
      clock: this.clock,
      ...WIDE_SESSION,
    });
    const telemetry = this.adopt(ds);
    announceMonitor(vitals, ds.session); // as rmseq run does
    return { ds, telemetry };
  }
}
