/**
 * Draeger MEDIBUS (RS-232, Rev 6.00): read-only monitoring of Evita, Primus and Evita V300
 * ventilators. Host side: `MedibusVentilator` (the `Ventilator` port) over `MedibusSession`.
 * Device side (for emulators): the frame and record encoders, and `MedibusStreamParser`, which
 * parses the host's commands as well as a device's responses. See docs/protocols/medibus.md.
 *
 * @example
 * import { WallClock } from 'rm-sequencer';
 * import { MedibusVentilator } from 'rm-sequencer/hal/medibus';
 * import { SerialTransport } from 'rm-sequencer/hal/serial';
 * const transport = await SerialTransport.open({ path: '/dev/ttyUSB1', baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1 }); // Evita: 19200 8N1
 * const evita = new MedibusVentilator({ transport, clock: new WallClock(), family: 'evita' });
 * await evita.connect();
 * console.log(await evita.identify());
 */
export { ESC, SOH, CR, ETX, DC1, DC3, CAN, REALTIME_BIT, MedibusCommand, HOST_COMMANDS, commandName } from './constants.js';
export type { MedibusCommandName, MedibusCommandByte } from './constants.js';
export { medibusChecksum, checksumChars, checksumValue } from './checksum.js';
export { encodeFrame, encodeCommand, encodeResponse, decodeFrame, isReservedByte, ascii, asciiText } from './frame.js';
export type { MedibusFrame, MedibusFrameKind, DecodeResult } from './frame.js';
export { MedibusStreamParser } from './parser.js';
export type { MedibusParserEvent, MedibusParserStats, MedibusParserOptions, MedibusDropReason, MedibusFlowControl } from './parser.js';
export {
  MEASURED_VALUE_CHARS,
  SETTING_VALUE_CHARS,
  formatMedibusNumber,
  parseMedibusNumber,
  encodeDataRecords,
  decodeDataRecords,
  encodeAlarmRecords,
  decodeAlarmRecords,
  encodeTextRecords,
  decodeTextRecords,
  encodeDeviceId,
  decodeDeviceId,
  encodeDateTime,
  decodeDateTime,
  MEDIBUS_MONTHS,
} from './records.js';
export type { MedibusDataRecord, MedibusAlarmRecord, MedibusTextRecord, MedibusDeviceId } from './records.js';
export { CMH2O_PER_MBAR, MEDIBUS_UNITS, quantityOf, toQuantity } from './units.js';
export type { MedibusUnit, Quantity } from './units.js';
export {
  MEDIBUS_FAMILIES,
  MEASURED_TARGETS,
  SETTING_TARGETS,
  MedibusCodeTableSchema,
  parseCodeTable,
  loadCodeTableFile,
  CODE_TABLE_LIMITS,
  codeTableFor,
  nameMatchesFamily,
  reportableModes,
} from './codeTable.js';
export type { MedibusFamily, MedibusCodeTable, MeasuredTarget, SettingTarget } from './codeTable.js';
export { mapMeasurements, mapSettings, capabilitiesOf } from './mapping.js';
export type { MedibusValue, MedibusMeasurements, SettingsMapping } from './mapping.js';
export { MEDIBUS_TIMING, resolveTiming } from './timing.js';
export type { MedibusTiming } from './timing.js';
export { CommandQueue } from './commandQueue.js';
export { MedibusSession, MEDIBUS_HOST_ID } from './session.js';
export type { MedibusSessionOptions, MedibusSessionState, MedibusSessionEvent, MedibusSessionStats, MedibusLinkLossReason } from './session.js';
export { MedibusVentilator } from './ventilator.js';
export type { MedibusVentilatorOptions, MedibusSettingsReading } from './ventilator.js';
