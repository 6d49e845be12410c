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
import { MakAirEmulator, MedibusEmulator } from '../../src/emulators/index.js';
import { defaultLineSettings } from '../../src/runner/device.js';
import { ventilatorConformance } from '../conformance/ventilator.conformance.js';
import { DEVICE_BASELINE } from './support/bench.js';
import { SOCAT, SOCAT_NOTE, ptyPair, scratchDir } from './support/pty.js';
import { WallClockSubject } from './support/wallConformance.js';

const SPEED = 10;
const scratch = SOCAT ? scratchDir() : null;
let n = 0;

afterAll(() => scratch?.cleanup());

describe.skipIf(!SOCAT)(`conformance over a socat pseudo-terminal pair${SOCAT_NOTE}`, () => {
  ventilatorConformance('MakAirVentilator over a PTY against MakAirEmulator', async () => {
    const pair = await ptyPair(scratch!.dir, `makair-${n++}`);
    const clock = new WallClock(SPEED);
    const line = defaultLineSettings({ protocol: 'makair' });
    const devicePort = await SerialTransport.open({ path: pair.device, ...line });
    const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: DEVICE_BASELINE });
    const emulator = new MakAirEmulator({ transport: devicePort, clock, world });
    emulator.start();
    const hostPort = await SerialTransport.open({ path: pair.host, ...line });
    const subject = new WallClockSubject(new MakAirVentilator({ transport: hostPort, clock, fio2: DEVICE_BASELINE.fio2, linkTimeoutMs: 10_000 }), clock);
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
  });

  ventilatorConformance('MedibusVentilator (evita) over a PTY against MedibusEmulator', async () => {
    const pair = await ptyPair(scratch!.dir, `medibus-${n++}`);
    const clock = new WallClock(SPEED);
    const line = defaultLineSettings({ protocol: 'medibus', family: 'evita' });
    const devicePort = await SerialTransport.open({ path: pair.device, ...line });
    const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: DEVICE_BASELINE });
    const emulator = new MedibusEmulator({ transport: devicePort, clock, world, family: 'evita', hostSilenceTimeoutMs: 10_000 });
    emulator.start();
    const hostPort = await SerialTransport.open({ path: pair.host, ...line });
    const medibus = new MedibusVentilator({ transport: hostPort, clock, family: 'evita', timing: { silenceTimeoutMs: 10_000 } });
    const subject = new WallClockSubject(medibus, clock);
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
  });
});
