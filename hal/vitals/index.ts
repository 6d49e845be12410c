/**
 * Vitals sources other than the simulator: `LineVitalsSource` reads a line-oriented JSON feed
 * (one sample per line) from a serial port or pseudo-terminal. See hal/vitals/line.ts.
 * Published with the serial entry (`rm-sequencer/hal/serial`).
 *
 * @example
 * import { WallClock } from 'rm-sequencer';
 * import { LineVitalsSource, SerialTransport } from 'rm-sequencer/hal/serial';
 * const transport = await SerialTransport.open({ path: '/dev/ttyUSB2', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
 * const monitor = new LineVitalsSource({ transport, clock: new WallClock() });
 * monitor.samples$.subscribe((s) => console.log(s.spo2Pct, s.mapMmHg));
 */
export { LineVitalsSource, type LineVitalsOptions, type LineVitalsStats } from './lineVitals.js';
export { VITALS_LINE_DEFAULTS, VitalsLineSchema, formatVitalsLine, LineSplitter, type VitalsLine, type VitalsLineInput } from './line.js';
