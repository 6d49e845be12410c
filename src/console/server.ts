/**
 * The console's HTTP + WebSocket server (fastify). Serves the built page from
 * dist/console, and one WebSocket endpoint (`/ws`) per page. Every browser message is
 * size-checked, parsed and validated before it reaches the hub; control messages must carry
 * the session token. Bound to 127.0.0.1 unless told otherwise; requests naming another host
 * (DNS rebinding) or coming from another origin are refused.
 */
import type { WatchConfig } from '../../machines/watch.js';
import { isJsonInputError, parseJsonStrict } from '../../common/jsonInput.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { ConsoleHub, type ClientLink, type HubResult, type ScreenEntered } from './hub.js';
import { CLIENT_MESSAGE_TYPES, ClientMessageSchema, CONTROL_TYPES, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES, type ClientMessage } from './requests.js';
import type { SessionSource } from '../runner/source.js';
import { toProblems } from '../../common/validation.js';
import { z } from 'zod';
import type { ErrorCode, ServerMessage } from './wire.js';

export interface ConsoleServerOptions {
  source: SessionSource;
  /** The session token control messages must carry. */
  token: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  logger: Logger;
  /** Directory of the built page (default: dist/console of this package). */
  staticDir?: string;
  batchMs?: number;
  /** The post-maneuver watch while a completed maneuver waits (default 30 min; durationMin 0: none). */
  watch?: WatchConfig;
  /** Readings of the recruitability screen entered by hand, valid: for the audit journal. */
  onScreenEntered?: (entry: ScreenEntered) => void;
  /** Messages a page may send per second before it is told to slow down. */
  maxMessagesPerS?: number;
  /** Pages served at once (1-256); one more is told why and closed (1013). */
  maxPages?: number;
}

/**
 * Pages a console serves at once by default: the bedside screen, a tablet, a few viewers.
 * Each page costs a socket and a copy of every update; past this, a page is refused.
 */
export const DEFAULT_MAX_PAGES = 16;
const MaxPagesSchema = z.number().int().min(1).max(256);

export interface ConsoleServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly hub: ConsoleHub;
  readonly app: FastifyInstance;
  /** Stops accepting pages and closes every socket (the hub's session is the caller's to stop). */
  close(): Promise<void>;
}

/** A page socket whose unsent data exceeds this is dropped (it reconnects and gets a snapshot). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const PING_EVERY_MS = 15_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The package root (where package.json is), from src/console or dist/src/console. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('console: package.json not found above the console module');
}

export function defaultStaticDir(): string {
  return join(packageRoot(), 'dist', 'console');
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time token comparison. */
export function tokenMatches(expected: string, given: unknown): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(expected), digest(given));
}

/**
 * @example
 * const server = await startConsoleServer({ source, token, logger: pino(), port: 0 });
 * console.log(`${server.url}#token=${token}`);
 */
