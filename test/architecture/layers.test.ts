/**
 * The layer rule, enforced (README "Layout"): dependency-cruiser with .dependency-cruiser.cjs
 * over every source folder finds no upward import and no cycle; and the application never
 * asks an adapter what class it is (adapter policy lives behind the port).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const SOURCES = ['machines', 'sim', 'hal', 'common', 'emulators', 'conformance', 'testing', 'src', 'test', 'bench', 'scripts'];

function cruise(paths: string[]): { violations: Array<{ rule: { name: string }; from: string; to: string; cycle?: Array<{ name: string }> }> } {
  // Its exit status counts the violations; the JSON on stdout says what they are.
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'), '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...paths], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!r.stdout.trim()) throw new Error(`dependency-cruiser printed nothing: ${r.stderr}`);
  const out = r.stdout;
  return (JSON.parse(out) as { summary: { violations: ReturnType<typeof cruise>['violations'] } }).summary;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('layers', () => {
  it('no upward imports and no import cycles (dependency-cruiser)', () => {
    const { violations } = cruise(SOURCES);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`)).toEqual([]);
  }, 120_000);

  it('no instanceof of an adapter class outside hal/: adapter policy is behind the port', () => {
    const offending: string[] = [];
    for (const dir of ['src', 'machines', 'testing', 'conformance', 'emulators']) {
      for (const file of tsFiles(join(ROOT, dir))) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/instanceof\s+(MakAir|Medibus|Guided|Simulated|Line)\w*(Ventilator|Vitals|VitalsSource)\b/.test(line)) offending.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(offending).toEqual([]);
  });
});
