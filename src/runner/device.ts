/**
 * Wiring a session onto a real device over a serial port (or a pseudo-terminal with an
 * emulator behind it), as src/runner/simulated.ts does for the simulator. Everything that can
 * be wrong is found before anything is sent to the device: a path that does not exist, a
 * port in use, a device that never answers (no MakAir telemetry, no answer to ICC), an
 * identity that does not match, a protocol the device cannot carry out.
 */
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { parseOrThrow } from '../../common/validation.js';
import { VentilatorError, type VentilatorErrorCode } from '../../hal/errors.js';
import { GUIDED_TIMEOUT_DEFAULT_MS, GuidedReadinessError, GuidedVentilator, type GuidedTolerance } from '../../hal/guided/index.js';
import { MakAirVentilator, type MakAirVentilatorOptions } from '../../hal/makair/index.js';
import { MEDIBUS_FAMILIES, MedibusCodeTableSchema, MedibusVentilator, codeTableFor, type MedibusCodeTable, type MedibusFamily, type MedibusTiming } from '../../hal/medibus/index.js';
import type { DeviceInfo, Ventilator, VitalsSource } from '../../hal/port.js';
import { SerialSettingsSchema, type SerialSettings } from '../../hal/serial/config.js';
import { ReopeningTransport } from '../../hal/serial/reopening.js';
import { SerialTransport, type SerialBinding } from '../../hal/serial/transport.js';
import { LineVitalsSource, VITALS_LINE_DEFAULTS } from '../../hal/vitals/index.js';
import type { RunnableKind, Protocol } from '../../machines/index.js';
import { Session, type SessionOptions } from './session.js';
import { guidedProtocol } from './simulated.js';

/**
 * Which protocol, on which port. The MakAir cannot report FiO2: the operator states it. A
 * MEDIBUS device may come with its own code table (`--medibus-codes`; `codeTableSource` says
 * where from, for messages); otherwise the family's built-in one.
 */
export type DeviceSpec =
  | { protocol: 'makair'; path: string; fio2: number }
  | { protocol: 'medibus'; path: string; family: MedibusFamily; codeTable?: MedibusCodeTable; codeTableSource?: string };

export const DeviceSpecSchema = z.discriminatedUnion('protocol', [
  z.object({ protocol: z.literal('makair'), path: z.string().min(1), fio2: z.number().min(0.21).max(1) }).strict(),
  z.object({ protocol: z.literal('medibus'), path: z.string().min(1), family: z.enum(MEDIBUS_FAMILIES), codeTable: MedibusCodeTableSchema.optional(), codeTableSource: z.string().max(500).optional() }).strict(),
]);

/** Serial line settings without the path. */
export type LineSettings = Omit<SerialSettings, 'path'>;

/**
 * The line settings of a protocol: MakAir 115200 8N1; MEDIBUS per family from its code table
 * (Primus 9600 8E1, Evita 19200 8N1, V300 19200 8E1).
 *
 * @example
 * defaultLineSettings({ protocol: 'medibus', family: 'primus' }); // { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 }
 */
export function defaultLineSettings(device: { protocol: 'makair' } | { protocol: 'medibus'; family: MedibusFamily; codeTable?: MedibusCodeTable }): LineSettings {
  if (device.protocol === 'makair') return { baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 };
  const s = (device.codeTable ?? codeTableFor(device.family)).serial;
  return { baudRate: s.baudRate, parity: s.parity, dataBits: s.dataBits, stopBits: s.stopBits };
}

export type DeviceOpenStage = 'port' | 'connect' | 'identity' | 'capabilities';

/**
 * Opening a device session failed before anything was sent to the device; `stage` says where.
 *
 * @example
 * try { await openDeviceSession(options); } catch (e) { if (e instanceof DeviceOpenError) console.error(`${e.stage}: ${e.message}`); }
 */
