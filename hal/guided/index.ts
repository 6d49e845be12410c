/**
 * Guided mode: a ventilator the controller cannot (or may not) set becomes a `Ventilator`
 * whose `apply` is an instruction to the operator, confirmed from the device's readings.
 *
 * @example
 * import { WallClock } from 'rm-sequencer';
 * import { GuidedVentilator, GUIDED_TIMEOUT_DEFAULT_MS } from 'rm-sequencer/hal/guided';
 * const guided = new GuidedVentilator({ device: evita, clock: new WallClock(), timeoutMs: GUIDED_TIMEOUT_DEFAULT_MS });
 * guided.prompts$.subscribe((p) => p && console.log(p.message));
 */
export * from './ventilator.js';
