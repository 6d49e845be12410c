/**
 * The journal from the command line (the built binary, as at the bedside): what --journal
 * accepts, `rmseq verify`, and replay/report/recover on a journal whose chain is broken.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, startCli, type CliResult } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rmseq-journal-cli-'));
beforeAll(() => assertBuilt());

/** Runs the CLI; a process still running after `limitMs` is killed (a hang is a failure, not a stuck suite). */
async function cli(args: string[], limitMs = 30_000): Promise<CliResult> {
  const run = startCli(args, { cwd: dir });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), limitMs);
  const r = await run.done;
  clearTimeout(timer);
  return r;
}

// assessS 10: with 0 the final step has no reading of its own and its lung-protective check reads
// the previous step's (the re-recruitment at PEEP 20 / peak 35, plateau ~34), an abort.
const SHORT = { maneuver: 'staircase', incrementalPeepsCmH2O: [20], incrementalDwellS: 30, decremental: { startPeepCmH2O: 20, floorPeepCmH2O: 15, stepCmH2O: 5, dwellS: 60 }, reRecruit: { peepCmH2O: 20, dwellS: 30 }, assessS: 10, measureWindowS: 10 };
const protocolFile = join(dir, 'short.json');
writeFileSync(protocolFile, JSON.stringify(SHORT));
const runArgs = (journal: string, ...more: string[]) => ['run', 'staircase', '--patient', 'moderate-ards', '--protocol', protocolFile, '--json', '--journal', journal, ...more];

describe('--journal accepts a new file or a journal of this tool only', () => {
  it('refuses /dev/full at once, without reading it (exit 2)', async () => {
    const r = await cli(runArgs('/dev/full'), 10_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/dev\/full is a character device: the journal must be a regular file/);
  });

  it('refuses to append to a patient profile or any file that is not a journal (exit 2, file unchanged)', async () => {
    const profile = join(dir, 'profile.json');
    const text = JSON.stringify({ name: 'x' });
    writeFileSync(profile, text);
    const r = await cli(runArgs(profile));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not an rmseq journal/);
    expect(readFileSync(profile, 'utf8')).toBe(text);
    for (const [flag, extra] of [['run', []], ['console', ['--port', '0']]] as const) {
      const c = await cli(flag === 'run' ? runArgs(dir) : ['console', '--journal', dir, ...extra]);
      expect(c.code, `${flag} with a directory`).toBe(2);
      expect(c.stderr).toMatch(/is a directory/);
    }
  });

  it('appends sessions to one journal; the chain continues across them and verifies', async () => {
    const journal = join(dir, 'two.jsonl');
    expect((await cli(runArgs(journal))).code).toBe(0);
    expect((await cli(runArgs(journal, '--seed', '2'))).code).toBe(0);
    const v = await cli(['verify', journal]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/OK, \d+ line\(s\) verified \(SHA-256\); head [0-9a-f]{64}/);
    expect(readFileSync(journal, 'utf8').match(/"event":"session-start"/g)).toHaveLength(2);
  });
});

describe('rmseq verify, replay, report on a broken chain', () => {
  let journal = '';
  let tampered = '';
  beforeAll(async () => {
    journal = join(dir, 'good.jsonl');
    expect((await cli(runArgs(journal))).code).toBe(0);
    tampered = join(dir, 'tampered.jsonl');
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[6] = lines[6]!.replace(/"t":(\d)/, '"t":9$1');
    writeFileSync(tampered, lines.join('\n'));
  }, 60_000);

  it('verify reports the first broken line (exit 2)', async () => {
    const r = await cli(['verify', tampered]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/BROKEN: hash chain broken at line 7/);
  });

  it('replay refuses a broken chain (exit 2) instead of reporting the same decisions', async () => {
    const r = await cli(['replay', tampered]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be trusted: hash chain broken at line 7/);
    expect(r.stdout).not.toMatch(/SAME DECISIONS/);
  });

  it('report renders a broken chain under a prominent warning', async () => {
    const out = join(dir, 'tampered.html');
    const r = await cli(['report', tampered, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/WARNING: journal .* cannot be trusted/);
    expect(readFileSync(out, 'utf8')).toMatch(/role="alert"[^>]*>WARNING: THIS JOURNAL CANNOT BE TRUSTED\. hash chain broken at line 7/);
    const good = join(dir, 'good.html');
    await cli(['report', journal, '--out', good]);
    expect(readFileSync(good, 'utf8')).not.toMatch(/CANNOT BE TRUSTED/);
  });

  it('recover refuses a broken chain before touching any device (exit 2)', async () => {
    const r = await cli(['recover', tampered, '--device', 'makair:/nonexistent', '--fio2', '0.4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be trusted: hash chain broken at line 7/);
  });

  it('a run appending to a broken journal is refused (exit 2)', async () => {
    const r = await cli(runArgs(tampered));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hash chain broken at line 7.*refusing to append/);
  });

  it('a keyed journal verifies with its key only', async () => {
    const key = join(dir, 'key');
    writeFileSync(key, 'a secret of the hospital, 32 b\n');
    const keyed = join(dir, 'keyed.jsonl');
    expect((await cli(runArgs(keyed, '--journal-key', key))).code).toBe(0);
    expect((await cli(['verify', keyed, '--journal-key', key])).stdout).toMatch(/OK, .*HMAC-SHA256/);
    const without = await cli(['verify', keyed]);
    expect(without.code).toBe(2);
    expect(without.stdout).toMatch(/keyed \(HMAC\): give its --journal-key/);
    expect((await cli(['replay', keyed])).code).toBe(2);
    expect((await cli(['replay', keyed, '--journal-key', key])).code).toBe(0);
  });

  it('verify: a file that is not a journal, or not a regular file, is bad input (exit 2)', async () => {
    expect((await cli(['verify', protocolFile])).stderr).toMatch(/is not an rmseq journal/);
    const dev = await cli(['verify', '/dev/zero'], 10_000);
    expect(dev.code).toBe(2);
    expect(dev.stderr).toMatch(/not a regular file/);
    expect(existsSync(join(dir, 'missing.jsonl'))).toBe(false);
    expect((await cli(['verify', join(dir, 'missing.jsonl')])).code).toBe(2);
  });
});

describe('rmseq verify: lines deleted at the end', () => {
  it('a journal whose last line was deleted does not verify (exit 2), thanks to its head file', async () => {
    const journal = join(dir, 'cut.jsonl');
    expect((await cli(runArgs(journal))).code).toBe(0);
    const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
    writeFileSync(journal, `${lines.slice(0, -1).join('\n')}\n`);
    const r = await cli(['verify', journal]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`BROKEN: hash chain broken at line ${lines.length}: the journal ends at line ${lines.length - 1}, but its head file records ${lines.length} lines`));
    expect((await cli(['replay', journal])).code).toBe(2);
  });
});
