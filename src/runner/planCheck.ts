/** Checking a protocol against a device's capabilities before a maneuver starts. */
import { VentilatorError } from '../../hal/errors.js';
import type { DeviceInfo, Ventilator } from '../../hal/port.js';
import { assertWithinCapabilities } from '../../hal/ranges.js';
import { planOf, type Protocol, type VentSettings } from '../../machines/index.js';

/**
 * Every step the protocol may command must be settable on this device: checked before the
 * start against the capability ranges and the adapter's own mode-dependent limits
 * (`Ventilator.checkSettings`), so a device that cannot do the maneuver fails with a clear
 * error, not mid-maneuver.
 */
export function assertPlanFitsDevice(protocol: Protocol, baseline: VentSettings, device: DeviceInfo, ventilator?: Pick<Ventilator, 'checkSettings'>): void {
  const problems: string[] = [];
  for (const step of planOf(protocol, baseline)) {
    try {
      assertWithinCapabilities(step.settings, device.capabilities);
    } catch (e) {
      problems.push(`${step.label}: ${(e as Error).message}`);
      continue;
    }
    for (const p of ventilator?.checkSettings?.(step.settings) ?? []) problems.push(`${step.label}: ${p}`);
  }
  if (problems.length) {
    throw new VentilatorError('out-of-range', `${device.vendor} ${device.model} cannot carry out this ${protocol.maneuver} protocol:\n  - ${problems.join('\n  - ')}`);
  }
}
