/**
 * The emulators' line-oriented control channel (the CLI reads it from stdin):
 *
 *   fault drop [s]        the cable is pulled (for s seconds, or until `clear`)
 *   fault stall <s>       no frames out for s seconds; what arrives is handled afterwards
 *   fault nak <n>         refuse the next n commands (MEDIBUS: NAK; MakAir: ack with the value kept)
 *   fault refuse <n>      the same as nak
 *   fault noack <n>       leave the next n commands unanswered (MakAir: not applied either)
 *   fault corrupt <n>     the next n frames carry a bad CRC / checksum
 *   fault duplicate <n>   the next n frames are sent twice
 *   fault truncate <n>    the next n frames are cut short
 *   reboot                MakAir: boot message, firmware defaults; MEDIBUS: ICC again
 *   knob <json>           the therapist sets the device, e.g. knob {"peepCmH2O":30}
 *   alarm <code> [text]   raise a device alarm; `alarm off <code>` clears it
 *   vitals off|on         silence or resume the monitor feed; `vitals garbage <n>` writes bad lines
 *   leak <cmH2O>          the device leaks (0-30 cmH2O; `leak 0` ends it): it acknowledges and reports
 *                         the settings as set, but the PEEP, peak and plateau it measures and sends
 *                         fall short by that much (never below 0). `status` shows it under faults.
 *   clear                 every fault off (the leak too), the link restored
 *   status | help
 */
import { z } from 'zod';
import { describeProblem, toProblems } from '../common/validation.js';
import type { VentSettings } from '../machines/types.js';
import { MAX_LEAK_CMH2O } from './faults.js';
import type { DeviceEmulator } from './types.js';
import type { VitalsFeedEmulator } from './vitalsFeed.js';

export type CountedFault = 'nak' | 'noack' | 'corrupt' | 'duplicate' | 'truncate';

export type ControlCommand =
  | { kind: 'drop'; seconds?: number }
  | { kind: 'stall'; seconds: number }
  | { kind: 'counted'; fault: CountedFault; count: number }
  | { kind: 'reboot' }
  | { kind: 'knob'; change: Partial<VentSettings> }
  | { kind: 'alarm'; code: number; on: boolean; text?: string }
  | { kind: 'vitals'; action: 'off' | 'on' } | { kind: 'vitals'; action: 'garbage'; count: number }
  | { kind: 'leak'; cmH2O: number }
  | { kind: 'clear' }
  | { kind: 'status' }
  | { kind: 'help' };

export const CONTROL_HELP = [
  'fault drop [s] | fault stall <s> | fault nak <n> | fault refuse <n> | fault noack <n>',
  'fault corrupt <n> | fault duplicate <n> | fault truncate <n>',
  'reboot | knob {"peepCmH2O":30} | alarm <code> [text] | alarm off <code>',
  'leak <cmH2O> (0-30: settings confirmed as set, measured PEEP and peak/plateau that much short; leak 0 ends it)',
  'vitals off | vitals on | vitals garbage <n> | clear | status | help',
].join('\n');

/**
 * A knob turn: a partial setting in the controller's units.
 *
 * @example
 * KnobSchema.parse({ peepCmH2O: 30 });
 */
export const KnobSchema = z
  .object({
    mode: z.enum(['CPAP', 'PCV', 'VC']).optional(),
    peepCmH2O: z.number().min(0).max(50).optional(),
    peakCmH2O: z.number().min(0).max(80).optional(),
    rateBpm: z.number().min(0).max(60).optional(),
    fio2: z.number().min(0.21).max(1).optional(),
    tidalVolumeMl: z.number().min(20).max(2000).optional(),
  })
  .strict()
  .refine((k) => Object.keys(k).length > 0, { error: 'names no setting' });

export type ControlParse = { ok: true; command: ControlCommand } | { ok: false; error: string };

const COUNTED: Record<string, CountedFault> = { nak: 'nak', refuse: 'nak', noack: 'noack', corrupt: 'corrupt', duplicate: 'duplicate', truncate: 'truncate' };

