/** Which device a journal belongs to, and what recovery checks before it sends anything. */
import { describe, expect, it } from 'vitest';
import type { DeviceInfo, VentilatorCapabilities } from '../../hal/port.js';
import { defaultProtocol } from '../../machines/index.js';
import { identityOf, sameDevice } from '../../src/journal/identity.js';
import type { Unfinished } from '../../src/journal/recover.js';
import { assertRecoverable, baselineProblems } from '../../src/cli/recovery.js';

const caps: VentilatorCapabilities = {
  modes: ['PCV', 'VC'],
  ranges: { peepCmH2O: [5, 30], peakCmH2O: [10, 40], rateBpm: [5, 35], fio2: [0.21, 1] },
  remoteSetting: true,
  pressureResolutionCmH2O: 0.1,
};
const makair = (id: string): DeviceInfo => ({ vendor: 'Makers For Life', model: 'MakAir', id, protocol: 'makair-telemetry-v2', capabilities: caps });
const evita: DeviceInfo = { vendor: 'Draeger', model: 'Evita4', id: '0161', protocol: 'MEDIBUS', capabilities: caps };

const unfinished = (over: Partial<Unfinished> = {}): Unfinished => ({
  maneuver: 'staircase',
  baseline: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 },
  lastState: null,
  lastCommand: null,
  startedAtIso: null,
  device: 'makair:/dev/ttyUSB0',
  deviceIdentity: identityOf('makair', '/dev/ttyUSB0', makair('1-2-3')),
  session: 's1',
  ...over,
});

describe('device identity', () => {
  it('a MakAir is its board id: the same id on another port (USB re-enumeration) is the same device, another id is not', () => {
    const a = identityOf('makair', '/dev/ttyUSB0', makair('1-2-3'));
    expect(sameDevice(a, identityOf('makair', '/dev/ttyUSB1', makair('1-2-3'))).same).toBe(true);
    const b = sameDevice(a, identityOf('makair', '/dev/ttyUSB0', makair('7-7-7')));
    expect(b.same).toBe(false);
    expect(b.difference).toMatch(/device id: the journal's is 1-2-3, this one's is 7-7-7/);
  });

  it('a MEDIBUS id names the device type, so the port must match as well', () => {
    const a = identityOf('medibus', '/dev/ttyUSB0', evita);
    expect(a.idIsUnique).toBe(false);
    expect(sameDevice(a, identityOf('medibus', '/dev/ttyUSB0', evita)).same).toBe(true);
    expect(sameDevice(a, identityOf('medibus', '/dev/ttyUSB1', evita)).difference).toMatch(/port/);
    expect(sameDevice(a, identityOf('medibus', '/dev/ttyUSB0', { ...evita, model: 'Primus' })).difference).toMatch(/model/);
    expect(sameDevice(a, identityOf('makair', '/dev/ttyUSB0', makair('1-2-3'))).difference).toMatch(/protocol/);
  });
});

describe('recovery checks before it touches the device', () => {
  const protocol = defaultProtocol('staircase');
  it('a hand-edited baseline (PEEP 30, rate 35) is refused against the baseline schema, naming field and range', () => {
    const problems = baselineProblems(unfinished({ baseline: { mode: 'PCV', peepCmH2O: 30, peakCmH2O: 40, rateBpm: 35, fio2: 0.4 } }), protocol, caps);
    expect(problems.join('\n')).toMatch(/peepCmH2O = 30: must be between 0 and 25 cmH2O/);
  });

  it('a baseline beyond the device ranges or in a mode it does not offer is refused', () => {
    const problems = baselineProblems(unfinished({ baseline: { mode: 'CPAP', peepCmH2O: 4, peakCmH2O: 0, rateBpm: 0, fio2: 0.4 } }), protocol, caps);
    expect(problems.join('\n')).toMatch(/mode = "CPAP": this device offers PCV, VC/);
    expect(problems.join('\n')).toMatch(/peepCmH2O = 4: outside this device's range 5-30/);
  });

  it('refuses a journal that records no device identity, and journals the refusal', () => {
    const written: [string, Record<string, unknown>][] = [];
    const journal = { write: (e: string, d: Record<string, unknown>) => void written.push([e, d]) } as unknown as Parameters<typeof assertRecoverable>[5];
    const now = identityOf('makair', '/dev/ttyUSB0', makair('1-2-3'));
    expect(() => assertRecoverable('j.jsonl', unfinished({ deviceIdentity: null }), protocol, now, caps, journal)).toThrow(/does not record which ventilator/);
    expect(written[0]?.[0]).toBe('recover-refused');
    expect(() => assertRecoverable('j.jsonl', unfinished(), protocol, now, caps, journal)).not.toThrow();
  });
});
