import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const table = readFileSync(join(root, 'docs', 'hazards.md'), 'utf8')
  .split('\n')
  .filter((l) => /^\| H\d+ /.test(l))
  .map((l) => l.split('|').map((c) => c.trim()));

/** Titles of it/test/describe blocks (the first string literal on their line). */
function testTitles(source: string): string[] {
  const out: string[] = [];
  for (const line of source.split('\n')) {
    const m = /\b(?:it|test|describe)(?:\.each\(.*?\))?\(\s*(['"`])((?:(?!\1).)*)\1/.exec(line);
    if (m?.[2]) out.push(m[2]);
  }
  return out;
}

describe('docs/hazards.md traceability', () => {
  it('lists hazards, each with a control and at least one verification', () => {
    expect(table.length).toBeGreaterThanOrEqual(10);
    for (const row of table) {
      expect(row[4], `${row[1]} control`).toBeTruthy();
      expect(row[5], `${row[1]} verification`).toMatch(/test\//);
    }
  });
  it.each(table.map((r) => [r[1], r[5] ?? '']))('%s: every listed test exists', (_, verification) => {
    for (const ref of verification.split(';').map((s) => s.trim()).filter(Boolean)) {
      const [file, name] = ref.split('›').map((s) => s.trim());
      expect(existsSync(join(root, file!)), `${file} exists`).toBe(true);
      const titles = testTitles(readFileSync(join(root, file!), 'utf8'));
      expect(titles.some((t) => t.includes(name!)), `${file} has a test or suite titled "${name}"`).toBe(true);
    }
  });
});
