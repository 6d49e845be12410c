/**
 * The import lines of code-comment examples (`@example`) are what a user of the published
 * package writes: the package's public entry names (or a dependency), never a path inside the
 * repository. Where the entry's module is in this tree, the names imported are its exports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DIRS = ['machines', 'hal', 'sim', 'common', 'emulators', 'src', 'conformance', 'testing'];

/** The public entries (package.json `exports`). */
const ENTRIES = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'rm-sequencer' : `rm-sequencer/${k.slice(2)}`));
/** Entries whose module's exports this test checks the imported names against. */
const MODULES: Record<string, string> = {
  'rm-sequencer/machines': 'machines/index.ts',
  'rm-sequencer/hal/makair': 'hal/makair/index.ts',
  'rm-sequencer/hal/medibus': 'hal/medibus/index.ts',
  'rm-sequencer/hal/guided': 'hal/guided/index.ts',
  'rm-sequencer/hal/simulated': 'hal/simulated/index.ts',
  'rm-sequencer/sim': 'sim/index.ts',
  'rm-sequencer/emulators': 'emulators/index.ts',
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; peerDependencies?: Record<string, string> };
const DEPENDENCIES = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {})]);

function tsFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || p.endsWith(join('console', 'web'))) return [];
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

interface ExampleImport {
  where: string;
  names: string[];
  from: string;
}

/** `import { a, b } from 'x'` lines inside block comments. */
function exampleImports(): ExampleImport[] {
  const out: ExampleImport[] = [];
  for (const f of DIRS.flatMap((d) => tsFiles(join(ROOT, d)))) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /^\s*\*\s*import\s+(?:type\s+)?(?:\{([^}]*)\}|[\w$]+|\*\s+as\s+[\w$]+)\s+from\s+'([^']+)'/.exec(line);
        if (!m) return;
        const names = (m[1] ?? '')
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n && !n.startsWith('type '))
          .map((n) => n.split(/\s+as\s+/)[0]!);
        out.push({ where: `${relative(ROOT, f)}:${i + 1}`, names, from: m[2]! });
      });
  }
  return out;
}

const isDependency = (spec: string): boolean => DEPENDENCIES.has(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

describe('@example imports', () => {
  const imports = exampleImports();

  it('are found (the scan reads the comments)', () => {
    expect(imports.length).toBeGreaterThan(10);
  });

  it('name a public entry of the package or a dependency, never a path in the repository', () => {
    const bad = imports.filter((x) => !ENTRIES.includes(x.from) && !isDependency(x.from)).map((x) => `${x.where}: '${x.from}'`);
    expect(bad).toEqual([]);
  });

  it("import names the entry's module exports", async () => {
    const missing: string[] = [];
    for (const x of imports.filter((i) => MODULES[i.from] !== undefined)) {
      const mod = (await import(join(ROOT, MODULES[x.from]!))) as Record<string, unknown>;
      for (const n of x.names) if (!(n in mod)) missing.push(`${x.where}: ${n} is not exported by '${x.from}'`);
    }
    expect(missing).toEqual([]);
  });
});
