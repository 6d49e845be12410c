/**
 * A scripted MEDIBUS device for tests: it parses the host's commands with the production
 * parser and answers them with the production encoders (device side), with knobs to hold,
 * drop or NAK answers, go silent, or initiate commands of its own.
 */
import type { Subscription } from 'rxjs';
import type { Clock } from '../../../../common/clock.js';
import { DisconnectedError } from '../../../../hal/errors.js';
import type { ByteTransport } from '../../../../hal/serial/transport.js';
import {
  MEASURED_VALUE_CHARS,
  MedibusCommand,
  MedibusStreamParser,
  SETTING_VALUE_CHARS,
  encodeAlarmRecords,
  encodeCommand,
  encodeDataRecords,
  encodeDeviceId,
  encodeResponse,
  encodeTextRecords,
  type MedibusAlarmRecord,
  type MedibusFrame,
  type MedibusTextRecord,
} from '../../../../hal/medibus/index.js';

export type DataValues = Array<{ code: number; value: number | string }>;

export interface ScriptedDeviceOptions {
  name?: string;
  revision?: string;
  measuredCp1?: DataValues;
  measuredCp2?: DataValues;
  settings?: DataValues;
  texts?: MedibusTextRecord[];
  /** Current alarms (codepage 1); a test may change the list between polls. */
  alarms?: MedibusAlarmRecord[];
}

export class ScriptedDevice {
  /** Commands the host sent, with the clock time they arrived. */
  readonly commands: Array<{ t: number; command: number; payload: Uint8Array }> = [];
  /** Responses the host sent to this device's own commands. */
  readonly responses: MedibusFrame[] = [];
  readonly parser = new MedibusStreamParser();
  /** Answer nothing at all. */
  silent = false;
  /** Ignore the host's ICC (the host keeps repeating it). */
  ignoreIcc = false;
  /** Answer the next n commands with NAK. */
  nakNext = 0;
  /** Commands never answered. */
  readonly unanswered = new Set<number>();
  /** While true, answers wait in `held` until `release()`. */
  hold = false;
  private held: Uint8Array[] = [];
  private readonly sub: Subscription;

  constructor(
    private readonly transport: ByteTransport,
    private readonly clock: Clock,
    public data: ScriptedDeviceOptions = {},
  ) {
    this.sub = transport.data$.subscribe((chunk) => {
      for (const ev of this.parser.push(chunk)) {
        if (ev.type !== 'frame') continue;
        if (ev.frame.kind === 'response') this.responses.push(ev.frame);
        else this.onCommand(ev.frame);
      }
    });
  }

  /** Host commands received, optionally only those with this command byte. */
  received(command?: number): number[] {
    return this.commands.filter((c) => command === undefined || c.command === command).map((c) => c.t);
  }

  /** Sends the answers held so far. */
  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const bytes of held) this.send(bytes);
  }

  /** The device initiates a command (e.g. its own ICC or NOP). */
  sendCommand(command: number): Promise<void> {
    return this.transport.write(encodeCommand(command));
  }

  sendRaw(bytes: Uint8Array | number[]): Promise<void> {
    return this.transport.write(Uint8Array.from(bytes));
  }

  stop(): void {
    this.sub.unsubscribe();
  }

  /** The response this device gives to a command, as bytes. */
  answer(command: number): Uint8Array {
    const d = this.data;
    switch (command) {
      case MedibusCommand.DEVICE_ID:
        return encodeResponse(command, encodeDeviceId({ idNumber: '0161', name: d.name ?? 'Evita4', revision: d.revision ?? '04.03:06.00' }));
      case MedibusCommand.MEASURED_CP1:
        return encodeResponse(command, encodeDataRecords(d.measuredCp1 ?? [], MEASURED_VALUE_CHARS));
      case MedibusCommand.MEASURED_CP2:
        return encodeResponse(command, encodeDataRecords(d.measuredCp2 ?? [], MEASURED_VALUE_CHARS));
      case MedibusCommand.DEVICE_SETTINGS:
        return encodeResponse(command, encodeDataRecords(d.settings ?? [], SETTING_VALUE_CHARS));
      case MedibusCommand.TEXT_MESSAGES:
        return encodeResponse(command, encodeTextRecords(d.texts ?? []));
      case MedibusCommand.ALARMS_CP1:
        return encodeResponse(command, encodeAlarmRecords(d.alarms ?? []));
      default:
        return encodeResponse(command);
    }
  }

  private onCommand(frame: MedibusFrame): void {
    this.commands.push({ t: this.clock.now(), command: frame.command, payload: frame.payload });
    if (this.silent || this.unanswered.has(frame.command)) return;
    if (frame.command === MedibusCommand.ICC && this.ignoreIcc) return;
    let bytes: Uint8Array;
    if (this.nakNext > 0) {
      this.nakNext--;
      bytes = encodeResponse(MedibusCommand.NAK);
    } else {
      bytes = this.answer(frame.command);
    }
    if (this.hold) this.held.push(bytes);
    else this.send(bytes);
  }

  /** An answer to a link the host has closed goes nowhere, as on a cable; any other failure is the test's. */
  private send(bytes: Uint8Array): void {
    this.transport.write(bytes).catch((e: unknown) => {
      if (!(e instanceof DisconnectedError)) throw e;
    });
  }
}

/** Lets every pending microtask and I/O callback run (no wall-clock wait). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Advances a virtual clock in steps, letting the link exchange bytes after each step. */
export async function advance(clock: { advanceBy(ms: number): void }, ms: number, stepMs = 50): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advanceBy(Math.min(stepMs, ms - done));
    await settle(1);
  }
}

/** Bytes as space-separated upper-case hex, for readable assertions. */
export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