export async function startConsoleServer(o: ConsoleServerOptions): Promise<ConsoleServer> {
  const maxPagesChecked = MaxPagesSchema.safeParse(o.maxPages ?? DEFAULT_MAX_PAGES);
  if (!maxPagesChecked.success) throw new RangeError(`console: maxPages ${String(o.maxPages)} is not allowed: a whole number from 1 to 256`);
  const maxPages = maxPagesChecked.data;
  const host = o.host ?? '127.0.0.1';
  const staticDir = o.staticDir ?? defaultStaticDir();
  const log = o.logger;
  const hub = new ConsoleHub({ source: o.source, logger: log, ...(o.batchMs ? { batchMs: o.batchMs } : {}), ...(o.watch ? { watch: o.watch } : {}), ...(o.onScreenEntered ? { onScreenEntered: o.onScreenEntered } : {}) });
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 1024, forceCloseConnections: true });
  let port = o.port ?? 0;

  // DNS rebinding and cross-site WebSockets: a loopback server answers only to loopback
  // host names, and a browser's WebSocket must come from this server's own page.
  const refusal = (headers: { host?: string | undefined; origin?: string | undefined }): string | null => {
    const hostHeader = headers.host ?? '';
    if (LOOPBACK.has(host) && !isLoopbackHost(hostHeader, port)) return `host ${JSON.stringify(hostHeader)} is not this console`;
    if (headers.origin !== undefined && headers.origin !== `http://${hostHeader}`) return `origin ${JSON.stringify(headers.origin)} is not this console's page`;
    return null;
  };
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.upgrade) return; // WebSocket handshakes are checked by verifyClient below.
    const why = refusal(req.headers);
    if (why) {
      log.warn({ url: req.url, why }, 'console: request refused');
      return reply.code(421).send(`refused: ${why}`);
    }
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Cache-Control', 'no-store');
    return payload;
  });

  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: MAX_FRAME_BYTES,
      verifyClient: (info: { req: { headers: Record<string, string | string[] | undefined> } }, done: (ok: boolean, code?: number, message?: string) => void) => {
        const h = info.req.headers;
        const why = refusal({ host: typeof h['host'] === 'string' ? h['host'] : undefined, origin: typeof h['origin'] === 'string' ? h['origin'] : undefined });
        if (why) log.warn({ why }, 'console: WebSocket refused');
        done(why === null, 403, why ?? undefined);
      },
    },
  });
  let nextClient = 1;
  const rate = o.maxMessagesPerS ?? 20;
  app.register(async (scope) => {
    scope.get('/ws', { websocket: true }, (socket, req) => onSocket(socket, req));
  });

  function onSocket(socket: WebSocket, req: FastifyRequest): void {
    const id = nextClient++;
    const clientLog = log.child({ client: id, remote: req.socket.remoteAddress });
    const send = (m: ServerMessage): void => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        clientLog.warn({ buffered: socket.bufferedAmount }, 'console: page too slow, dropping its connection');
        socket.terminate();
        return;
      }
      socket.send(JSON.stringify(m));
    };
    const link: ClientLink = { id, send };
    if (hub.clients.size >= maxPages) {
      clientLog.warn({ pages: hub.clients.size, maxPages }, 'console: page refused, too many pages');
      send({ type: 'error', code: 'too-many-pages', message: `this console already serves ${maxPages} pages (the limit): close another console page or tab, then reload this one` });
      socket.close(1013, 'too many pages');
      return;
    }
    const refuse = (code: ErrorCode, message: string, extra: { request?: string; id?: string | number; problems?: ReturnType<typeof toProblems> } = {}): void => {
      clientLog.warn({ code, request: extra.request, reason: message }, 'console: message refused');
      send({ type: 'error', code, message, ...extra });
    };
    let alive = true;
    const pinger = setInterval(() => {
      if (!alive) {
        clientLog.info('console: page did not answer pings, closing');
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, PING_EVERY_MS);
    pinger.unref();
    socket.on('pong', () => (alive = true));
    let windowStart = Date.now();
    let inWindow = 0;

    socket.on('message', (data, isBinary) => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        inWindow = 0;
      }
      if (++inWindow > rate) {
        if (inWindow === rate + 1) refuse('rate-limited', `more than ${rate} messages a second; slow down`);
        return;
      }
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
      if (isBinary) return refuse('invalid-message', 'binary messages are not accepted; send JSON text');
      if (bytes > MAX_MESSAGE_BYTES) return refuse('too-large', `message of ${bytes} bytes refused (limit ${MAX_MESSAGE_BYTES})`);
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
      let raw: unknown;
      try {
        // Depth limit and no duplicate keys: a message means one thing, whoever reads it.
        raw = parseJsonStrict(text, 'message', { maxBytes: MAX_MESSAGE_BYTES });
      } catch (e) {
        return refuse('bad-json', isJsonInputError(e) && !/is not valid JSON/.test(e.message) ? e.message : 'message is not valid JSON');
      }
      const type = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>)['type'] : undefined;
      const reqId = raw && typeof raw === 'object' ? safeId((raw as Record<string, unknown>)['id']) : undefined;
      const ref = { ...(typeof type === 'string' ? { request: type.slice(0, 40) } : {}), ...(reqId !== undefined ? { id: reqId } : {}) };
      if (typeof type !== 'string' || !(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
        return refuse('unknown-type', `unknown message type ${JSON.stringify(type)?.slice(0, 40) ?? 'undefined'}: expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`, ref);
      }
      const parsed = ClientMessageSchema.safeParse(raw);
      if (!parsed.success) {
        // Never echo a token back or into the log.
        const problems = toProblems(parsed.error, raw).map((p) => (p.field === 'token' ? { ...p, value: '(hidden)' } : p));
        return refuse('invalid-message', `invalid ${type} message: ${problems.map((p) => `${p.field || '(root)'}: ${p.message}`).join('; ')}`, { ...ref, problems });
      }
      const msg = parsed.data;
      if ((CONTROL_TYPES as readonly string[]).includes(msg.type) && !tokenMatches(o.token, (msg as { token?: string }).token)) {
        return refuse('unauthorized', 'wrong or missing session token: this page may watch but not control', ref);
      }
      void handle(msg, link, clientLog).then(
        (result) => {
          if (result === null) return;
          if (result.ok) send({ type: 'accepted', request: msg.type, ...(msg.id !== undefined ? { id: msg.id } : {}) });
          else refuse(result.code, result.message, { ...ref, ...(result.problems ? { problems: result.problems } : {}) });
        },
        (err: unknown) => {
          clientLog.error({ err, request: msg.type }, 'console: request failed');
          refuse('internal', `the server could not handle ${msg.type}: ${(err as Error).message}`, ref);
        },
      );
    });
    socket.on('close', () => {
      clearInterval(pinger);
      hub.detach(link);
      clientLog.info('console: page disconnected');
    });
    socket.on('error', (err) => clientLog.warn({ err }, 'console: socket error'));
    clientLog.info('console: page connected');
    hub.attach(link);
  }

  async function handle(msg: ClientMessage, link: ClientLink, clientLog: Logger): Promise<HubResult | null> {
    switch (msg.type) {
      case 'hello': {
        const controls = msg.token !== undefined && tokenMatches(o.token, msg.token);
        link.send({ type: 'hello', controls, ...(msg.id !== undefined ? { id: msg.id } : {}) });
        if (msg.token !== undefined && !controls) clientLog.warn('console: hello with a wrong token');
        return null;
      }
      case 'preview':
        link.send({ ...hub.preview(msg.maneuver, msg.protocol), ...(msg.id !== undefined ? { id: msg.id } : {}) });
        return null;
      case 'start':
        clientLog.info({ maneuver: msg.maneuver }, 'console: start requested');
        return hub.start(msg.maneuver, msg.protocol, msg.checklist, msg.screenFirst ? { first: true, protocol: msg.screenProtocol } : undefined);
      case 'confirm':
        clientLog.info({ promptId: msg.promptId }, 'console: confirm');
        return hub.control('confirm', msg.promptId !== undefined ? { promptId: msg.promptId } : {});
      case 'abort':
        clientLog.warn({ note: msg.note }, 'console: ABORT requested by the operator');
        return hub.control('abort', { note: msg.note ?? 'operator pressed Abort on the console' });
      case 'ack':
        clientLog.warn({ by: msg.by }, 'console: FAILSAFE acknowledged');
        return hub.control('ack', { by: msg.by });
      case 'repeat':
      case 'end':
        clientLog.info(`console: ${msg.type}`);
        return hub.control(msg.type);
      case 'screen-readings':
        clientLog.info('console: recruitability screen readings entered');
        return hub.screenReadings(msg.readings, msg.screenProtocol);
      case 'oxygenation':
        return hub.oxygenation({ ...(msg.pao2MmHg !== undefined ? { pao2MmHg: msg.pao2MmHg } : {}), ...(msg.mawpCmH2O !== undefined ? { mawpCmH2O: msg.mawpCmH2O } : {}) });
    }
  }

  if (existsSync(join(staticDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: staticDir, index: 'index.html', wildcard: false });
  } else {
    log.warn({ staticDir }, 'console: page not built; run `node scripts/build-console.mjs`');
    app.get('/', async (_req, reply) => reply.code(503).type('text/plain').send('The console page is not built: run `node scripts/build-console.mjs` (or `npm run build`).'));
  }
  app.get('/healthz', async () => ({ ok: true, live: hub.live, state: hub.state }));

  await app.listen({ host, port });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    hub,
    app,
    async close() {
      for (const ws of app.websocketServer.clients) ws.terminate();
      await app.close();
    },
  };
}

function isLoopbackHost(hostHeader: string, port: number): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
  if (!m) return false;
  return LOOPBACK.has(m[1]!.toLowerCase()) && (m[2] === undefined || Number(m[2]) === port);
}

function safeId(v: unknown): string | number | undefined {
  if (typeof v === 'string') return v.slice(0, 64);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return undefined;
}
