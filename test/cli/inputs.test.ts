/**
 * Every JSON input and numeric flag the CLI reads, in process: depth and size limits,
 * duplicate keys, cross-field rules, flags that do not apply to the target, strict numbers.
 * Each is bad input: exit 2 with a message naming the problem, and nothing starts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonStrict } from '../../common/jsonInput.js';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'rmseq-inputs-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

async function rmseq(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false });
  return { code, out, err };
}

const sim = ['run', 'staircase', '--patient', 'moderate-ards', '--json'];

describe('JSON inputs: limits and duplicate keys', () => {
  const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

  it('a JSON file nested 100,000 deep is bad input naming the limit, not a stack trace', async () => {
    for (const [flag, args] of [
      ['--protocol', [...sim, '--protocol']],
      ['--baseline', [...sim, '--baseline']],
      ['--patient', ['run', 'staircase', '--json', '--patient']],
    ] as const) {
      const r = await rmseq(...args, file(`deep${flag}.json`, deep));
      expect(r.code, flag).toBe(2);
      expect(r.err, flag).toMatch(/nested deeper than the limit of 32 levels/);
      expect(r.err, flag).not.toMatch(/internal error|at .*\.js:\d+/);
    }
    const arrays = await rmseq('validate', file('deep-arrays.json', `${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    expect(arrays.code).toBe(2);
    expect(arrays.err).toMatch(/nested deeper than the limit of 32 levels/);
  });

  it('duplicate keys are rejected naming the key, at any depth, in every JSON input', async () => {
    const p = await rmseq(...sim, '--protocol', file('dup.json', '{"maneuver":"staircase","incrementalDwellS":60,"incrementalDwellS":300}'));
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/duplicate key "incrementalDwellS"/);
    const nested = await rmseq(...sim, '--protocol', file('dup2.json', '{"maneuver":"staircase","decremental":{"dwellS":60,"dwellS":600}}'));
    expect(nested.err).toMatch(/duplicate key "dwellS" in the object at decremental/);
    const escaped = await rmseq(...sim, '--baseline', file('dup3.json', '{"mode":"PCV","peepCmH2O":10,"peakCmH2O":25,"rateBpm":20,"fio2":0.4,"p\\u0065epCmH2O":24}'));
    expect(escaped.code).toBe(2);
    expect(escaped.err).toMatch(/duplicate key "peepCmH2O"/);
    expect((await rmseq('validate', file('dup4.json', '{"maneuver":"staircase","maneuver":"staircase"}'))).err).toMatch(/duplicate key "maneuver"/);
  });

  it('an oversized file or a file that is not a regular file is bad input, never read', async () => {
    const big = await rmseq(...sim, '--protocol', file('big.json', `{"maneuver":"staircase","x":"${'a'.repeat(1_100_000)}"}`));
    expect(big.code).toBe(2);
    expect(big.err).toMatch(/over the size limit of 1048576 bytes/);
    const dev = await rmseq(...sim, '--protocol', '/dev/zero');
    expect(dev.code).toBe(2);
    expect(dev.err).toMatch(/not a regular file/);
  });

  it('the scanner keeps strings with brackets, quotes and escapes intact', () => {
    expect(parseJsonStrict('{"a":"{[\\"}]","b":[{"a":1},{"a":2}]}', 'x')).toEqual({ a: '{[\\"}]'.replace('\\"', '"'), b: [{ a: 1 }, { a: 2 }] });
    expect(() => parseJsonStrict('{"a":1', 'x')).toThrow(/x is not valid JSON/);
  });
});

describe('cross-field rules', () => {
  it('a measurement window longer than its step dwell is rejected, naming both fields and values', async () => {
    const r = await rmseq(...sim, '--protocol', file('window.json', JSON.stringify({ maneuver: 'staircase', incrementalDwellS: 60, measureWindowS: 90 })));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/measureWindowS = 90: must not exceed incrementalDwellS \(60 s\)/);
    const hold = await rmseq('run', 'high-pressure-pcv', '--patient', 'moderate-ards', '--json', '--protocol', file('hold.json', JSON.stringify({ maneuver: 'high-pressure-pcv', holdS: 60, measureWindowS: 120 })));
    expect(hold.err).toMatch(/measureWindowS = 120: must not exceed holdS \(60 s\)/);
    const v = await rmseq('validate', file('window2.json', JSON.stringify({ maneuver: 'staircase', decremental: { dwellS: 60 }, measureWindowS: 70 })));
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/must not exceed decremental.dwellS \(60 s\)/);
  });

  it('a decremental phase starting above the highest recruitment PEEP is rejected', async () => {
    const r = await rmseq('validate', file('dec.json', JSON.stringify({ maneuver: 'staircase', incrementalPeepsCmH2O: [20, 25], decremental: { startPeepCmH2O: 30, floorPeepCmH2O: 15 } })));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/decremental.startPeepCmH2O = 30: must not exceed the highest recruitment PEEP/);
  });

  it('a re-recruitment below the decremental start, or an SpO2 detection ceiling at or below the floor, is rejected', async () => {
    const r = await rmseq('validate', file('rerecruit.json', JSON.stringify({ maneuver: 'staircase', decremental: { startPeepCmH2O: 25 }, reRecruit: { peepCmH2O: 20 } })));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/reRecruit.peepCmH2O = 20: must not be below decremental.startPeepCmH2O \(25 cmH2O\)/);
    const c = await rmseq('validate', file('ceiling.json', JSON.stringify({ maneuver: 'sustained-inflation', safety: { spo2FloorPct: 92, spo2DetectCeilingPct: 90 } })));
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/safety.spo2DetectCeilingPct = 90: must be above safety.spo2FloorPct \(92 %\)/);
  });

  it('a baseline whose peak is not above its PEEP, or with no breaths in PCV/VC, is rejected', async () => {
    const r = await rmseq(...sim, '--baseline', file('b.json', JSON.stringify({ mode: 'PCV', peepCmH2O: 20, peakCmH2O: 15, rateBpm: 0, fio2: 0.4 })));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/peakCmH2O = 15: must be above peepCmH2O \(20 cmH2O\)/);
    expect(r.err).toMatch(/rateBpm = 0: must be at least 1/);
  });
});

describe('flags for the other target', () => {
  it('device-only flags on a simulator run are rejected, not silently ignored', async () => {
    for (const [flag, value] of [['--fio2', '0.4'], ['--vitals', 'line:/dev/null'], ['--family', 'evita'], ['--medibus-codes', 'x.json'], ['--baud', '9600'], ['--vitals-baud', '9600'], ['--parity', 'none']] as const) {
      const r = await rmseq(...sim, flag, value);
      expect(r.code, flag).toBe(2);
      expect(r.err, flag).toMatch(new RegExp(`${flag} applies to a ventilator \\(--device\\) only`));
    }
    const c = await rmseq('console', '--fio2', '0.4');
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--fio2 applies to a ventilator/);
  });

  it('a guided timeout on a run that is not guided is rejected, not silently ignored', async () => {
    const r = await rmseq(...sim, '--guided-timeout', '60');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--guided-timeout applies to guided runs only/);
    const d = await rmseq('run', 'staircase', '--device', 'makair:/dev/null', '--vitals', 'line:/dev/null', '--guided-timeout', '60');
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/--guided-timeout applies to guided runs only/);
  });

  it('journal options without --journal are rejected', async () => {
    expect((await rmseq(...sim, '--journal-decimate', '5')).err).toMatch(/--journal-decimate applies with --journal only/);
    expect((await rmseq(...sim, '--journal-key', '/etc/hostname')).err).toMatch(/--journal-key applies with --journal only/);
  });
});

describe('strict number parsing', () => {
  it('an empty --seed is rejected, not run as seed 0', async () => {
    const r = await rmseq(...sim, '--seed', '');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--seed = "": must be a whole number between 0 and 2147483647/);
    expect(r.out).toBe('');
  });

  it.each([
    ['--seed', ''],
    ['--seed', ' 5'],
    ['--seed', '5 '],
    ['--seed', '0x10'],
    ['--seed', '1e3'],
    ['--seed', '1e3x'],
    ['--seed', '5.0'],
    ['--seed', '+5'],
    ['--speed', ''],
    ['--speed', '1e1'],
    ['--speed', 'Infinity'],
    ['--speed', '0x10'],
    ['--speed', '2x'],
    ['--journal-decimate', '2.5'],
  ])('%s %j is rejected naming flag, value and range', async (flag, value) => {
    const extra = flag === '--journal-decimate' ? ['--journal', join(dir, 'never.jsonl')] : [];
    const r = await rmseq(...sim, ...extra, flag, value);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${flag} = ${JSON.stringify(value)}: must be a`);
    expect(r.err).toMatch(/between [\d.]+ and \d+/);
  });

  it('other commands parse their numbers as strictly', async () => {
    expect((await rmseq('cohort', '--patients', '1e2')).err).toMatch(/--patients = "1e2": must be a whole number between 1 and/);
    expect((await rmseq('console', '--port', ' 80')).err).toMatch(/--port = " 80": must be a whole number between 0 and 65535/);
    expect((await rmseq('run', 'staircase', '--device', 'makair:/dev/null', '--fio2', '0x1', '--vitals', 'line:/dev/null')).err).toMatch(/--fio2 = "0x1": must be a fraction between 0.21 and 1/);
  });
});