function wholeNumber(word: string | undefined, what: string, min: number, max: number): number | string {
  const n = Number(word);
  if (word === undefined || !Number.isInteger(n) || n < min || n > max) return `${what} must be a whole number ${min}-${max} (got ${word === undefined ? 'nothing' : JSON.stringify(word)})`;
  return n;
}

function seconds(word: string | undefined, what: string): number | string {
  const n = Number(word);
  if (word === undefined || !Number.isFinite(n) || n <= 0 || n > 3600) return `${what} must be a number of seconds, 0-3600 (got ${word === undefined ? 'nothing' : JSON.stringify(word)})`;
  return n;
}

function leakPressure(word: string | undefined): number | string {
  const n = Number(word);
  if (word === undefined || !/^\d+(\.\d+)?$/.test(word) || n > MAX_LEAK_CMH2O) return `leak must be a pressure in cmH2O, 0-${MAX_LEAK_CMH2O} (got ${word === undefined ? 'nothing' : JSON.stringify(word)}); leak 0 ends it`;
  return n;
}

/**
 * Parses one control line. Never throws: a bad line gives `{ ok: false, error }`.
 *
 * @example
 * parseControlLine('fault nak 3'); // { ok: true, command: { kind: 'counted', fault: 'nak', count: 3 } }
 * parseControlLine('knob {"peepCmH2O":30}'); // { ok: true, command: { kind: 'knob', change: { peepCmH2O: 30 } } }
 * parseControlLine('leak 8'); // { ok: true, command: { kind: 'leak', cmH2O: 8 } }
 */
export function parseControlLine(line: string): ControlParse {
  const text = line.trim();
  const [word, ...rest] = text.split(/\s+/);
  const fail = (error: string): ControlParse => ({ ok: false, error });
  const done = (command: ControlCommand): ControlParse => ({ ok: true, command });
  switch (word?.toLowerCase()) {
    case 'fault': {
      const [name, arg, extra] = rest;
      if (extra !== undefined) return fail(`fault ${name}: one argument expected`);
      const key = name?.toLowerCase() ?? '';
      if (key === 'drop') {
        if (arg === undefined) return done({ kind: 'drop' });
        const s = seconds(arg, 'fault drop');
        return typeof s === 'string' ? fail(s) : done({ kind: 'drop', seconds: s });
      }
      if (key === 'stall') {
        const s = seconds(arg, 'fault stall');
        return typeof s === 'string' ? fail(s) : done({ kind: 'stall', seconds: s });
      }
      const fault = COUNTED[key];
      if (!fault) return fail(`unknown fault ${JSON.stringify(name ?? '')}: one of drop, stall, nak, refuse, noack, corrupt, duplicate, truncate`);
      const n = wholeNumber(arg ?? '1', `fault ${key}`, 0, 1_000_000);
      return typeof n === 'string' ? fail(n) : done({ kind: 'counted', fault, count: n });
    }
    case 'knob': {
      const json = text.slice(4).trim();
      let input: unknown;
      try {
        input = JSON.parse(json);
      } catch {
        return fail(`knob needs a JSON object such as {"peepCmH2O":30} (got ${JSON.stringify(json)})`);
      }
      const r = KnobSchema.safeParse(input);
      if (!r.success) return fail(`knob: ${toProblems(r.error, input).map(describeProblem).join('; ')}`);
      return done({ kind: 'knob', change: r.data as Partial<VentSettings> });
    }
    case 'alarm': {
      const off = rest[0]?.toLowerCase() === 'off';
      const n = wholeNumber(off ? rest[1] : rest[0], 'alarm code', 0, 255);
      if (typeof n === 'string') return fail(n);
      const text = (off ? rest.slice(2) : rest.slice(1)).join(' ');
      return done({ kind: 'alarm', code: n, on: !off, ...(text ? { text } : {}) });
    }
    case 'vitals': {
      const action = rest[0]?.toLowerCase();
      if (action === 'off' || action === 'on') return done({ kind: 'vitals', action });
      if (action === 'garbage') {
        const n = wholeNumber(rest[1] ?? '1', 'vitals garbage', 1, 1000);
        return typeof n === 'string' ? fail(n) : done({ kind: 'vitals', action: 'garbage', count: n });
      }
      return fail('vitals needs off, on or garbage <n>');
    }
    case 'leak': {
      if (rest.length > 1) return fail('leak: one argument expected (cmH2O)');
      const n = leakPressure(rest[0]);
      return typeof n === 'string' ? fail(n) : done({ kind: 'leak', cmH2O: n });
    }
    case 'reboot':
    case 'clear':
    case 'status':
    case 'help':
      return rest.length ? fail(`${word} takes no argument`) : done({ kind: word.toLowerCase() as 'reboot' | 'clear' | 'status' | 'help' });
    case undefined:
    case '':
      return fail('empty line');
    default:
      return fail(`unknown command ${JSON.stringify(word)}; try: help`);
  }
}

