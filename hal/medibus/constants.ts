/**
 * MEDIBUS byte values and command codes (Draeger "RS 232 MEDIBUS Protocol Definition", Rev 6.00;
 * cross-checked against mdpnp/mdpnp `devices/draeger/.../medibus/types/command.map` and
 * xeonfusion/VSCaptureDrgVent `Class2.cs`). Values only: behaviour lives in the codec, parser and
 * session files.
 */

/**
 * Start of a command frame.
 *
 * @example
 * const isCommand = bytes[0] === ESC; // SOH starts a response
 */
export const ESC = 0x1b;
/** Start of a response frame. */
export const SOH = 0x01;
/** End of every frame. */
export const CR = 0x0d;
/** End of one text-message record inside a text-messages response. */
export const ETX = 0x03;
/** Flow control: resume transmission (XON). */
export const DC1 = 0x11;
/** Flow control: pause transmission (XOFF). */
export const DC3 = 0x13;
/** Flow control: cancel. */
export const CAN = 0x18;
/** Bytes with this bit set are real-time (waveform) data, never part of a frame. */
export const REALTIME_BIT = 0x80;

/**
 * Command bytes. A response repeats the command byte it answers; `NAK` is the response a
 * device sends to a command that reached it corrupt.
 *
 * @example
 * encodeCommand(MedibusCommand.ICC); // 1B 51 36 43 0D
 */
export const MedibusCommand = {
  NAK: 0x15,
  ALARMS_CP3: 0x23,
  MEASURED_CP1: 0x24,
  LOW_LIMITS_CP1: 0x25,
  HIGH_LIMITS_CP1: 0x26,
  ALARMS_CP1: 0x27,
  DATE_TIME: 0x28,
  DEVICE_SETTINGS: 0x29,
  TEXT_MESSAGES: 0x2a,
  MEASURED_CP2: 0x2b,
  ALARMS_CP2: 0x2e,
  NOP: 0x30,
  ICC: 0x51,
  DEVICE_ID: 0x52,
  REALTIME_CONFIG: 0x53,
  CONFIGURE_REALTIME: 0x54,
  STOP: 0x55,
  REALTIME_CONFIG_CHANGED: 0x56,
} as const;

export type MedibusCommandName = keyof typeof MedibusCommand;
export type MedibusCommandByte = (typeof MedibusCommand)[MedibusCommandName];

/**
 * The commands this controller may send. Every one of them only reads or manages the link:
 * MEDIBUS has no command here that changes a therapy setting, and the session refuses anything
 * outside this list.
 *
 * @example
 * HOST_COMMANDS.has(MedibusCommand.DEVICE_SETTINGS);    // true: reads the settings
 * HOST_COMMANDS.has(MedibusCommand.CONFIGURE_REALTIME); // false: never sent
 */
export const HOST_COMMANDS: ReadonlySet<number> = new Set<number>([
  MedibusCommand.NOP,
  MedibusCommand.ICC,
  MedibusCommand.STOP,
  MedibusCommand.DEVICE_ID,
  MedibusCommand.MEASURED_CP1,
  MedibusCommand.MEASURED_CP2,
  MedibusCommand.LOW_LIMITS_CP1,
  MedibusCommand.HIGH_LIMITS_CP1,
  MedibusCommand.ALARMS_CP1,
  MedibusCommand.ALARMS_CP2,
  MedibusCommand.ALARMS_CP3,
  MedibusCommand.DATE_TIME,
  MedibusCommand.DEVICE_SETTINGS,
  MedibusCommand.TEXT_MESSAGES,
  MedibusCommand.REALTIME_CONFIG,
]);

const NAMES = new Map<number, MedibusCommandName>(
  (Object.entries(MedibusCommand) as Array<[MedibusCommandName, number]>).map(([name, byte]) => [byte, name]),
);

/**
 * A readable name for a command byte, for logs and error messages.
 *
 * @example
 * commandName(0x24); // 'MEASURED_CP1 (24H)'
 */
export function commandName(byte: number): string {
  const hex = byte.toString(16).toUpperCase().padStart(2, '0');
  const name = NAMES.get(byte);
  return name ? `${name} (${hex}H)` : `${hex}H`;
}
