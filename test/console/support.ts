/** Test helpers for the console: an in-process console on the simulator and a `ws` page stand-in. */
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { CHECKLIST_IDS } from '../../machines/index.js';
import { DEFAULT_SIM_BASELINE, loadPatient } from '../../src/cli/inputs.js';
import { simulatedSource, startConsole, type ConsoleHandle, type ConsoleOptions } from '../../src/console/index.js';
import type { ServerMessage } from '../../src/console/wire.js';

export interface TestConsoleOptions {
  speed?: number;
  guided?: boolean;
  staticDir?: string;
  batchMs?: number;
  maxPages?: number;
  /** The simulated patient (default moderate-ards). */
  patient?: string;
  /** Where the readings of a screen entered by hand go (the journal, in `rmseq console`). */
  onScreenEntered?: ConsoleOptions['onScreenEntered'];
}

export async function startTestConsole(o: TestConsoleOptions = {}): Promise<ConsoleHandle> {
  const patientName = o.patient ?? 'moderate-ards';
  const { profile } = loadPatient(patientName);
  return startConsole({
    source: simulatedSource({ patientName, profile, seed: 1, baseline: DEFAULT_SIM_BASELINE, speed: o.speed ?? 100, guided: o.guided ?? false }),
    port: 0,
    logger: pino({ level: 'silent' }),
    ...(o.staticDir ? { staticDir: o.staticDir } : {}),
    batchMs: o.batchMs ?? 50,
    ...(o.maxPages !== undefined ? { maxPages: o.maxPages } : {}),
    ...(o.onScreenEntered ? { onScreenEntered: o.onScreenEntered } : {}),
  });
}

/**
 * A console and a page on it for each test of the file, taken down after each test: the page
 * closed, then the console shut down within `shutdownMs` (a running maneuver aborted). Call at
 * the top of a test file (it registers the afterEach); `open(start)` starts the test's console
 * with `start` and connects a page to it.
 */
export function consolePerTest(shutdownMs: number): { open(start: () => Promise<ConsoleHandle>): Promise<{ con: ConsoleHandle; page: TestClient }> } {
  let con: ConsoleHandle | null = null;
  let page: TestClient | null = null;
  afterEach(async () => {
    await page?.close();
    await con?.shutdown('test end', shutdownMs);
    con = null;
    page = null;
  });
  return {
    async open(start) {
      con = await start();
      page = await TestClient.connect(con.server.port);
      return { con, page };
    },
  };
}

/** A page stand-in: every message it got, and a way to wait for the next one that matches. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }

  static async connect(port: number, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
    });
    return client;
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** The first message (already received or still to come) that matches, at or after index `from`. */
  next<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, timeoutMs?: number, from?: number): Promise<T>;
  next(pred: (m: ServerMessage) => boolean, timeoutMs?: number, from?: number): Promise<ServerMessage>;
  next(pred: (m: ServerMessage) => boolean, timeoutMs = 10_000, from = 0): Promise<ServerMessage> {
    const seen = this.messages.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms; last: ${JSON.stringify(this.messages.slice(-3)).slice(0, 600)}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /**
   * Sends and waits for the reply (accepted/error/preview/hello) carrying this id. A `start`
   * confirms the whole operator checklist, as the page does once every box is ticked, unless
   * the message has its own `checklist` key (`checklist: undefined` sends none).
   */
  async request(m: Record<string, unknown>, timeoutMs = 10_000): Promise<ServerMessage> {
    const id = `r${Math.random().toString(36).slice(2)}`;
    const from = this.messages.length;
    const withChecklist = m['type'] === 'start' && !('checklist' in m) ? { ...m, checklist: { items: [...CHECKLIST_IDS], by: 'test operator' } } : m;
    this.send({ ...withChecklist, id });
    return this.next((r) => 'id' in r && r.id === id, timeoutMs, from);
  }

  /** Waits until the session reaches a state matching `re` (from an update or the snapshot). */
  state(re: RegExp, timeoutMs = 10_000, from = 0): Promise<ServerMessage> {
    return this.next((m) => m.type === 'update' && m.events.some((e) => e.kind === 'state' && re.test(e.step.state)), timeoutMs, from);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

export const isError = (m: ServerMessage): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error';
