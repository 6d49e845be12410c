/**
 * Opening the patient monitor a `--vitals` flag names: the line-oriented JSON feed on a serial
 * port, or a Philips IntelliVue over Data Export (UDP or the MIB RS232 port).
 */
import type { Clock } from '../../common/clock.js';
import type { VitalsSource } from '../../hal/port.js';
import type { SerialSettings } from '../../hal/serial/config.js';
import type { SerialBinding } from '../../hal/serial/transport.js';
import type { Observable } from 'rxjs';
import { describeIntelliVueSpec, openIntelliVue, type IntelliVueEvent, type IntelliVueOptions, type IntelliVueSpec, type IntelliVueVitalsSource } from '../../hal/intellivue/index.js';
import { DeviceOpenError, explainPortError, openLineVitals } from './device.js';

/** A line feed's port settings, or an IntelliVue. */
export type VitalsTarget = SerialSettings | { intellivue: IntelliVueSpec };

export const isIntelliVue = (v: VitalsTarget): v is { intellivue: IntelliVueSpec } => 'intellivue' in v;

/** What the journal header and messages call it: the feed's path, or `intellivue:udp:HOST:PORT` / `intellivue:serial:PATH`. */
export function describeVitalsTarget(v: VitalsTarget): string {
  return isIntelliVue(v) ? describeIntelliVueSpec(v.intellivue) : v.path;
}

/**
 * Opens the monitor (not yet connected: the session connects it; an IntelliVue associates then).
 *
 * @example
 * const vitals = await openVitals({ intellivue: { transport: 'udp', host: '10.0.0.5', port: 24105 } }, { clock });
 */
export async function openVitals(v: VitalsTarget, options: { clock: Clock; binding?: SerialBinding; intellivue?: Omit<IntelliVueOptions, 'transport' | 'clock'> }): Promise<VitalsSource & { events$?: Observable<IntelliVueEvent> }> {
  if (!isIntelliVue(v)) return openLineVitals(v, { clock: options.clock, ...(options.binding ? { binding: options.binding } : {}) });
  const spec = v.intellivue;
  let monitor: VitalsSource;
  try {
    monitor = await openIntelliVue(spec, { ...options.intellivue, clock: options.clock, ...(options.binding ? { binding: options.binding } : {}) });
  } catch (e) {
    const why = spec.transport === 'serial' ? explainPortError(spec.path, e, 'IntelliVue MIB port') : (e as Error).message;
    throw new DeviceOpenError('port', `patient monitor ${describeVitalsTarget(v)}: ${why}`, { cause: e });
  }
  // No association is a device that did not answer: reported like a ventilator that does not.
  const events$ = (monitor as IntelliVueVitalsSource).events$;
  return {
    samples$: monitor.samples$,
    faults$: monitor.faults$,
    events$,
    close: () => monitor.close(),
    connect: () =>
      monitor.connect().catch((e: unknown) => {
        throw new DeviceOpenError('connect', `patient monitor: ${(e as Error).message}`, { cause: e });
      }),
  };
}

/**
 * Puts what the monitor says about its values into the session's alarms (the CLI prints them,
 * the journal keeps them): which vital is not counted and why (an INOP, questionable, ...), and
 * when every value is valid again. A line feed says nothing: nothing to do.
 *
 * @example
 * announceMonitor(vitals, ds.session);
 */
export function announceMonitor(vitals: { events$?: Observable<IntelliVueEvent> }, session: { alarm(priority: 'high' | 'medium' | 'low', message: string): void }): void {
  vitals.events$?.subscribe((e) => {
    if (e.kind === 'invalid') session.alarm('medium', `patient monitor: not counted by the guards: ${e.message}`);
    else if (e.kind === 'valid') session.alarm('low', `patient monitor: ${e.message}`);
    else if (e.kind === 'associated') session.alarm('low', `patient monitor: ${e.message}`);
  });
}
