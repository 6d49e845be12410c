/**
 * The conformance suite over real pseudo-terminals: `MakAirVentilator` (and `MedibusVentilator`,
 * Evita) on the host end of a socat pair, the emulator on the device end, through the
 * serialport binding. Wall clock, sped up 10x; the MakAir link timeout and the MEDIBUS silence
 * timeout are widened to 10 s of that clock (1 s of real time) so a busy test machine is not
 * mistaken for a lost link.
 */
import { afterAll, describe } from 'vitest';
import { WallClock } from '../../common/clock.js';
import { MakAirVentilator } from '../../hal/makair/index.js';
import { MedibusVentilator } from '../../hal/medibus/index.js';
import { SerialTransport } from '../../hal/serial/transport.js';
import { SimWorld } from '../../hal/simulated/world.js';
import { BUILTIN_PROFILES } from '../../sim/index.js';
import { MakAirEmulator, MedibusEmulator } from '../../emulators/index.js';
import { defaultLineSettings, type LineSettings } from '../../src/runner/device.js';
import { ventilatorConformance, type ConformanceSubject } from '../../conformance/index.js';
import { DEVICE_BASELINE } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir } from './support/pty.js';
import { WallClockSubject } from '../../conformance/wallClock.js';

const SPEED = 10;
const scratch = SOCAT ? scratchDir() : null;
let n = 0;

afterAll(() => scratch?.cleanup());

type Emulator = MakAirEmulator | MedibusEmulator;
type Host = ConstructorParameters<typeof WallClockSubject>[0];

/**
 * An emulator on the device end of a fresh PTY pair and the adapter `host` builds on the host
 * end, both on one sped-up clock and the protocol's line settings, as the conformance suite's subject.
 */
async function overPty(
  name: string,
  line: LineSettings,
  emulatorOn: (transport: SerialTransport, clock: WallClock, world: SimWorld) => Emulator,
  host: (transport: SerialTransport, clock: WallClock) => Host,
): Promise<ConformanceSubject> {
  const pair = await ptyPair(scratch!.dir, `${name}-${n++}`);
  const clock = new WallClock(SPEED);
  const devicePort = await SerialTransport.open({ path: pair.device, ...line });
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: DEVICE_BASELINE });
  const emulator = emulatorOn(devicePort, clock, world);
  emulator.start();
  const subject = new WallClockSubject(host(await SerialTransport.open({ path: pair.host, ...line }), clock), clock);
  return {
    ventilator: subject,
    advance: (ms) => subject.advance(ms),
    cutLink: () => emulator.faults.drop(),
    teardown: async () => {
      await emulator.close();
      await devicePort.close();
      clock.clearAll();
      await pair.close();
    },
  };
}

describe.skipIf(!SOCAT)(`conformance over a socat pseudo-terminal pair${SOCAT_NOTE}`, () => {
  ventilatorConformance('MakAirVentilator over a PTY against MakAirEmulator', () =>
    overPty(
      'makair',
      defaultLineSettings({ protocol: 'makair' }),
      (transport, clock, world) => new MakAirEmulator({ transport, clock, world }),
      (transport, clock) => new MakAirVentilator({ transport, clock, fio2: DEVICE_BASELINE.fio2, linkTimeoutMs: 10_000 }),
    ),
  );

  ventilatorConformance('MedibusVentilator (evita) over a PTY against MedibusEmulator', () =>
    overPty(
      'medibus',
      defaultLineSettings({ protocol: 'medibus', family: 'evita' }),
      (transport, clock, world) => new MedibusEmulator({ transport, clock, world, family: 'evita', hostSilenceTimeoutMs: 10_000 }),
      (transport, clock) => new MedibusVentilator({ transport, clock, family: 'evita', timing: { silenceTimeoutMs: 10_000 } }),
    ),
  );
});
