/**
 * Vitals sources other than the simulator: `LineVitalsSource` reads a line-oriented JSON feed
 * (one sample per line) from a serial port or pseudo-terminal. See hal/vitals/line.ts.
 */
export { LineVitalsSource, type LineVitalsOptions, type LineVitalsStats } from './lineVitals.js';
export { VitalsLineSchema, formatVitalsLine, LineSplitter, type VitalsLine, type VitalsLineInput } from './line.js';
