export * from './ventilator.js';
