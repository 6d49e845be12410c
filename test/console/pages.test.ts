/** How many pages a console serves at once (issue 17 point 7): a cap, with a refusal that says why. */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PAGES, type ConsoleHandle } from '../../src/console/index.js';
import { startTestConsole, TestClient } from './support.js';

let con: ConsoleHandle | null = null;
const pages: TestClient[] = [];
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()));
  await con?.shutdown('test end', 3000);
  con = null;
});

async function waitClosed(p: TestClient): Promise<{ code: number; reason: string }> {
  for (let i = 0; i < 100 && !p.closed; i++) await new Promise((r) => setTimeout(r, 20));
  if (!p.closed) throw new Error('socket not closed');
  return p.closed;
}

describe('console: concurrent pages', () => {
  it('refuses the page over the cap with an error naming the limit, then closes it (1013); the others keep working', async () => {
    con = await startTestConsole({ maxPages: 3 });
    for (let i = 0; i < 3; i++) pages.push(await TestClient.connect(con.server.port));
    const extra = await TestClient.connect(con.server.port);
    pages.push(extra);
    const refusal = await extra.next((m) => m.type === 'error');
    expect(refusal).toMatchObject({ type: 'error', code: 'too-many-pages', message: expect.stringMatching(/already serves 3 pages \(the limit\).*close another/) });
    expect(await waitClosed(extra)).toMatchObject({ code: 1013, reason: 'too many pages' });
    expect(extra.messages.some((m) => m.type === 'welcome' || m.type === 'snapshot')).toBe(false);
    expect(con.server.hub.clients.size).toBe(3);
    expect(await pages[0]!.request({ type: 'hello', token: con.token })).toMatchObject({ type: 'hello', controls: true });
    // A page that leaves makes room.
    await pages[1]!.close();
    for (let i = 0; i < 50 && con.server.hub.clients.size > 2; i++) await new Promise((r) => setTimeout(r, 20));
    const again = await TestClient.connect(con.server.port);
    pages.push(again);
    await again.next((m) => m.type === 'welcome');
  });

  it('has a default cap', async () => {
    expect(DEFAULT_MAX_PAGES).toBeGreaterThanOrEqual(4);
    expect(DEFAULT_MAX_PAGES).toBeLessThanOrEqual(64);
    con = await startTestConsole();
    for (let i = 0; i < DEFAULT_MAX_PAGES; i++) pages.push(await TestClient.connect(con.server.port));
    const extra = await TestClient.connect(con.server.port);
    pages.push(extra);
    expect(await extra.next((m) => m.type === 'error')).toMatchObject({ code: 'too-many-pages' });
  });

  it('refuses a cap that is not a whole number from 1 to 256, naming it', async () => {
    await expect(startTestConsole({ maxPages: 0 })).rejects.toThrow(/maxPages.*0.*1.*256/);
    await expect(startTestConsole({ maxPages: 1.5 })).rejects.toThrow(/maxPages/);
  });
});
