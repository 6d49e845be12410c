#!/usr/bin/env node
/**
 * Builds the console page: bundles src/console/web/main.ts (and its CSS, uPlot's included)
 * with esbuild into dist/console/, next to a copy of index.html. No CDN: the bundle is all
 * the page loads, so the console works offline.
 *
 * Usage:  node scripts/build-console.mjs [--outdir dist/console] [--dev]
 *   --dev  no minification, inline source maps
 * As a module:  const { buildConsole } = await import('./scripts/build-console.mjs');
 *               await buildConsole({ outdir, dev });
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'src', 'console', 'web');

/**
 * @param {{ outdir?: string, dev?: boolean, logLevel?: import('esbuild').LogLevel }} [options]
 * @returns {Promise<{ outdir: string, files: string[] }>}
 */
export async function buildConsole(options = {}) {
  const outdir = resolve(root, options.outdir ?? join('dist', 'console'));
  const dev = Boolean(options.dev);
  await mkdir(outdir, { recursive: true });
  const common = {
    bundle: true,
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    logLevel: options.logLevel ?? 'warning',
    absWorkingDir: root,
    legalComments: 'none',
  };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [join(web, 'main.ts')], outfile: join(outdir, 'console.js'), format: 'esm', target: ['chrome109', 'firefox115', 'safari16'], platform: 'browser' }),
    esbuild.build({ ...common, entryPoints: [join(web, 'styles.css')], outfile: join(outdir, 'console.css') }),
  ]);
  await copyFile(join(web, 'index.html'), join(outdir, 'index.html'));
  return { outdir, files: ['index.html', 'console.js', 'console.css'] };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outdir');
  const outdir = at >= 0 ? args[at + 1] : undefined;
  if (at >= 0 && !outdir) {
    console.error('build-console: --outdir needs a directory');
    process.exit(2);
  }
  const unknown = args.filter((a, i) => a !== '--dev' && a !== '--outdir' && !(at >= 0 && i === at + 1));
  if (unknown.length) {
    console.error(`build-console: unknown argument(s) ${unknown.join(' ')}; usage: node scripts/build-console.mjs [--outdir DIR] [--dev]`);
    process.exit(2);
  }
  try {
    const { outdir: out } = await buildConsole({ ...(outdir ? { outdir } : {}), dev: args.includes('--dev') });
    console.log(`console page built in ${out}`);
  } catch (e) {
    console.error(`build-console: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