/**
 * Carries out a control command on an emulator (and its vitals feed, if any). Returns what it
 * did, in words; throws `RangeError` when the device cannot take a knob setting.
 *
 * @example
 * executeControl(parsed.command, { emulator, vitals }); // 'the next 3 command(s) will be refused'
 */
export function executeControl(command: ControlCommand, target: { emulator: DeviceEmulator; vitals?: VitalsFeedEmulator | null }): string {
  const { emulator, vitals } = target;
  const f = emulator.faults;
  switch (command.kind) {
    case 'drop':
      f.drop(command.seconds === undefined ? undefined : command.seconds * 1000);
      return command.seconds === undefined ? 'link dropped until `clear`' : `link dropped for ${command.seconds} s`;
    case 'stall':
      f.stall(command.seconds * 1000);
      return `stalled for ${command.seconds} s`;
    case 'counted': {
      const n = command.count;
      const set = { nak: () => f.refuse(n), noack: () => f.noAnswer(n), corrupt: () => f.corrupt(n), duplicate: () => f.duplicate(n), truncate: () => f.truncate(n) }[command.fault];
      set();
      const what = { nak: emulator.protocol === 'medibus' ? 'answered with NAK' : 'refused (acknowledged with the value kept)', noack: 'left unanswered', corrupt: 'sent with a bad CRC/checksum', duplicate: 'sent twice', truncate: 'cut short' }[command.fault];
      return `the next ${n} ${command.fault === 'nak' || command.fault === 'noack' ? 'command(s)' : 'frame(s)'} will be ${what}`;
    }
    case 'reboot':
      emulator.reboot();
      return 'rebooted';
    case 'knob': {
      const s = emulator.turnKnob(command.change);
      return `device now ${JSON.stringify(roundAll(s))}`;
    }
    case 'alarm':
      if (command.on) emulator.raiseAlarm(command.code, command.text);
      else emulator.clearAlarm(command.code);
      return `alarm ${command.code} ${command.on ? 'raised' : 'cleared'}`;
    case 'vitals':
      if (!vitals) return 'no vitals feed (start the emulator with --vitals-port)';
      if (command.action === 'garbage') {
        vitals.garbage(command.count);
        return `${command.count} bad line(s) written to the vitals feed`;
      }
      vitals.silence(command.action === 'off');
      return `vitals feed ${command.action === 'off' ? 'silenced' : 'resumed'}`;
    case 'leak':
      f.leak(command.cmH2O);
      return command.cmH2O === 0
        ? 'no leak: measured pressures as delivered'
        : `a leak of ${command.cmH2O} cmH2O: settings acknowledged as set, measured PEEP and peak/plateau ${command.cmH2O} cmH2O short`;
    case 'clear':
      f.clear();
      vitals?.silence(false);
      return 'all faults cleared';
    case 'status': {
      const s = emulator.status();
      return JSON.stringify({ device: roundAll(s.device), patient: roundAll(s.patient), faults: s.faults, alarms: s.alarms, counters: s.counters, wire: s.wire });
    }
    case 'help':
      return CONTROL_HELP;
  }
}

function roundAll(s: VentSettings): VentSettings {
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { ...s, peepCmH2O: r(s.peepCmH2O), peakCmH2O: r(s.peakCmH2O), rateBpm: r(s.rateBpm), fio2: r(s.fio2) };
}
