/**
 * Typed HAL errors. Callers branch on `code` (or the boolean flags), never on messages.
 * The runner turns them into `APPLY_FAILED` / `DEVICE_FAULT` machine events.
 */
import type { ApplyErrorCode } from '../machines/types.js';

export type VentilatorErrorCode = ApplyErrorCode | 'protocol' | 'identity-mismatch' | 'port';

export class VentilatorError extends Error {
  constructor(
    readonly code: VentilatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VentilatorError';
  }
}

/** The device refused the setting (e.g. a mode it does not allow now). */
export class RefusedError extends VentilatorError {
  readonly refused = true as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('refused', message, options);
    this.name = 'RefusedError';
  }
}

/** A setting outside what the device accepts: nothing was sent. */
export class OutOfRangeError extends VentilatorError {
  readonly outOfRange = true as const;
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly range: readonly [number, number] | string,
    message?: string,
  ) {
    super('out-of-range', message ?? `${field} = ${String(value)} outside ${Array.isArray(range) ? `${range[0]}-${range[1]}` : String(range)}`);
    this.name = 'OutOfRangeError';
  }
}

/** No confirmation within the deadline. */
export class TimeoutError extends VentilatorError {
  readonly timeout = true as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('timeout', message, options);
    this.name = 'TimeoutError';
  }
}

/** The link to the device is down (or was never up). */
export class DisconnectedError extends VentilatorError {
  readonly disconnected = true as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super('disconnected', message, options);
    this.name = 'DisconnectedError';
  }
}

/** The device cannot be set remotely (use guided mode). */
export class NotPermittedError extends VentilatorError {
  readonly notPermitted = true as const;
  constructor(message: string) {
    super('not-permitted', message);
    this.name = 'NotPermittedError';
  }
}

export function isVentilatorError(e: unknown): e is VentilatorError {
  return e instanceof VentilatorError;
}

/** The machine-facing code of any error thrown by `apply`. */
export function applyErrorCode(e: unknown): ApplyErrorCode {
  if (e instanceof VentilatorError) {
    switch (e.code) {
      case 'refused':
      case 'out-of-range':
      case 'timeout':
      case 'disconnected':
      case 'readback-mismatch':
      case 'not-permitted':
        return e.code;
      default:
        return 'refused';
    }
  }
  return 'refused';
}
