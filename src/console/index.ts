/**
 * The therapist console: a local web UI for running a guided maneuver. Public API.
 *
 * @example
 * const consoleHandle = await startConsole({ source: simulatedSource({ ... }), port: 0 });
 * console.log(consoleHandle.openUrl); // http://127.0.0.1:PORT/#token=...
 * await consoleHandle.shutdown('SIGINT'); // aborts a running maneuver first
 */
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { SessionSummary } from '../runner/telemetry.js';
import { startConsoleServer, type ConsoleServer } from './server.js';
import type { ScreenEntered } from './hub.js';
import type { SessionSource } from '../runner/source.js';
import type { WatchConfig } from '../../machines/watch.js';

export { DEFAULT_MAX_PAGES, startConsoleServer, tokenMatches, defaultStaticDir, type ConsoleServer, type ConsoleServerOptions } from './server.js';
export { ConsoleHub, type ClientLink, type HubResult, type ScreenEntered } from './hub.js';
export { displayPlan, parseProtocol, previewOf, thresholdsOf } from './plans.js';
export { simulatedSource, type SessionSource, type OpenedSession, type SimulatedSourceOptions } from '../runner/source.js';
export { ClientMessageSchema, MAX_MESSAGE_BYTES, MAX_FRAME_BYTES, type ClientMessage } from './requests.js';
export type * from './wire.js';

export interface ConsoleOptions {
  source: SessionSource;
  host?: string;
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  logger?: Logger;
  staticDir?: string;
  batchMs?: number;
  /** Pages served at once (1-256, default DEFAULT_MAX_PAGES): one more is refused with a reason. */
  maxPages?: number;
  /** The post-maneuver watch while a completed maneuver waits (default 30 min). */
  watch?: WatchConfig;
  /** Readings of the recruitability screen entered by hand, valid, with R/I: for the audit journal. */
  onScreenEntered?: (entry: ScreenEntered) => void;
}

export interface ConsoleHandle {
  server: ConsoleServer;
  token: string;
  /** The URL to open: carries the token in the fragment (never sent to the server by the browser). */
  openUrl: string;
  /**
   * Aborts a running maneuver through the machine (baseline restored, verified), then
   * closes the server. Resolves with the aborted session's summary, or null when none ran.
   */
  shutdown(reason: string, limitMs?: number): Promise<SessionSummary | null>;
}

/** A fresh session token: 32 random bytes as hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

export async function startConsole(o: ConsoleOptions): Promise<ConsoleHandle> {
  const token = o.token ?? newToken();
  const logger = o.logger ?? pino({ level: 'info' });
  const server = await startConsoleServer({
    source: o.source,
    token,
    logger,
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.staticDir !== undefined ? { staticDir: o.staticDir } : {}),
    ...(o.batchMs !== undefined ? { batchMs: o.batchMs } : {}),
    ...(o.maxPages !== undefined ? { maxPages: o.maxPages } : {}),
    ...(o.watch !== undefined ? { watch: o.watch } : {}),
    ...(o.onScreenEntered !== undefined ? { onScreenEntered: o.onScreenEntered } : {}),
  });
  let stopping: Promise<SessionSummary | null> | null = null;
  return {
    server,
    token,
    openUrl: `${server.url}#token=${token}`,
    shutdown(reason, limitMs) {
      stopping ??= (async () => {
        const summary = await server.hub.stop(reason, limitMs);
        await server.close();
        return summary;
      })();
      return stopping;
    },
  };
}
