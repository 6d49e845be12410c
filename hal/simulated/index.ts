/** The simulated adapters (the only part of hal/ that imports sim/). */
export * from './world.js';
export * from './ventilator.js';
export * from './vitals.js';
