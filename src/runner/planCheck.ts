/** Checking a protocol against a device's capabilities before a maneuver starts. */
import { VentilatorError } from '../../hal/errors.js';
import type { DeviceInfo } from '../../hal/port.js';
import { assertWithinCapabilities } from '../../hal/ranges.js';
import { planOf, type Protocol, type VentSettings } from '../../machines/index.js';

/**
 * Every step the protocol may command must be settable on this device: checked before the
 * start, so a device that cannot do the maneuver fails with a clear error, not mid-maneuver.
 */
export function assertPlanFitsDevice(protocol: Protocol, baseline: VentSettings, device: DeviceInfo): void {
  const problems: string[] = [];
  for (const step of planOf(protocol, baseline)) {
    const settings = step.phase === 'inflation' ? { ...baseline, mode: 'CPAP' as const, peepCmH2O: step.peepCmH2O, peakCmH2O: step.peakCmH2O } : { ...baseline, mode: step.phase === 'final' || step.phase === 'assessment' ? baseline.mode : ('PCV' as const), peepCmH2O: step.peepCmH2O, peakCmH2O: step.peakCmH2O };
    try {
      assertWithinCapabilities(settings, device.capabilities);
    } catch (e) {
      problems.push(`${step.label}: ${(e as Error).message}`);
    }
  }
  if (problems.length) {
    throw new VentilatorError('out-of-range', `${device.vendor} ${device.model} cannot carry out this ${protocol.maneuver} protocol:\n  - ${problems.join('\n  - ')}`);
  }
}
