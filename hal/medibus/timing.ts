/**
 * MEDIBUS link timing (Rev 6.00): a NOP at least every 2 s when there is nothing else to
 * send; more than 3 s without a byte from the other side is a timeout; a response completes
 * within 10 s; ICC is repeated until answered. Defaults follow these rules; tests and slow
 * links may tighten them, never loosen the keep-alive beyond 2 s.
 */

export interface MedibusTiming {
  /** Send a NOP when no command went out for this long (at most 2000). */
  keepAliveMs: number;
  /** No byte from the device for this long loses the link (MEDIBUS: 3000). */
  silenceTimeoutMs: number;
  /** A response must complete within this (MEDIBUS: 10000); otherwise the link is lost. */
  responseTimeoutMs: number;
  /** ICC is repeated at this interval until the device answers. */
  iccRetryMs: number;
  /** The handshake fails with `DisconnectedError` if no ICC answer arrives within this. */
  handshakeTimeoutMs: number;
  /** A command the device NAKs is sent again at most this many times. */
  maxNakRetries: number;
}

/**
 * @example
 * new MedibusSession({ transport, clock, timing: { ...MEDIBUS_TIMING, iccRetryMs: 500 } });
 */
export const MEDIBUS_TIMING: Readonly<MedibusTiming> = Object.freeze({
  keepAliveMs: 1000,
  silenceTimeoutMs: 3000,
  responseTimeoutMs: 10_000,
  iccRetryMs: 1000,
  handshakeTimeoutMs: 10_000,
  maxNakRetries: 2,
});

/**
 * Fills in defaults and checks every field; throws `TypeError` naming the first bad one.
 *
 * @example
 * resolveTiming({ keepAliveMs: 5000 }); // TypeError: timing.keepAliveMs must be between 1 and 2000 ms ...
 */
export function resolveTiming(partial: Partial<MedibusTiming> = {}): Readonly<MedibusTiming> {
  const t: MedibusTiming = { ...MEDIBUS_TIMING, ...partial };
  const check = (name: keyof MedibusTiming, ok: boolean, allowed: string): void => {
    if (!ok) throw new TypeError(`timing.${name} must be ${allowed} (got ${String(t[name])})`);
  };
  const positive = (v: number): boolean => Number.isFinite(v) && v > 0;
  check('keepAliveMs', positive(t.keepAliveMs) && t.keepAliveMs <= 2000, 'between 1 and 2000 ms (MEDIBUS: a NOP at least every 2 s)');
  check('silenceTimeoutMs', positive(t.silenceTimeoutMs), 'a positive number of ms');
  check('responseTimeoutMs', positive(t.responseTimeoutMs), 'a positive number of ms');
  check('iccRetryMs', positive(t.iccRetryMs), 'a positive number of ms');
  check('handshakeTimeoutMs', positive(t.handshakeTimeoutMs), 'a positive number of ms');
  check('maxNakRetries', Number.isInteger(t.maxNakRetries) && t.maxNakRetries >= 0 && t.maxNakRetries <= 10, 'an integer 0-10');
  return Object.freeze(t);
}
