/**
 * The `leak <cmH2O>` control on both device emulators: the device keeps acknowledging and
 * reporting the settings as commanded, but the airway pressures it measures (PEEP, peak,
 * plateau) fall short by the leak, on the wire, in the device's own units. Each case runs two
 * emulators on the same seed in lockstep, one leaking, and compares what they send: the
 * simulated patient is the same, so any difference is the leak. Virtual time only.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { TelemetryParser, decodeTelemetryMessage, type TelemetryMessage } from '../../hal/makair/index.js';
import { CMH2O_PER_MBAR, MEASURED_VALUE_CHARS, MedibusCommand, MedibusStreamParser, SETTING_VALUE_CHARS, decodeDataRecords, encodeCommand, type MedibusFrame } from '../../hal/medibus/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import { MakAirEmulator, MedibusEmulator, executeControl, parseControlLine, type DeviceEmulator } from '../../emulators/index.js';
import { MAKAIR_BASELINE, settle, world } from './support/rig.js';

/** Runs a control line on the emulator, as `rmseq emulate` does with a line from stdin. */
function control(emulator: DeviceEmulator, line: string): string {
  const parsed = parseControlLine(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return executeControl(parsed.command, { emulator });
}

/** A MakAir emulator with the host's decoder on the other end. */
function makair() {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
  const parser = new TelemetryParser();
  const messages: TelemetryMessage[] = [];
  host.data$.subscribe((chunk) => {
    for (const f of parser.push(chunk)) messages.push(decodeTelemetryMessage(f.body));
  });
  const states = () => messages.flatMap((m) => (m.type === 'state' ? [m] : []));
  const data = () => messages.flatMap((m) => (m.type === 'data' ? [m] : []));
  return { clock, emulator, states, data };
}

/** A MEDIBUS emulator (Evita) with the test playing the host in raw frames. */
function medibus() {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MedibusEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE), family: 'evita' });
  const parser = new MedibusStreamParser();
  const frames: MedibusFrame[] = [];
  host.data$.subscribe((chunk) => {
    for (const ev of parser.push(chunk)) if (ev.type === 'frame' && ev.frame.kind === 'response') frames.push({ ...ev.frame, payload: ev.frame.payload.slice() });
  });
  /** Sends `cmd` and returns the payload of the answer. */
  const ask = async (cmd: number, advance: (ms: number) => Promise<void>): Promise<Uint8Array> => {
    const before = frames.length;
    await host.write(encodeCommand(cmd));
    await advance(100);
    const answer = frames.slice(before).find((f) => f.command === cmd);
    if (!answer) throw new Error(`no answer to ${cmd.toString(16)}H`);
    return answer.payload;
  };
  return { clock, host, emulator, ask };
}

/** Advances the clocks of both twins together, letting the wire deliver after each step. */
function lockstep(clocks: VirtualClock[]) {
  return async (ms: number, stepMs = 10): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      for (const c of clocks) c.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
}

/** Measured-data records (24H) as numbers by code, e.g. { '78': 10.2, '7D': 25.4 }. */
function values(payload: Uint8Array, width: number): Record<string, number> {
  const r = decodeDataRecords(payload, width);
  if (!r.ok) throw new Error('undecodable records');
  return Object.fromEntries(r.value.map((x) => [x.code.toString(16).toUpperCase().padStart(2, '0'), Number(x.raw.trim())]));
}

const SETTINGS_FIELDS = ['ventilationMode', 'peepCommandCmH2O', 'plateauCommandCmH2O', 'peakCommandCmH2O', 'cpmCommand', 'expiratoryTermCommand', 'tidalVolumeCommandMl'] as const;
const pick = (m: object, keys: readonly string[]): Record<string, unknown> => Object.fromEntries(keys.map((k) => [k, (m as Record<string, unknown>)[k]]));

