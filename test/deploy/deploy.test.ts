/**
 * The two shipped ways to spread a cohort (deploy/k8s/cohort-job.yaml, an Indexed Job, and
 * deploy/github-actions-cohort.yml, a CI matrix) parse, use only flags `rmseq` has, agree on N,
 * take K from JOB_COMPLETION_INDEX / the matrix, and their commands, run for every K on a small
 * cohort and merged with the merge step's own command, give the unsharded statistics.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import { parseYamlSubset } from '../support/yamlSubset.js';

const ROOT = join(import.meta.dirname, '..', '..');
const K8S_JOB = join(ROOT, 'deploy', 'k8s', 'cohort-job.yaml');
const K8S_MERGE = join(ROOT, 'deploy', 'k8s', 'cohort-merge-job.yaml');
const GHA = join(ROOT, 'deploy', 'github-actions-cohort.yml');

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => {
  expect(v !== null && typeof v === 'object' && !Array.isArray(v)).toBe(true);
  return v as Obj;
};
const arr = (v: unknown): unknown[] => {
  expect(Array.isArray(v)).toBe(true);
  return v as unknown[];
};

/** Shell words of one command line: quotes removed, split at `&&`, redirections dropped. */
function shellCommands(line: string): string[][] {
  const words: string[] = [];
  let cur: string | null = null;
  let quote: string | null = null;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = null;
      else cur = (cur ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (c === ' ') {
      if (cur !== null) words.push(cur);
      cur = null;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  const commands: string[][] = [[]];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '&&') commands.push([]);
    else if (w === '>') i++;
    else (commands.at(-1) as string[]).push(w);
  }
  return commands;
}

/** The `rmseq` arguments of a command (after `exec`, `rmseq` or `node bin/rmseq.js`). */
function rmseqArgs(words: string[]): string[] {
  const at = words.findIndex((w) => w === 'rmseq' || w.endsWith('bin/rmseq.js'));
  expect(at, words.join(' ')).toBeGreaterThanOrEqual(0);
  return words.slice(at + 1);
}

const program = buildProgram(() => undefined);
const command = (...path: string[]): Command => {
  let c: Command = program;
  for (const name of path) c = c.commands.find((x) => x.name() === name) as Command;
  expect(c, path.join(' ')).toBeDefined();
  return c;
};

/** Every `--flag` in the arguments is an option of that (sub)command. */
function expectKnownFlags(args: string[]): void {
  const path = args[0] === 'cohort' && args[1] === 'merge' ? ['cohort', 'merge'] : [args[0] as string];
  const known = new Set(command(...path).options.map((o) => o.long));
  if (path[1] === 'merge') for (const o of command('cohort').options) if (o.long === '--json') known.add(o.long);
  for (const a of args.filter((x) => x.startsWith('--'))) expect(known.has(a), `${path.join(' ')} has no ${a}`).toBe(true);
}

const flag = (args: string[], name: string): string => {
  const i = args.indexOf(name);
  expect(i, name).toBeGreaterThan(0);
  return args[i + 1] as string;
};

