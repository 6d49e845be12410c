/** The operator checklist at the console: sent with Start, validated, required, journaled. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CHECKLIST_IDS } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE, loadPatient } from '../../src/cli/inputs.js';
import { simulatedSource, startConsole, type ConsoleHandle } from '../../src/console/index.js';
import { Journal } from '../../src/journal/journal.js';
import { journaled } from '../../src/runner/source.js';
import type { ServerMessage } from '../../src/console/wire.js';
import { consolePerTest, type TestClient } from './support.js';

const consoles = consolePerTest(3000);

const errorOf = (m: ServerMessage) => {
  expect(m.type).toBe('error');
  return m as Extract<ServerMessage, { type: 'error' }>;
};

async function open(): Promise<{ con: ConsoleHandle; page: TestClient; journalPath: string }> {
  const { profile } = loadPatient('moderate-ards');
  const journalPath = join(mkdtempSync(join(tmpdir(), 'rmseq-checklist-console-')), 'console.jsonl');
  const source = simulatedSource({ patientName: 'moderate-ards', profile, seed: 1, baseline: DEFAULT_SIM_BASELINE, speed: 100, guided: false });
  const { con, page } = await consoles.open(() => startConsole({ source: journaled(source, Journal.open(journalPath), () => ({ versions: {} })), port: 0, logger: pino({ level: 'silent' }), batchMs: 50 }));
  return { con, page, journalPath };
}

describe('console: the operator checklist before Start', () => {
  it('the welcome lists the checklist items (id and sentence) and says it is required', async () => {
    const { page } = await open();
    const welcome = await page.next((m) => m.type === 'welcome');
    const server = (welcome as Extract<ServerMessage, { type: 'welcome' }>).server;
    expect(server.checklist.required).toBe(true);
    expect(server.checklist.items.map((i) => i.id)).toEqual([...CHECKLIST_IDS]);
    expect(server.checklist.items.every((i) => i.text.length > 10)).toBe(true);
  });

  it('refuses a start without the checklist, or with items missing, naming them; nothing opens', async () => {
    const { con, page } = await open();
    const none = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation', checklist: undefined }));
    expect(none.code).toBe('checklist-not-confirmed');
    for (const id of CHECKLIST_IDS) expect(none.message).toContain(id);
    const three = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation', checklist: { items: ['sedation', 'no-pneumothorax', 'no-raised-icp'] } }));
    expect(three.code).toBe('checklist-not-confirmed');
    expect(three.message).toContain('stable-vasopressors');
    expect(three.message).not.toContain('no-raised-icp');
    expect(con.server.hub.snapshot()).toBeNull();
    expect(con.server.hub.live).toBe(false);
  });

  it('validates the checklist message: unknown items, wrong types, an unusable name', async () => {
    const { con, page } = await open();
    for (const checklist of [{ items: ['sedation', 'yoga'] }, { items: 'all' }, { items: [...CHECKLIST_IDS], by: 7 }, { items: [...CHECKLIST_IDS], by: 'a\u0007b' }, { items: [...CHECKLIST_IDS], extra: 1 }]) {
      const e = errorOf(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation', checklist }));
      expect(e.code, JSON.stringify(checklist)).toBe('invalid-message');
      expect(JSON.stringify(e.problems)).toMatch(/checklist/);
    }
    expect(con.server.hub.snapshot()).toBeNull();
  });

  it('starts with every item confirmed, and the journal records who confirmed which items and when', async () => {
    const { con, page, journalPath } = await open();
    const before = Date.now();
    expect(await page.request({ type: 'start', token: con.token, maneuver: 'sustained-inflation', checklist: { items: [...CHECKLIST_IDS].reverse(), by: ' Dr Rivera ' } })).toMatchObject({ type: 'accepted', request: 'start' });
    await page.state(/^active\./);
    const header = readFileSync(journalPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'session-start');
    expect(header.checklist.items).toEqual([...CHECKLIST_IDS]);
    expect(header.checklist.by).toBe('Dr Rivera');
    expect(Date.parse(header.checklist.at)).toBeGreaterThanOrEqual(before - 1000);
  });
});
