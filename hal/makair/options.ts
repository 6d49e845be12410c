/** Options of `MakAirVentilator`, with their defaults; bad values fail at construction. */
import type { Clock } from '../../common/clock.js';
import type { ByteTransport } from '../serial/transport.js';
import type { ApplyTiming } from './apply.js';
import type { TelemetryParserStats } from './parser.js';

export interface MakAirVentilatorOptions {
  transport: ByteTransport;
  clock: Clock;
  /** Deadline of one `apply`. Default 15000: the firmware reports settings once per breath (12 s at 5/min). */
  applyDeadlineMs?: number;
  /** Telemetry silence that counts as a lost link. Default 1000 (data snapshots come every 10 ms, stopped messages every 100 ms). */
  linkTimeoutMs?: number;
  /** Deadline of `connect()` for the first settings report. Default 15000. */
  connectTimeoutMs?: number;
  /** Wait for a control ack before the first resend. Default 500. */
  ackTimeoutMs?: number;
  /** Ceiling of the doubling resend interval. Default 4000. */
  maxAckTimeoutMs?: number;
  /** FiO2 set on the oxygen supply: the MakAir can neither set nor measure it. Default 0.21. */
  fio2?: number;
  /** `source` of the samples. Default 'makair'. */
  source?: string;
  /**
   * Period of the Heartbeat control frame (setting 0, value 0) while connected. Default 10000.
   * A production MakAir power-cycles its host computer after 60 s without one; 1000-30000 ms
   * is accepted (at least two chances per watchdog period).
   */
  heartbeatIntervalMs?: number;
}

/**
 * The MakAir's wire timings: bounds on the serial line and the processes at each end, which run
 * in real time. A host that runs its session clock faster than real time (`--speed` against an
 * emulator) multiplies them by the speed so that they stay the same in real time.
 */
export const MAKAIR_WIRE_TIMING = Object.freeze({ linkTimeoutMs: 1000, ackTimeoutMs: 500, maxAckTimeoutMs: 4000 });

export interface MakAirLinkStats extends TelemetryParserStats {
  /** Frames with a good CRC that do not decode as v2 messages. */
  decodeErrors: number;
}

export interface ResolvedOptions {
  transport: ByteTransport;
  clock: Clock;
  timing: ApplyTiming;
  linkTimeoutMs: number;
  connectTimeoutMs: number;
  fio2: number;
  source: string;
  heartbeatIntervalMs: number;
}

/** Accepted heartbeat periods: below the firmware's 60-s watchdog with room for a lost frame. */
export const HEARTBEAT_INTERVAL_RANGE_MS = [1000, 30_000] as const;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TypeError(`MakAirVentilator option ${name} must be a positive number of milliseconds (got ${String(value)})`);
  return v;
}

function heartbeat(value: number | undefined): number {
  const v = value ?? 10_000;
  const [lo, hi] = HEARTBEAT_INTERVAL_RANGE_MS;
  if (!Number.isFinite(v) || v < lo || v > hi) {
    throw new TypeError(`MakAirVentilator option heartbeatIntervalMs must be within ${lo}-${hi} ms (got ${String(value)}): the MakAir power-cycles its host after 60 s without a heartbeat`);
  }
  return v;
}

/**
 * Applies the defaults; throws `TypeError` naming the first bad option.
 *
 * @example
 * resolveOptions({ transport, clock, linkTimeoutMs: 0 }); // TypeError: MakAirVentilator option linkTimeoutMs must be ...
 */
export function resolveOptions(options: MakAirVentilatorOptions): ResolvedOptions {
  if (!options || typeof options.transport?.write !== 'function') throw new TypeError('MakAirVentilator option transport must be a ByteTransport');
  if (typeof options.clock?.setTimeout !== 'function') throw new TypeError('MakAirVentilator option clock must be a Clock');
  const fio2 = options.fio2 ?? 0.21;
  if (!(fio2 >= 0.21 && fio2 <= 1)) throw new TypeError(`MakAirVentilator option fio2 must be within 0.21-1 (got ${String(options.fio2)})`);
  if (options.source !== undefined && (typeof options.source !== 'string' || options.source === '')) {
    throw new TypeError('MakAirVentilator option source must be a non-empty string');
  }
  return {
    transport: options.transport,
    clock: options.clock,
    timing: {
      deadlineMs: positive('applyDeadlineMs', options.applyDeadlineMs, 15_000),
      ackTimeoutMs: positive('ackTimeoutMs', options.ackTimeoutMs, MAKAIR_WIRE_TIMING.ackTimeoutMs),
      maxAckTimeoutMs: positive('maxAckTimeoutMs', options.maxAckTimeoutMs, MAKAIR_WIRE_TIMING.maxAckTimeoutMs),
    },
    linkTimeoutMs: positive('linkTimeoutMs', options.linkTimeoutMs, MAKAIR_WIRE_TIMING.linkTimeoutMs),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 15_000),
    fio2,
    source: options.source ?? 'makair',
    heartbeatIntervalMs: heartbeat(options.heartbeatIntervalMs),
  };
}
