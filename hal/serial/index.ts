/**
 * rm-sequencer/hal/serial: serial ports (the only entry that loads the native serialport
 * binding): line settings, `SerialTransport`, `ReopeningTransport` (a lost port reopened with
 * backoff) and the JSON-lines vitals feed read from a serial line.
 *
 * @example
 * import { SerialTransport } from 'rm-sequencer/hal/serial';
 * import { MakAirVentilator } from 'rm-sequencer/hal/makair';
 * const transport = await SerialTransport.open({ path: '/dev/ttyUSB0', baudRate: 115200, parity: 'none', dataBits: 8, stopBits: 1 });
 */
export * from './config.js';
export { SerialTransport, transportPair, DIRECT_WRITE_MAX_BYTES, type ByteTransport, type SerialBinding, type SerialTransportOptions, type WriteTiming, type WritePath, type FdWriter } from './transport.js';
export { ReopeningTransport, DEFAULT_REOPEN_BACKOFF, type ReopenBackoff, type PortEvent } from './reopening.js';
export * from '../vitals/index.js';
