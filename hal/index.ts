/**
 * rm-sequencer hardware abstraction layer: the ports a vendor implements and the typed
 * errors they throw. Adapters live in sub-folders (simulated/, makair/, medibus/, guided/).
 */
export * from './port.js';
export * from './errors.js';
export * from './ranges.js';
export * from './serial/config.js';
export * from './serial/transport.js';
