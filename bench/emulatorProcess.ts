/**
 * The MakAir emulator in a process of its own, for the PTY latency bench: opens the device's
 * end of the pair, runs the emulator on the wall clock, and reports to the parent (IPC) the
 * monotonic time (process.hrtime, CLOCK_MONOTONIC, the same clock in every process) at which
 * each restore frame (PEEP back to 100 mmH2O) arrives on the device's end of the wire.
 */
import { WallClock } from '../common/clock.js';
import { ControlFrameParser, ControlSetting } from '../hal/makair/index.js';
import { SerialTransport } from '../hal/serial/transport.js';
import { SimWorld } from '../hal/simulated/world.js';
import type { VentSettings } from '../machines/index.js';
import { BUILTIN_PROFILES } from '../sim/index.js';
import { MakAirEmulator } from '../emulators/index.js';
import { defaultLineSettings } from '../src/runner/device.js';

const path = process.argv[2];
if (!path || !process.send) throw new Error('usage: fork(emulatorProcess.js, [devicePath]) with an IPC channel');
const BASELINE: VentSettings = { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 };
const clock = new WallClock(20);
const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 1, clock, settings: BASELINE });
const devicePort = await SerialTransport.open({ path, ...defaultLineSettings({ protocol: 'makair' }) });
const emulator = new MakAirEmulator({ transport: devicePort, clock, world, replyDelayMs: 0 });
const wire = new ControlFrameParser();
devicePort.data$.subscribe((chunk) => {
  for (const f of wire.push(chunk)) if (f.setting === ControlSetting.PEEP && f.value === 100) process.send!({ restoreAt: process.hrtime.bigint().toString() });
});
emulator.start();
process.on('message', (m: { stop?: boolean }) => {
  if (!m.stop) return;
  void (async () => {
    await emulator.close();
    await devicePort.close();
    clock.clearAll();
    process.disconnect();
  })();
});
process.send({ ready: true });
