export * from './limits.js';
export * from './safety.js';
export * from './protocols.js';
export * from './jsonSchema.js';
