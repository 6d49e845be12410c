/**
 * The package as a vendor gets it: `npm pack`, installed into an empty project outside the
 * repository. There every entry point imports (the ones without native code with the serial
 * binding removed), a toy `Ventilator` written against the published types typechecks and
 * passes the shipped conformance suite, `rmseq testgen` writes model-based paths that run
 * against it, and every TypeScript snippet of the README and docs/ that imports the package
 * compiles.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, assertBuilt } from '../support/cli.js';

const versionOf = (pkg: string): string => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let project = '';
let tarball = '';

function run(cmd: string, args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** ```ts blocks of a markdown file (also indented, inside lists), dedented. */
function tsBlocks(text: string): string[] {
  return [...text.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)].map((m) =>
    m[2]!
      .split('\n')
      .map((l) => l.slice(m[1]!.length))
      .join('\n'),
  );
}

/** Entry names the package exports (`rm-sequencer`, `rm-sequencer/hal`, ...). */
const ENTRIES = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'rm-sequencer' : `rm-sequencer/${k.slice(2)}`));

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

describe('documentation snippets', () => {
  it('import the package by its published entry names, never by a path into the repository', () => {
    const bad: string[] = [];
    for (const doc of DOCS) {
      for (const block of tsBlocks(readFileSync(join(ROOT, doc), 'utf8'))) {
        for (const m of block.matchAll(/from '([^']+)'/g)) {
          const spec = m[1]!;
          // A vendor's own files ('./acme.js') are fine; the repository's folders and unexported paths are not.
          const intoRepo = /^(\.\.?\/)+(common|hal|machines|sim|src|test|emulators|conformance|testing|dist)\b/.test(spec) || spec.startsWith('/') || /\/(sim|hal|machines)\/index\.js$/.test(spec);
          if (intoRepo || (spec.startsWith('rm-sequencer') && !ENTRIES.includes(spec))) bad.push(`${doc}: ${spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('the packed package in a vendor project', () => {
  beforeAll(() => {
    assertBuilt();
    project = mkdtempSync(join(tmpdir(), 'rmseq-vendor-'));
    const packed = JSON.parse(execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: ROOT, encoding: 'utf8' })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(project, packed[0]!.filename);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'acme-ventilator', version: '1.0.0', private: true, type: 'module' }));
    const install = run(npm, [
      'install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error',
      tarball, `vitest@${versionOf('vitest')}`, `typescript@${versionOf('typescript')}`, `rxjs@${versionOf('rxjs')}`, `@types/node@${versionOf('@types/node')}`,
    ]);
    if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
    mkdirSync(join(project, 'test'));
    for (const f of ['toy.ts', 'conformance.test.ts', 'entries.mjs']) cpSync(join(ROOT, 'test', 'package', 'fixture', f), join(project, f === 'entries.mjs' ? f : `test/${f}`));
  }, 300_000);
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('ships the compiled entries, the conformance suite and the test kit, and no tests or benchmarks', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of ['dist/src/index.js', 'dist/machines/index.d.ts', 'dist/hal/index.js', 'dist/hal/serial/index.js', 'dist/conformance/index.js', 'dist/testing/index.js', 'dist/emulators/index.js', 'bin/rmseq.js']) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => /^package\/(test|bench|dist\/bench|dist\/test)\//.test(f))).toEqual([]);
  });

  it('imports every entry point; machines, hal, adapters, sim, conformance and testing load without the native serial binding', () => {
    const binding = join(project, 'node_modules', '@serialport', 'bindings-cpp');
    expect(existsSync(binding)).toBe(true);
    renameSync(binding, `${binding}.away`);
    let noNative;
    try {
      noNative = run(process.execPath, ['entries.mjs'], { NO_NATIVE: '1' });
    } finally {
      renameSync(`${binding}.away`, binding);
    }
    expect(noNative.stderr).toBe('');
    expect(noNative.code).toBe(0);
    const all = run(process.execPath, ['entries.mjs']);
    expect(all.code, all.stderr).toBe(0);
    const exports = JSON.parse(all.stdout) as Record<string, string[]>;
    expect(exports['rm-sequencer']).toEqual(expect.arrayContaining(['Session', 'runSession', 'openSimulatedSession', 'openDeviceSession', 'Journal']));
    expect(exports['rm-sequencer/machines']).toEqual(expect.arrayContaining(['machineFor', 'defaultProtocol', 'ProtocolSchema', 'checkSample']));
    expect(exports['rm-sequencer/hal']).toEqual(expect.arrayContaining(['VentilatorError', 'OutOfRangeError', 'assertWithinCapabilities', 'transportPair', 'VirtualClock']));
    expect(exports['rm-sequencer/hal']).not.toContain('SerialTransport');
    expect(exports['rm-sequencer/hal/serial']).toEqual(expect.arrayContaining(['SerialTransport', 'ReopeningTransport', 'LineVitalsSource']));
    expect(exports['rm-sequencer/conformance']).toContain('ventilatorConformance');
    expect(exports['rm-sequencer/testing']).toEqual(expect.arrayContaining(['generateModelPaths', 'runModelPath', 'modelPathSuite']));
    // A path that is not an entry is not reachable: the public surface is the exports map.
    const deep = run(process.execPath, ['-e', "import('rm-sequencer/dist/src/runner/session.js').then(() => process.exit(0), (e) => { console.error(e.code); process.exit(1); })"]);
    expect(deep.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  it('typechecks a toy Ventilator and the docs snippets against the published types', () => {
    const snippets = join(project, 'snippets');
    let n = 0;
    for (const doc of DOCS) {
      // One folder per document; a block starting with `// file: NAME.ts` is that file, which the others may import.
      const dir = join(snippets, doc.replace(/[/.]/g, '_'));
      mkdirSync(dir, { recursive: true });
      for (const block of tsBlocks(readFileSync(join(ROOT, doc), 'utf8'))) {
        if (!/from 'rm-sequencer/.test(block)) continue;
        const name = /^\/\/ file: ([\w.-]+\.ts)\n/.exec(block)?.[1] ?? `snippet-${++n}.ts`;
        writeFileSync(join(dir, name), `${block}\nexport {};\n`);
      }
    }
    expect(n).toBeGreaterThanOrEqual(4);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], lib: ['ES2023'] },
        include: ['test/toy.ts', 'snippets'],
      }),
    );
    const tsc = run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }, 120_000);

  it('runs the shipped conformance suite and `rmseq testgen` paths against the toy Ventilator', () => {
    writeFileSync(join(project, 'si.json'), JSON.stringify({ maneuver: 'sustained-inflation', holdS: 20 }));
    const gen = run(process.execPath, [join(project, 'node_modules', '.bin', 'rmseq'), 'testgen', '--protocol', 'si.json', '--out', 'test/generated.test.ts', '--subject', './toy.js']);
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stdout).toMatch(/test\/generated\.test\.ts: \d+ paths through the sustained-inflation machine \(states 23\/23/);
    const vitest = run(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json', '--outputFile=results.json']);
    const results = JSON.parse(readFileSync(join(project, 'results.json'), 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; testResults: Array<{ name: string; assertionResults: Array<{ status: string; title: string; failureMessages: string[] }> }> };
    const failed = results.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${a.title}: ${a.failureMessages.join('\n').slice(0, 400)}`));
    expect(failed).toEqual([]);
    expect(vitest.code).toBe(0);
    const byFile = Object.fromEntries(results.testResults.map((f) => [f.name.replace(/.*\/test\//, ''), f.assertionResults.filter((a) => a.status === 'passed').length]));
    expect(byFile['conformance.test.ts']).toBeGreaterThanOrEqual(6);
    expect(byFile['generated.test.ts']).toBeGreaterThanOrEqual(50);
  }, 240_000);
});
