/** Versions recorded in journals and printed by --version. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function ownVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'rm-sequencer' && p.version) return p.version;
    } catch {
      // try the next location (source tree vs dist/)
    }
  }
  return 'unknown';
}

export function versions(): Record<string, string> {
  return { 'rm-sequencer': ownVersion(), node: process.version, xstate: versionOf('xstate'), zod: versionOf('zod') };
}