export class DeviceOpenError extends VentilatorError {
  constructor(
    readonly stage: DeviceOpenStage,
    message: string,
    options?: { cause?: unknown },
  ) {
    const code: VentilatorErrorCode = ({ port: 'port', connect: 'disconnected', identity: 'identity-mismatch', capabilities: 'out-of-range' } as const)[stage];
    super(code, message, options);
    this.name = 'DeviceOpenError';
  }
}

/**
 * A port that cannot be opened, in words an operator can act on.
 *
 * @example
 * explainPortError('/dev/ttyUSB0', err); // 'cannot open serial port /dev/ttyUSB0: it is in use by another program (...)'
 */
export function explainPortError(path: string, e: unknown, what = 'serial port'): string {
  const m = e instanceof Error ? e.message : String(e);
  const cause = (e as { cause?: unknown })?.cause instanceof Error ? ((e as { cause: Error }).cause.message as string) : m;
  if (/no such file|ENOENT/i.test(cause)) return `cannot open ${what} ${path}: no such device (check the path; \`rmseq ports\` lists the serial ports)`;
  if (/lock|busy|EBUSY/i.test(cause)) return `cannot open ${what} ${path}: it is in use by another program (close it, or choose another port)`;
  if (/permission|EACCES/i.test(cause)) return `cannot open ${what} ${path}: permission denied (add the user to the dialout group, or check the device permissions)`;
  return `cannot open ${what} ${path}: ${cause}`;
}

async function openPort(settings: SerialSettings, binding: SerialBinding | undefined, what: string): Promise<SerialTransport> {
  try {
    return binding ? await SerialTransport.open(settings, binding) : await SerialTransport.open(settings);
  } catch (e) {
    throw new DeviceOpenError('port', explainPortError(settings.path, e, what), { cause: e });
  }
}

