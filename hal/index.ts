/**
 * rm-sequencer/hal: the ports a vendor implements (`Ventilator`, `VitalsSource`), the typed
 * errors they throw, the capability check, the byte-transport interface with an in-memory
 * pair, and the clocks adapters take. No native code: the serial port lives in
 * rm-sequencer/hal/serial; adapters in rm-sequencer/hal/makair, /hal/medibus, /hal/guided,
 * /hal/simulated.
 *
 * @example
 * import { OutOfRangeError, VirtualClock, assertWithinCapabilities, type Ventilator } from 'rm-sequencer/hal';
 */
export * from './port.js';
export * from './errors.js';
export * from './ranges.js';
export { transportPair, type ByteTransport } from './transport.js';
export { VirtualClock, WallClock, every, type Clock, type TimerHandle } from '../common/clock.js';
