/**
 * Disk full mid-run, end to end: the journal file hits the process's file-size limit
 * (`ulimit -f`, so writes fail with EFBIG as on a full disk; no root, no special device).
 * The run aborts once with `journal-failure`, restores and verifies the baseline, says the
 * journal is incomplete and why, and exits 3; no restore storm, no stack trace.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, assertBuilt, type CliResult } from '../support/cli.js';

beforeAll(() => assertBuilt());

/** Runs the CLI under `ulimit -f <kib>` (bash counts in 1024-byte blocks). */
function runLimited(kib: number, args: string[]): Promise<CliResult> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('bash', ['-c', `ulimit -f ${kib} && exec ${quoted}`], { env: { ...process.env, FORCE_COLOR: '0' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('rmseq run: the journal disk fills up mid-run', () => {
  it('aborts once with journal-failure, baseline verified, exit 3, a message saying the journal is incomplete', { timeout: 30_000 }, async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'rmseq-full-')), 'full.jsonl');
    const r = await runLimited(64, ['run', 'staircase', '--patient', 'moderate-ards', '--seed', '1', '--json', '--journal', journal]);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr).toMatch(/journal .*full\.jsonl.* is incomplete/);
    expect(r.stderr).toMatch(/EFBIG|ENOSPC/);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ outcome: 'aborted', abortReason: 'journal-failure', baselineRestoreVerified: true });
    expect(result.verifiedSettings).toEqual(result.baseline);
    const text = readFileSync(journal, 'utf8');
    expect(text.length).toBeLessThanOrEqual(64 * 1024);
    expect(text.split('\n').filter((l) => /emergency restore/.test(l))).toEqual([]);
  });

  it('a journal that cannot take even its first line: nothing starts (exit 5), and the message says so', { timeout: 30_000 }, async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'rmseq-full-')), 'tiny.jsonl');
    const r = await runLimited(1, ['run', 'staircase', '--patient', 'moderate-ards', '--json', '--journal', journal]);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/journal .*tiny\.jsonl is incomplete: writing line 1 failed \(EFBIG/);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'not-started', verifiedSettings: null });
  });
});