const line = (s: SerialSettings): string => `${s.baudRate} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;

/**
 * Opens the line-oriented vitals feed (`--vitals line:<path>`); omitted line settings are `VITALS_LINE_DEFAULTS`.
 *
 * @example
 * const vitals = await openLineVitals({ path: '/dev/ttyUSB2', baudRate: 9600 }, { clock });
 */
export async function openLineVitals(
  serial: { path: string } & Partial<LineSettings>,
  options: { clock: Clock; lostAfterMs?: number; binding?: SerialBinding },
): Promise<LineVitalsSource> {
  const settings = parseOrThrow(SerialSettingsSchema, { ...VITALS_LINE_DEFAULTS, ...serial }, 'vitals feed serial settings');
  const transport = await openPort(settings, options.binding, 'vitals feed port');
  return new LineVitalsSource({ transport, clock: options.clock, ...(options.lostAfterMs ? { lostAfterMs: options.lostAfterMs } : {}) });
}

export interface DeviceSessionOptions {
  device: DeviceSpec;
  /** Line settings; each omitted field takes the protocol's default (`defaultLineSettings`). */
  serial?: Partial<LineSettings>;
  maneuver: RunnableKind;
  protocol: Protocol;
  /** The patient monitor. The device session owns it from here: it is closed with the session, or on failure. */
  vitals: VitalsSource;
  clock: Clock;
  /** Guided mode: every setting becomes an instruction (always on for MEDIBUS, which is read-only). */
  guided?: { timeoutMs?: number; pollMs?: number; tolerance?: Partial<GuidedTolerance> };
  /** How long the device has to answer (MakAir: first settings report; MEDIBUS: ICC). Default 15000. */
  connectTimeoutMs?: number;
  makair?: Omit<MakAirVentilatorOptions, 'transport' | 'clock' | 'fio2' | 'connectTimeoutMs'>;
  /** MEDIBUS: link timing, polling, and the interval of reconnection attempts after a lost link (default 2000; 0: never). */
  medibus?: { timing?: Partial<MedibusTiming>; pollMs?: number; settingsPollMs?: number; reconnectMs?: number };
  /** Refuse a device whose model or id is not this. */
  expect?: { model?: RegExp | string; id?: string };
  session?: Partial<Pick<SessionOptions, 'onCompleted' | 'onFailsafe' | 'tickMs' | 'warmupTimeoutMs' | 'patient' | 'checklist'>>;
  /** serialport binding (tests: MockBinding); the OS binding by default. */
  binding?: SerialBinding;
}

export interface DeviceSession {
  session: Session;
  /** What the session drives: the adapter, or the guided wrapper around it. */
  ventilator: Ventilator;
  adapter: Ventilator;
  guided: GuidedVentilator | null;
  device: DeviceInfo;
  serial: SerialSettings;
  /** Stops reconnection attempts and closes the session (ventilator and vitals). */
  close(): Promise<void>;
}

/**
 * @example
 * const vitals = await openLineVitals({ path: '/dev/ttyUSB2' }, { clock });
 * const { session, guided, close } = await openDeviceSession({
 *   device: { protocol: 'medibus', path: '/dev/ttyUSB1', family: 'evita' },
 *   maneuver: 'staircase', protocol, vitals, clock: new WallClock(), guided: { timeoutMs: GUIDED_TIMEOUT_DEFAULT_MS },
 * });
 * guided?.prompts$.subscribe((p) => p && console.log(p.message));
 * const summary = await runSession(session);
 * await close();
 */
export async function openDeviceSession(o: DeviceSessionOptions): Promise<DeviceSession> {
  let dev: DeviceVentilator;
  try {
    dev = await openDeviceVentilator(o);
  } catch (e) {
    await o.vitals.close().catch(() => undefined);
    throw e;
  }
  const { adapter, guided, ventilator, info } = dev;
  let session: Session;
  try {
    const protocol = guided ? guidedProtocol(o.protocol, o.guided?.timeoutMs ?? GUIDED_TIMEOUT_DEFAULT_MS) : o.protocol;
    try {
      session = await Session.open({ maneuver: o.maneuver, protocol, ventilator, vitals: o.vitals, clock: o.clock, ...(o.session ?? {}) });
    } catch (e) {
      if (e instanceof GuidedReadinessError || (e instanceof VentilatorError && e.code === 'out-of-range')) throw new DeviceOpenError('capabilities', e.message, { cause: e });
      throw e;
    }
  } catch (e) {
    // Until the session exists, a failure closes what was opened: the device port and the vitals source given.
    await dev.close().catch(() => undefined);
    await o.vitals.close().catch(() => undefined);
    throw e;
  }
  const portEvents = dev.port.events$.subscribe((e) =>
    session.alarm(
      e.kind === 'lost' ? 'high' : 'medium',
      e.kind === 'lost'
        ? `${dev.serial.path}: port lost (${e.message}); reopening it with backoff (0.5 s doubling to 10 s)`
        : `${dev.serial.path}: port reopened after ${e.attempts} attempt(s), ${Math.round(e.downMs / 100) / 10} s down`,
    ),
  );
  return {
    session,
    ventilator,
    adapter,
    guided,
    device: info,
    serial: dev.serial,
    close: async () => {
      portEvents.unsubscribe();
      await session.close();
      await dev.port.close();
    },
  };
}

/** A connected and identified device, without a session (crash recovery needs only this). */
export interface DeviceVentilator {
  ventilator: Ventilator;
  adapter: Ventilator;
  guided: GuidedVentilator | null;
  info: DeviceInfo;
  serial: SerialSettings;
  /** The device's port: reopened with backoff when lost; `events$` says when (once per change). */
  port: ReopeningTransport;
  close(): Promise<void>;
}

/**
 * Opens the port, builds the adapter (MEDIBUS always behind `GuidedVentilator`), connects and
 * checks the identity. Nothing but the handshake is sent.
 */
export async function openDeviceVentilator(
  o: Pick<DeviceSessionOptions, 'device' | 'serial' | 'clock' | 'guided' | 'connectTimeoutMs' | 'makair' | 'medibus' | 'expect' | 'binding'>,
): Promise<DeviceVentilator> {
  const spec = parseOrThrow(DeviceSpecSchema, o.device, 'device') as DeviceSpec;
  const serial = parseOrThrow(SerialSettingsSchema, { path: spec.path, ...defaultLineSettings(spec), ...(o.serial ?? {}) }, 'serial settings');
  const first: SerialTransport = await openPort(serial, o.binding, `${spec.protocol === 'makair' ? 'MakAir' : 'MEDIBUS'} port`);
  // A port that goes (USB re-enumeration, cable) is reopened with backoff; the adapter resumes on it.
  const transport = new ReopeningTransport(first, () => (o.binding ? SerialTransport.open(serial, o.binding) : SerialTransport.open(serial)), o.clock);
  const connectTimeoutMs = o.connectTimeoutMs ?? 15_000;
  const adapter =
    spec.protocol === 'makair'
      ? new MakAirVentilator({ ...(o.makair ?? {}), transport, clock: o.clock, fio2: spec.fio2, connectTimeoutMs })
      : new MedibusVentilator({
          transport,
          clock: o.clock,
          family: spec.family,
          ...(spec.codeTable ? { codeTable: spec.codeTable, ...(spec.codeTableSource ? { codeTableSource: spec.codeTableSource } : {}) } : {}),
          timing: { handshakeTimeoutMs: connectTimeoutMs, ...(o.medibus?.timing ?? {}) },
          ...(o.medibus?.pollMs ? { pollMs: o.medibus.pollMs } : {}),
          ...(o.medibus?.settingsPollMs !== undefined ? { settingsPollMs: o.medibus.settingsPollMs } : {}),
          ...(o.medibus?.reconnectMs !== undefined ? { reconnectMs: o.medibus.reconnectMs } : {}),
        });
  const guided =
    spec.protocol === 'medibus' || o.guided !== undefined
      ? new GuidedVentilator({
          device: adapter,
          clock: o.clock,
          ...(o.guided?.timeoutMs ? { timeoutMs: o.guided.timeoutMs } : {}),
          ...(o.guided?.pollMs ? { pollMs: o.guided.pollMs } : {}),
          ...(o.guided?.tolerance ? { tolerance: o.guided.tolerance } : {}),
        })
      : null;
  const ventilator: Ventilator = guided ?? adapter;
  let info: DeviceInfo;
  try {
    info = await connectAndCheck(spec, serial, adapter, ventilator, connectTimeoutMs, o.expect);
  } catch (e) {
    await adapter.close().catch(() => undefined);
    await transport.close();
    throw e;
  }
  return {
    ventilator,
    adapter,
    guided,
    info,
    serial,
    port: transport,
    close: async () => {
      await ventilator.close();
      await transport.close();
    },
  };
}

/** Connects (the handshake is the only thing sent) and checks who answered. */
async function connectAndCheck(
  spec: DeviceSpec,
  serial: SerialSettings,
  adapter: Ventilator,
  ventilator: Ventilator,
  connectTimeoutMs: number,
  want: DeviceSessionOptions['expect'],
): Promise<DeviceInfo> {
  try {
    await adapter.connect();
  } catch (e) {
    if (e instanceof VentilatorError && e.code === 'identity-mismatch') throw new DeviceOpenError('identity', e.message, { cause: e });
    const what = spec.protocol === 'makair' ? 'no MakAir telemetry' : 'no answer to ICC from the MEDIBUS device';
    const hint = spec.protocol === 'makair' ? 'is the MakAir on, connected, and is the port right?' : 'is the device on, is MEDIBUS enabled on its COM port, is the cable a null-modem cable?';
    throw new DeviceOpenError('connect', `${what} on ${serial.path} (${line(serial)}) within ${connectTimeoutMs / 1000} s: ${hint} (${(e as Error).message})`, { cause: e });
  }
  const info = await ventilator.identify();
  if (want?.model !== undefined && !(typeof want.model === 'string' ? info.model === want.model : want.model.test(info.model))) {
    throw new DeviceOpenError('identity', `the device on ${serial.path} is a ${info.vendor} ${info.model}, not the expected ${String(want.model)}`);
  }
  if (want?.id !== undefined && info.id !== want.id) {
    throw new DeviceOpenError('identity', `the device on ${serial.path} has id ${info.id ?? '(none)'}, not the expected ${want.id}`);
  }
  return info;
}
