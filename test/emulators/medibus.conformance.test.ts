/**
 * The conformance suite on `MedibusVentilator` against `MedibusEmulator` for each family
 * (read-only: `apply` must refuse with NotPermittedError), and on `GuidedVentilator` over it,
 * with an automatic therapist turning the emulator's knob for every instruction. The suite
 * awaits `readSettings()` without moving the clock, so the emulator answers at once
 * (`replyDelayMs: 0`); reply delays are exercised in medibus.emulator.test.ts.
 */
import { GuidedVentilator } from '../../hal/guided/index.js';
import { MEDIBUS_FAMILIES, MedibusVentilator, type MedibusFamily } from '../../hal/medibus/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import { MedibusEmulator } from '../../emulators/index.js';
import { ventilatorConformance } from '../../conformance/index.js';
import { Lockstep, MAKAIR_BASELINE, world } from './support/rig.js';

function rig(family: MedibusFamily) {
  const clocks = new Lockstep();
  const [hostSide, deviceSide] = transportPair();
  const emulator = new MedibusEmulator({ transport: deviceSide, clock: clocks.device, world: world(clocks.device, { ...MAKAIR_BASELINE, fio2: 0.5 }), family, replyDelayMs: 0 });
  emulator.start();
  const medibus = new MedibusVentilator({ transport: hostSide, clock: clocks.host, family });
  const teardown = async (): Promise<void> => {
    await emulator.close();
    await deviceSide.close();
  };
  return { clocks, emulator, medibus, teardown };
}

for (const family of MEDIBUS_FAMILIES) {
  ventilatorConformance(`MedibusVentilator against MedibusEmulator (${family})`, async () => {
    const { clocks, emulator, medibus, teardown } = rig(family);
    return { ventilator: medibus, advance: (ms) => clocks.advance(ms), cutLink: () => emulator.faults.drop(), pendingTimers: () => clocks.host.pending(), teardown };
  });
}

ventilatorConformance('GuidedVentilator over MedibusVentilator against MedibusEmulator (evita, knob turned on each prompt)', async () => {
  const { clocks, emulator, medibus, teardown } = rig('evita');
  const guided = new GuidedVentilator({ device: medibus, clock: clocks.host, timeoutMs: 30_000, pollMs: 500 });
  const sub = guided.prompts$.subscribe((p) => {
    if (p?.status === 'waiting') clocks.device.setTimeout(() => emulator.turnKnob(p.settings), 1500);
  });
  return {
    ventilator: guided,
    advance: (ms) => clocks.advance(ms),
    cutLink: () => emulator.faults.drop(),
    pendingTimers: () => clocks.host.pending(),
    teardown: async () => {
      sub.unsubscribe();
      await teardown();
    },
  };
});