describe('MakAirEmulator: leak <cmH2O>', () => {
  it('leak 5: measured PEEP, peak and plateau 50 mmH2O short of the twin without a leak; settings and acks unchanged', async () => {
    const plain = makair();
    const leaky = makair();
    const advance = lockstep([plain.clock, leaky.clock]);
    expect(control(leaky.emulator, 'leak 5')).toMatch(/leak of 5 cmH2O/);
    plain.emulator.start();
    leaky.emulator.start();
    await advance(9050);
    const [a, b] = [plain.states(), leaky.states()];
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(3);
    for (let i = 0; i < a.length; i++) {
      expect(b[i]!.previousPeepPressureMmH2O).toBe(a[i]!.previousPeepPressureMmH2O - 50);
      expect(b[i]!.previousPeakPressureMmH2O).toBe(a[i]!.previousPeakPressureMmH2O - 50);
      expect(b[i]!.previousPlateauPressureMmH2O).toBe(a[i]!.previousPlateauPressureMmH2O - 50);
      expect(b[i]!.previousVolumeMl).toBe(a[i]!.previousVolumeMl); // the patient gets the same breath
      expect(pick(b[i]!, SETTINGS_FIELDS)).toEqual(pick(a[i]!, SETTINGS_FIELDS));
    }
    expect(b[0]).toMatchObject({ peepCommandCmH2O: 10, plateauCommandCmH2O: 25 });
    // The pressure curve of the data snapshots is short by the same 50 mmH2O.
    const [da, db] = [plain.data(), leaky.data()];
    expect(db.length).toBe(da.length);
    expect(db.map((d, i) => da[i]!.pressureMmH2O - d.pressureMmH2O)).toEqual(da.map(() => 50));
    // The device holds what it was set to; only what it measures is short.
    expect(leaky.emulator.status().device).toEqual(plain.emulator.status().device);
    expect(leaky.emulator.status().faults.leakCmH2O).toBe(5);
    await plain.emulator.close();
    await leaky.emulator.close();
  });

  it('leak 0 and clear end it; a leak larger than the pressure reports 0, never below', async () => {
    const plain = makair();
    const leaky = makair();
    const advance = lockstep([plain.clock, leaky.clock]);
    plain.emulator.start();
    leaky.emulator.start();
    const last = (t: ReturnType<typeof makair>) => t.states().at(-1)!;
    const same = () => expect(pick(last(leaky), ['previousPeepPressureMmH2O', 'previousPeakPressureMmH2O', 'previousPlateauPressureMmH2O'])).toEqual(pick(last(plain), ['previousPeepPressureMmH2O', 'previousPeakPressureMmH2O', 'previousPlateauPressureMmH2O']));

    control(leaky.emulator, 'leak 5');
    await advance(3050);
    expect(last(leaky).previousPeepPressureMmH2O).toBe(last(plain).previousPeepPressureMmH2O - 50);
    expect(control(leaky.emulator, 'leak 0')).toMatch(/no leak/);
    await advance(3000);
    same();

    control(leaky.emulator, 'leak 30');
    await advance(3000);
    expect(last(leaky)).toMatchObject({ previousPeepPressureMmH2O: 0, previousPeakPressureMmH2O: 0, previousPlateauPressureMmH2O: 0 });
    expect(leaky.data().at(-1)!.pressureMmH2O).toBe(0);
    control(leaky.emulator, 'clear');
    expect(leaky.emulator.status().faults.leakCmH2O).toBe(0);
    await advance(3000);
    same();
    await plain.emulator.close();
    await leaky.emulator.close();
  });
});

describe('MedibusEmulator: leak <cmH2O>', () => {
  it('leak 5: measured PEEP, peak and plateau (24H) about 4.9 mbar short; the settings (29H) byte for byte the same', async () => {
    const plain = medibus();
    const leaky = medibus();
    const advance = lockstep([plain.clock, leaky.clock]);
    expect(control(leaky.emulator, 'leak 5')).toMatch(/leak of 5 cmH2O/);
    for (const t of [plain, leaky]) {
      t.emulator.start();
      await t.host.write(encodeCommand(MedibusCommand.ICC));
    }
    await advance(1500);
    for (const t of [plain, leaky]) await t.host.write(encodeCommand(MedibusCommand.NOP)); // the link stays up
    await advance(1600); // one breath: the measured values are the breath's
    const [ma, mb] = [await plain.ask(MedibusCommand.MEASURED_CP1, advance), await leaky.ask(MedibusCommand.MEASURED_CP1, advance)];
    const [a, b] = [values(ma, MEASURED_VALUE_CHARS), values(mb, MEASURED_VALUE_CHARS)];
    const shortMbar = 5 / CMH2O_PER_MBAR; // 4.90 mbar
    for (const code of ['78', '7D', '74', '73', '71']) {
      // PEEP, peak, plateau, mean and minimal airway pressure; each side is rounded to 0.1 mbar.
      expect(Math.abs(a[code]! - b[code]! - shortMbar), `${code}H: ${a[code]} vs ${b[code]}`).toBeLessThanOrEqual(0.1);
    }
    expect(b['78']! * CMH2O_PER_MBAR).toBeGreaterThan(4); // PEEP 10 set, about 5 measured
    expect(b['78']! * CMH2O_PER_MBAR).toBeLessThan(6);
    for (const code of Object.keys(a).filter((c) => !['78', '7D', '74', '73', '71'].includes(c))) expect(b[code], `${code}H`).toBe(a[code]);
    const [sa, sb] = [await plain.ask(MedibusCommand.DEVICE_SETTINGS, advance), await leaky.ask(MedibusCommand.DEVICE_SETTINGS, advance)];
    expect(values(sb, SETTING_VALUE_CHARS)).toMatchObject({ '0B': 10, '45': 25 });
    expect([...sb]).toEqual([...sa]);

    // leak 0 ends it; leak 30 reports 0, never below; clear ends it too.
    control(leaky.emulator, 'leak 0');
    expect([...(await leaky.ask(MedibusCommand.MEASURED_CP1, advance))]).toEqual([...(await plain.ask(MedibusCommand.MEASURED_CP1, advance))]);
    control(leaky.emulator, 'leak 30');
    expect(values(await leaky.ask(MedibusCommand.MEASURED_CP1, advance), MEASURED_VALUE_CHARS)).toMatchObject({ '78': 0, '7D': 0, '74': 0 });
    control(leaky.emulator, 'clear');
    expect([...(await leaky.ask(MedibusCommand.MEASURED_CP1, advance))]).toEqual([...(await plain.ask(MedibusCommand.MEASURED_CP1, advance))]);
    await plain.emulator.close();
    await leaky.emulator.close();
  });
});
