/**
 * The emulated IntelliVue's control lines (the CLI reads them from stdin):
 *
 *   inop <name> [off]      raise (or clear) an INOP: spo2 (no sensor), spo2-nonpulsatile,
 *                          abp (no transducer), abp-zero (zeroing), ecg (leads off)
 *   flush [s]              the arterial line is flushed: ABP reads 300 mmHg for s seconds (default 5)
 *   questionable <spo2|abp|hr> [off]   values sent marked questionable
 *   demo on|off            every value sent as demo data
 *   drop                   the monitor aborts the association
 *   silent on|off          the monitor answers nothing
 *   refuse <n>             refuse the next n association requests
 *   clear | status | help
 */
import { INOPS, type InopName, type IntelliVueEmulator, type QuestionableField } from './monitor.js';

export type IntelliVueControl =
  | { kind: 'inop'; name: InopName; on: boolean }
  | { kind: 'flush'; seconds: number }
  | { kind: 'questionable'; field: QuestionableField; on: boolean }
  | { kind: 'demo'; on: boolean }
  | { kind: 'drop' }
  | { kind: 'silent'; on: boolean }
  | { kind: 'refuse'; count: number }
  | { kind: 'clear' }
  | { kind: 'status' }
  | { kind: 'help' };

export const INTELLIVUE_CONTROL_HELP = [
  `inop <${Object.keys(INOPS).join('|')}> [off] | flush [s] | questionable <spo2|abp|hr> [off]`,
  'demo on|off | drop | silent on|off | refuse <n> | clear | status | help',
].join('\n');

const onOff = (w: string | undefined, what: string): boolean | string => (w === 'on' ? true : w === 'off' ? false : `${what} takes on or off (got ${w === undefined ? 'nothing' : JSON.stringify(w)})`);

/**
 * @example
 * parseIntelliVueControl('inop spo2');    // { ok: true, command: { kind: 'inop', name: 'spo2', on: true } }
 * parseIntelliVueControl('flush 99999');  // { ok: false, error: 'flush: seconds must be 1-600 ...' }
 */
export function parseIntelliVueControl(line: string): { ok: true; command: IntelliVueControl } | { ok: false; error: string } {
  const [word, a, b, ...extra] = line.trim().split(/\s+/);
  const fail = (error: string) => ({ ok: false as const, error });
  const ok = (command: IntelliVueControl) => ({ ok: true as const, command });
  if (extra.length) return fail(`too many words in ${JSON.stringify(line.trim())}`);
  switch (word) {
    case 'inop': {
      if (!a || !(a in INOPS)) return fail(`inop: unknown INOP ${JSON.stringify(a ?? '')} (one of ${Object.keys(INOPS).join(', ')})`);
      if (b !== undefined && b !== 'off' && b !== 'on') return fail(`inop ${a}: takes nothing, on or off (got ${JSON.stringify(b)})`);
      return ok({ kind: 'inop', name: a as InopName, on: b !== 'off' });
    }
    case 'flush': {
      const s = a === undefined ? 5 : Number(a);
      if (!Number.isFinite(s) || s < 1 || s > 600 || b !== undefined) return fail(`flush: seconds must be 1-600 (got ${JSON.stringify(a)})`);
      return ok({ kind: 'flush', seconds: s });
    }
    case 'questionable': {
      if (a !== 'spo2' && a !== 'abp' && a !== 'hr') return fail(`questionable: field must be spo2, abp or hr (got ${JSON.stringify(a ?? '')})`);
      if (b !== undefined && b !== 'off' && b !== 'on') return fail(`questionable ${a}: takes nothing, on or off (got ${JSON.stringify(b)})`);
      return ok({ kind: 'questionable', field: a, on: b !== 'off' });
    }
    case 'demo':
    case 'silent': {
      const v = onOff(a, word);
      if (typeof v === 'string' || b !== undefined) return fail(typeof v === 'string' ? v : `${word}: one word after it`);
      return ok(word === 'demo' ? { kind: 'demo', on: v } : { kind: 'silent', on: v });
    }
    case 'refuse': {
      const n = Number(a);
      if (!Number.isInteger(n) || n < 1 || n > 1000 || b !== undefined) return fail(`refuse: count must be a whole number 1-1000 (got ${JSON.stringify(a ?? '')})`);
      return ok({ kind: 'refuse', count: n });
    }
    case 'drop':
    case 'clear':
    case 'status':
    case 'help':
      if (a !== undefined) return fail(`${word} takes no argument`);
      return ok({ kind: word });
    default:
      return fail(`unknown command ${JSON.stringify(word ?? '')}; try help`);
  }
}

/** Carries out a control command; returns the line to print. */
export function executeIntelliVueControl(c: IntelliVueControl, monitor: IntelliVueEmulator): string {
  switch (c.kind) {
    case 'inop':
      if (c.on) monitor.raiseInop(c.name);
      else monitor.clearInop(c.name);
      return `INOP ${INOPS[c.name].text} ${c.on ? 'raised' : 'cleared'}`;
    case 'flush':
      monitor.flush(c.seconds * 1000);
      return `arterial line flushed for ${c.seconds} s`;
    case 'questionable':
      monitor.setQuestionable(c.field, c.on);
      return `${c.field} ${c.on ? 'now sent as questionable' : 'no longer questionable'}`;
    case 'demo':
      monitor.setDemo(c.on);
      return `demo data ${c.on ? 'on' : 'off'}`;
    case 'silent':
      monitor.setSilent(c.on);
      return `monitor ${c.on ? 'silent' : 'answering again'}`;
    case 'refuse':
      monitor.refuse(c.count);
      return `the next ${c.count} association(s) will be refused`;
    case 'drop':
      monitor.dropAssociation();
      return 'association aborted';
    case 'clear':
      monitor.clear();
      return 'every fault off';
    case 'status':
      return JSON.stringify(monitor.status());
    case 'help':
      return INTELLIVUE_CONTROL_HELP;
  }
}
