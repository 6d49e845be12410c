/**
 * Code tables from a file (issue 21 point 1): the per-family table is explicit data that a
 * site can replace with a file, validated with zod, size-limited, with errors that name the
 * file, the field, the value and what is allowed; `sameAs` marks codes the sources disagree on
 * for one and the same value.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isJsonInputError } from '../../../common/jsonInput.js';
import { isValidationError } from '../../../common/validation.js';
import { CODE_TABLE_LIMITS, loadCodeTableFile, parseCodeTable } from '../../../hal/medibus/index.js';
import primusJson from '../../../hal/medibus/codes/primus.json' with { type: 'json' };

const dir = mkdtempSync(join(tmpdir(), 'rmseq-codes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (content: string): string => {
  const p = join(dir, `t${n++}.json`);
  writeFileSync(p, content);
  return p;
};
const clone = (): typeof primusJson => JSON.parse(JSON.stringify(primusJson)) as typeof primusJson;

describe('loadCodeTableFile', () => {
  it('loads a valid table (the built-in Primus one, reordered so 0CH is the first PEEP code)', () => {
    const t = clone();
    const peep = t.settings.filter((s) => s.maps === 'peepCmH2O');
    t.settings = [{ code: '0C', name: 'PEEP', unit: 'mbar', maps: 'peepCmH2O' }, ...t.settings.filter((s) => s.maps !== 'peepCmH2O')] as typeof t.settings;
    expect(peep.map((p) => p.code)).toEqual(['0B', '0C']);
    const table = loadCodeTableFile(file(JSON.stringify(t)), 'primus');
    expect(table.settings[0]).toMatchObject({ code: 0x0c, maps: 'peepCmH2O' });
  });

  it('refuses a missing path, a directory, an oversized file, bad JSON and a duplicate key, naming the file', () => {
    const expectInput = (f: () => unknown, re: RegExp) => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isJsonInputError(err), String(err)).toBe(true);
      expect((err as Error).message).toMatch(re);
    };
    expectInput(() => loadCodeTableFile(join(dir, 'nothing.json')), /cannot read MEDIBUS code table file .*nothing\.json: ENOENT/);
    mkdirSync(join(dir, 'adir'));
    expectInput(() => loadCodeTableFile(join(dir, 'adir')), /is not a regular file/);
    expectInput(() => loadCodeTableFile(file(' '.repeat(CODE_TABLE_LIMITS.maxFileBytes + 1))), /over the size limit of 65536 bytes/);
    expectInput(() => loadCodeTableFile(file('{"family": "primus",')), /is not valid JSON/);
    expectInput(() => loadCodeTableFile(file('{"family": "primus", "family": "evita"}')), /duplicate key "family"/);
    expectInput(() => loadCodeTableFile(file(JSON.stringify(clone())), 'evita'), /is for the primus family, but the device is a evita/);
  });

  it('schema errors name every bad field with its value and what is allowed', () => {
    const t = clone() as unknown as Record<string, unknown> & { settings: Array<Record<string, unknown>>; measured: Array<Record<string, unknown>> };
    t.settings[0]!.code = '0b';
    t.measured[0]!.unit = 'psi';
    t.extra = 1;
    let err: unknown;
    try {
      loadCodeTableFile(file(JSON.stringify(t)));
    } catch (e) {
      err = e;
    }
    expect(isValidationError(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toMatch(/invalid MEDIBUS code table .*t\d+\.json/);
    expect(msg).toMatch(/settings\[0\]\.code = "0b": must be two upper-case hex digits/);
    expect(msg).toMatch(/measured\[0\]\.unit = "psi": must be one of "mbar"/);
    expect(msg).toMatch(/extra = 1: unknown field/);
  });

  it('limits the number of entries and the length of patterns', () => {
    const t = clone();
    t.measured = Array.from({ length: CODE_TABLE_LIMITS.maxEntries + 1 }, (_, i) => ({ codepage: 1 + (i >> 8), code: (i & 0xff).toString(16).toUpperCase().padStart(2, '0'), name: `v${i}`, unit: 'none' })) as typeof t.measured;
    expect(() => parseCodeTable(t)).toThrow(/measured = .*: Too big|measured.*256/i);
    const u = clone();
    u.deviceNamePatterns = ['x'.repeat(CODE_TABLE_LIMITS.maxPatternChars + 1)];
    expect(() => parseCodeTable(u)).toThrow(/deviceNamePatterns\[0\]/);
  });
});

describe('sameAs: one value under codes the sources disagree on', () => {
  const withSetting = (extra: Record<string, unknown>) => {
    const t = clone();
    t.settings = [...t.settings.filter((s) => s.code !== '0C'), { code: '0C', name: 'PEEP alt', unit: 'mbar', maps: 'peepCmH2O', ...extra }] as typeof t.settings;
    return t;
  };

  it('must name an earlier entry that maps the same target', () => {
    expect(() => parseCodeTable(withSetting({ sameAs: '0B' }))).not.toThrow();
    expect(() => parseCodeTable(withSetting({ sameAs: '7F' }))).toThrow(/settings\[\d+\]\.sameAs = "7F": names no earlier entry with code "7F"/);
    expect(() => parseCodeTable(withSetting({ sameAs: '01' }))).toThrow(/names "01", which maps fio2, not peepCmH2O/);
    expect(() => parseCodeTable(withSetting({ sameAs: '0B', maps: undefined }))).toThrow(/an entry with sameAs must map a target/);
  });

  it('the built-in Primus table accepts PEEP as 0BH or 0CH; Evita and V300 know 0CH as the sigh PEEP only', () => {
    const primus = parseCodeTable(primusJson);
    expect(primus.settings.filter((s) => s.maps === 'peepCmH2O').map((s) => [s.code, s.sameAs])).toEqual([
      [0x0b, undefined],
      [0x0c, 0x0b],
    ]);
  });
});
