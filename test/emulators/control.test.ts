/** The emulators' line-oriented control channel: parsing (never throws) and its effect on an emulator. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { transportPair } from '../../hal/serial/transport.js';
import { CONTROL_HELP, MakAirEmulator, MedibusEmulator, VitalsFeedEmulator, executeControl, parseControlLine, type ControlCommand } from '../../emulators/index.js';
import { MAKAIR_BASELINE, world } from './support/rig.js';

const ok = (line: string): ControlCommand => {
  const r = parseControlLine(line);
  if (!r.ok) throw new Error(r.error);
  return r.command;
};
const error = (line: string): string => {
  const r = parseControlLine(line);
  if (r.ok) throw new Error(`parsed: ${JSON.stringify(r.command)}`);
  return r.error;
};

describe('parseControlLine', () => {
  it.each([
    ['fault drop', { kind: 'drop' }],
    ['fault drop 8', { kind: 'drop', seconds: 8 }],
    ['fault stall 12', { kind: 'stall', seconds: 12 }],
    ['fault nak 3', { kind: 'counted', fault: 'nak', count: 3 }],
    ['FAULT refuse 2', { kind: 'counted', fault: 'nak', count: 2 }],
    ['fault noack', { kind: 'counted', fault: 'noack', count: 1 }],
    ['fault corrupt 5', { kind: 'counted', fault: 'corrupt', count: 5 }],
    ['fault duplicate 2', { kind: 'counted', fault: 'duplicate', count: 2 }],
    ['fault truncate 1', { kind: 'counted', fault: 'truncate', count: 1 }],
    ['reboot', { kind: 'reboot' }],
    ['  clear  ', { kind: 'clear' }],
    ['knob {"peepCmH2O":30}', { kind: 'knob', change: { peepCmH2O: 30 } }],
    ['knob {"mode":"PCV","peakCmH2O":35.5}', { kind: 'knob', change: { mode: 'PCV', peakCmH2O: 35.5 } }],
    ['alarm 12 Paw high', { kind: 'alarm', code: 12, on: true, text: 'Paw high' }],
    ['alarm off 12', { kind: 'alarm', code: 12, on: false }],
    ['vitals off', { kind: 'vitals', action: 'off' }],
    ['vitals garbage 4', { kind: 'vitals', action: 'garbage', count: 4 }],
    ['status', { kind: 'status' }],
    ['leak 8', { kind: 'leak', cmH2O: 8 }],
    ['LEAK 2.5', { kind: 'leak', cmH2O: 2.5 }],
    ['leak 0', { kind: 'leak', cmH2O: 0 }],
    ['leak 30', { kind: 'leak', cmH2O: 30 }],
  ])('%s', (line, command) => {
    expect(ok(line)).toEqual(command);
  });

  it.each([
    ['', /empty line/],
    ['explode', /unknown command "explode"; try: help/],
    ['fault melt 3', /unknown fault "melt": one of drop, stall, nak/],
    ['fault nak -1', /fault nak must be a whole number 0-1000000 \(got "-1"\)/],
    ['fault stall', /fault stall must be a number of seconds/],
    ['fault stall 5 6', /one argument expected/],
    ['knob peep=30', /knob needs a JSON object/],
    ['knob {"peepCmH2O":90}', /peepCmH2O = 90/],
    ['knob {"peep":30}', /peep = 30: unknown field/],
    ['knob {}', /names no setting/],
    ['alarm loud', /alarm code must be a whole number 0-255/],
    ['vitals maybe', /vitals needs off, on or garbage/],
    ['reboot now', /reboot takes no argument/],
    ['leak', /leak must be a pressure in cmH2O, 0-30 \(got nothing\)/],
    ['leak -3', /leak must be a pressure in cmH2O, 0-30 \(got "-3"\)/],
    ['leak abc', /leak must be a pressure in cmH2O, 0-30 \(got "abc"\)/],
    ['leak 100', /leak must be a pressure in cmH2O, 0-30 \(got "100"\)/],
    ['leak Infinity', /leak must be a pressure in cmH2O, 0-30/],
    ['leak 5 6', /leak: one argument expected/],
  ])('rejects %j', (line, message) => {
    expect(error(line)).toMatch(message);
  });
});

describe('executeControl', () => {
  it('switches faults, turns knobs and reports status on an emulator', () => {
    const clock = new VirtualClock(0);
    const [, device] = transportPair();
    const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
    expect(executeControl(ok('fault nak 3'), { emulator })).toBe('the next 3 command(s) will be refused (acknowledged with the value kept)');
    expect(emulator.faults.status().refuse).toBe(3);
    executeControl(ok('fault drop 8'), { emulator });
    expect(emulator.faults.dropped).toBe(true);
    clock.advanceBy(8000);
    expect(emulator.faults.dropped).toBe(false);
    executeControl(ok('fault corrupt 5'), { emulator });
    executeControl(ok('clear'), { emulator });
    expect(emulator.faults.status()).toMatchObject({ refuse: 0, corrupt: 0, droppedUntil: null });
    expect(executeControl(ok('knob {"peepCmH2O":12}'), { emulator })).toMatch(/"peepCmH2O":12/);
    expect(JSON.parse(executeControl(ok('status'), { emulator }))).toMatchObject({ device: { peepCmH2O: 12 } });
    expect(executeControl(ok('vitals off'), { emulator })).toMatch(/no vitals feed/);
    expect(() => executeControl(ok('knob {"mode":"CPAP"}'), { emulator })).toThrow(/no CPAP mode/);
  });

  it('leak: status shows it; leak 0 and clear end it; out of range in process is a RangeError', () => {
    const clock = new VirtualClock(0);
    const [, device] = transportPair();
    const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
    expect(emulator.faults.status().leakCmH2O).toBe(0);
    expect(executeControl(ok('leak 8'), { emulator })).toBe('a leak of 8 cmH2O: settings acknowledged as set, measured PEEP and peak/plateau 8 cmH2O short');
    expect(JSON.parse(executeControl(ok('status'), { emulator }))).toMatchObject({ faults: { leakCmH2O: 8 }, device: { peepCmH2O: 10, peakCmH2O: 25 } });
    expect(executeControl(ok('leak 0'), { emulator })).toBe('no leak: measured pressures as delivered');
    expect(emulator.faults.status().leakCmH2O).toBe(0);
    executeControl(ok('leak 3'), { emulator });
    executeControl(ok('clear'), { emulator });
    expect(emulator.faults.status().leakCmH2O).toBe(0);
    expect(() => emulator.faults.leak(31)).toThrow(RangeError);
    expect(() => emulator.faults.leak(Number.NaN)).toThrow(/leak must be 0-30 cmH2O/);
    expect(CONTROL_HELP).toMatch(/leak <cmH2O>/);
  });

  it('MEDIBUS: nak means NAK; the vitals feed can be silenced', () => {
    const clock = new VirtualClock(0);
    const [, device] = transportPair();
    const [, feedPort] = transportPair();
    const w = world(clock, MAKAIR_BASELINE);
    const emulator = new MedibusEmulator({ transport: device, clock, world: w, family: 'evita' });
    const vitals = new VitalsFeedEmulator({ transport: feedPort, clock, world: w });
    expect(executeControl(ok('fault refuse 2'), { emulator, vitals })).toBe('the next 2 command(s) will be answered with NAK');
    expect(executeControl(ok('vitals off'), { emulator, vitals })).toBe('vitals feed silenced');
    expect(vitals.silenced).toBe(true);
    executeControl(ok('clear'), { emulator, vitals });
    expect(vitals.silenced).toBe(false);
    expect(() => executeControl(ok('knob {"peepCmH2O":45}'), { emulator, vitals })).toThrow(RangeError);
  });
});