/** PyYAML's reading of the file (`on:` is the boolean true key in YAML 1.1), or null without python3-yaml. */
function pyyaml(path: string): unknown[] | null {
  try {
    const out = execFileSync('python3', ['-c', 'import sys,json,yaml\nfix=lambda v: {("on" if k is True else k): fix(x) for k,x in v.items()} if isinstance(v,dict) else [fix(x) for x in v] if isinstance(v,list) else v\nprint(json.dumps([fix(d) for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(out) as unknown[];
  } catch {
    return null;
  }
}

const quiet = { stdout: () => undefined, stderr: () => undefined, isTTY: false };
async function capture(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, { stdout: (s) => void (out += s), stderr: (s) => void (out += s), isTTY: false });
  return { code, out };
}
const statsOf = (json: string): unknown => {
  const { wallMs: _wall, ...rest } = JSON.parse(json) as { wallMs: number };
  return rest;
};

describe('the YAML subset reader agrees with PyYAML on the shipped manifests', () => {
  for (const path of [K8S_JOB, K8S_MERGE, GHA]) {
    it(path.slice(ROOT.length + 1), () => {
      const ours = parseYamlSubset(readFileSync(path, 'utf8'));
      expect(ours.length).toBeGreaterThan(0);
      const theirs = pyyaml(path);
      if (theirs === null) console.warn('python3 with PyYAML not found: the cross-check is skipped, the subset reader alone checks');
      else expect(ours).toEqual(theirs);
    });
  }

  it('rejects what it does not understand instead of misreading it', () => {
    expect(() => parseYamlSubset('a: &x 1\nb: *x\n')).toThrow(/outside the YAML subset/);
    expect(() => parseYamlSubset('a: |\n  text\n')).toThrow(/outside the YAML subset/);
    expect(() => parseYamlSubset('a: 1\na: 2\n')).toThrow(/given twice/);
    expect(parseYamlSubset('a:\n- 1\n- "x # y" # c\nb: {c: [1, 2]}\n')).toEqual([{ a: [1, 'x # y'], b: { c: [1, 2] } }]);
  });
});

describe('deploy/k8s/cohort-job.yaml: an Indexed Job, K = JOB_COMPLETION_INDEX', () => {
  const docs = parseYamlSubset(readFileSync(K8S_JOB, 'utf8')).map(obj);
  const job = docs.find((d) => d['kind'] === 'Job') as Obj;
  const spec = obj(job['spec']);
  const pod = obj(obj(spec['template'])['spec']);
  const container = obj(arr(pod['containers'])[0]);
  const [words] = shellCommands(String(arr(container['args'])[0]));
  const args = rmseqArgs(words as string[]);

  it('is an Indexed Job whose completions equal the N of --shard, one process per index, no scheduler', () => {
    expect(job['apiVersion']).toBe('batch/v1');
    expect(spec['completionMode']).toBe('Indexed');
    expect(args[0]).toBe('cohort');
    const [k, n] = flag(args, '--shard').split('/');
    expect(k).toBe('${JOB_COMPLETION_INDEX}');
    expect(Number(n)).toBe(spec['completions']);
    expect(spec['parallelism'] as number).toBeLessThanOrEqual(spec['completions'] as number);
    expect(pod['restartPolicy']).toBe('Never');
    expect(arr(container['command'])).toEqual(['sh', '-c']);
    expect(words?.[0]).toBe('exec');
  });

  it('uses only flags `rmseq cohort` has, and writes each part to the mounted volume under its own name', () => {
    expectKnownFlags(args);
    const out = flag(args, '--out');
    expect(out).toContain('${JOB_COMPLETION_INDEX}');
    const mount = obj(arr(container['volumeMounts'])[0]);
    expect(out.startsWith(`${String(mount['mountPath'])}/`)).toBe(true);
    const volume = obj(arr(pod['volumes']).find((v) => obj(v)['name'] === mount['name']));
    const claim = obj(volume['persistentVolumeClaim'])['claimName'];
    expect(docs.some((d) => d['kind'] === 'PersistentVolumeClaim' && obj(d['metadata'])['name'] === claim)).toBe(true);
    expect(arr(obj(docs.find((d) => d['kind'] === 'PersistentVolumeClaim')?.['spec'])['accessModes'])).toContain('ReadWriteMany');
  });

  it('the merge Job reads the parts the indexed pods write, from the same claim, with flags `cohort merge` has', () => {
    const merge = obj(parseYamlSubset(readFileSync(K8S_MERGE, 'utf8'))[0]);
    const mpod = obj(obj(obj(merge['spec'])['template'])['spec']);
    const mcontainer = obj(arr(mpod['containers'])[0]);
    const commands = shellCommands(String(arr(mcontainer['args'])[0])).map(rmseqArgs);
    for (const c of commands) {
      expect(c.slice(0, 2)).toEqual(['cohort', 'merge']);
      expectKnownFlags(c);
      expect(c[2]).toBe(flag(args, '--out').replace('${JOB_COMPLETION_INDEX}', '*'));
    }
    expect(obj(arr(mpod['volumes'])[0])['persistentVolumeClaim']).toEqual(obj(arr(pod['volumes'])[0])['persistentVolumeClaim']);
  });

  it("the pods' command, run for every index on a small cohort, merges (with the merge Job's command) to the unsharded statistics", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rmseq-k8s-'));
    const n = Number(flag(args, '--shard').split('/')[1]);
    const small = (a: string[]): string[] => {
      const b = [...a];
      b[b.indexOf('--patients') + 1] = '4';
      b[b.indexOf('--workers') + 1] = '0';
      return b;
    };
    for (let k = 0; k < n; k++) {
      const shardArgs = small(args).map((w) => w.replaceAll('${JOB_COMPLETION_INDEX}', String(k)).replace(/^\/parts\//, `${dir}/`));
      expect(await main(shardArgs, quiet)).toBe(0);
    }
    const parts = Array.from({ length: n }, (_, k) => join(dir, `part-${k}.json`));
    const merged = await capture(['cohort', 'merge', ...parts, '--json']);
    expect(merged.code).toBe(0);
    const whole = await capture([...small(args).filter((_, i, all) => !['--shard', '--out'].includes(all[i] as string) && !['--shard', '--out'].includes(all[i - 1] as string)), '--json']);
    expect(whole.code).toBe(0);
    expect(statsOf(merged.out)).toEqual(statsOf(whole.out));
  }, 120_000);
});

describe('deploy/github-actions-cohort.yml: a CI matrix, K = matrix.shard', () => {
  const wf = obj(parseYamlSubset(readFileSync(GHA, 'utf8'))[0]);
  const jobs = obj(wf['jobs']);
  const shard = obj(jobs['shard']);
  const merge = obj(jobs['merge']);
  const runs = (job: Obj): string[] => arr(job['steps']).map(obj).filter((s) => typeof s['run'] === 'string').map((s) => s['run'] as string);

  it('the matrix lists shards 0..N-1 with N the N of --shard; every shard runs and its part is uploaded', () => {
    const matrix = arr(obj(obj(shard['strategy'])['matrix'])['shard']);
    const line = runs(shard).find((r) => r.includes(' cohort ')) as string;
    const args = rmseqArgs((shellCommands(line)[0] as string[]));
    expectKnownFlags(args);
    const [k, n] = flag(args, '--shard').split('/');
    expect(k).toBe('${{ matrix.shard }}');
    expect(matrix).toEqual(Array.from({ length: Number(n) }, (_, i) => i));
    expect(obj(shard['strategy'])['fail-fast']).toBe(false);
    const upload = obj(arr(shard['steps']).map(obj).find((s) => String(s['uses']).startsWith('actions/upload-artifact')));
    expect(obj(upload['with'])['path']).toBe(flag(args, '--out'));
  });

  it('the merge job waits for every shard and merges the downloaded parts with flags `cohort merge` has', () => {
    expect(merge['needs']).toBe('shard');
    const line = runs(merge).find((r) => r.includes('cohort merge')) as string;
    for (const words of shellCommands(line)) {
      const args = rmseqArgs(words);
      expect(args.slice(0, 2)).toEqual(['cohort', 'merge']);
      expectKnownFlags(args);
      expect(args[2]).toBe('parts/part-*.json');
    }
    const download = obj(arr(merge['steps']).map(obj).find((s) => String(s['uses']).startsWith('actions/download-artifact')));
    expect(obj(download['with'])).toMatchObject({ pattern: 'part-*', 'merge-multiple': true, path: 'parts' });
    expect(obj(wf['on'])).toHaveProperty('workflow_dispatch');
  });
});
