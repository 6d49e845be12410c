/**
 * Guided mode refuses to start when the device never reports the values it needs (issue 21
 * point 1): a Primus that sends its PEEP setting under a code the host's table does not know
 * (or no measured PEEP) is found at connect, with a typed error naming what is missing, the
 * codes looked for, the family and the code table; a Primus that uses the codes of its own
 * MEDIBUS document (0CH, D9H, B9H) is read. Virtual time; the emulator is the device.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { GuidedReadinessError, GuidedVentilator } from '../../../hal/guided/index.js';
import { MedibusVentilator, parseCodeTable, type MedibusCodeTable } from '../../../hal/medibus/index.js';
import primusJson from '../../../hal/medibus/codes/primus.json' with { type: 'json' };
import { transportPair } from '../../../hal/serial/transport.js';
import { MedibusEmulator } from '../../../emulators/index.js';
import { MAKAIR_BASELINE, settle, track, world } from '../../emulators/support/rig.js';

type Json = typeof primusJson;
const clone = (): Json => JSON.parse(JSON.stringify(primusJson)) as Json;

/** A Primus as its MEDIBUS document describes it (as the independent host reads it): PEEP 0CH, rate D9H, minute volume B9H. */
function primusDocumentTable(): MedibusCodeTable {
  const t = clone();
  t.settings = t.settings.filter((s) => s.code !== '0B').map((s) => (s.code === '0C' ? { ...s, sameAs: undefined } : s)) as Json['settings'];
  t.measured = t.measured.filter((m) => !['D6', 'D7', 'B8'].includes(m.code)) as Json['measured'];
  return parseCodeTable(t);
}

function rig(deviceTable: MedibusCodeTable, hostTable?: MedibusCodeTable) {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MedibusEmulator({ transport: device, clock, world: world(clock, { ...MAKAIR_BASELINE, fio2: 0.5 }), family: 'primus', codeTable: deviceTable });
  const vent = new MedibusVentilator({ transport: host, clock, family: 'primus', settingsPollMs: 0, ...(hostTable ? { codeTable: hostTable, codeTableSource: 'file site-primus.json' } : {}) });
  const guided = new GuidedVentilator({ device: vent, clock });
  const advance = async (ms: number): Promise<void> => {
    for (let d = 0; d < ms; d += 50) {
      clock.advanceBy(50);
      await settle();
    }
  };
  emulator.start();
  return { clock, emulator, vent, guided, advance };
}

describe('guided mode over MEDIBUS: the values it needs', () => {
  it('a Primus reporting PEEP as 0CH, rate as D9H and minute volume as B9H is read by the built-in Primus table', async () => {
    const r = rig(primusDocumentTable());
    const c = track(r.guided.connect());
    await r.advance(2000);
    expect(c.state, String(c.error)).toBe('resolved');
    const s = track(r.guided.readSettings());
    await r.advance(500);
    expect(s.value).toMatchObject({ mode: 'PCV', peepCmH2O: 10.2, rateBpm: 20, fio2: 0.5 });
    await r.advance(3000);
    const m = r.vent.latestMeasurements()!;
    expect(m.rateBpm).toBe(20); // from D9H
    expect(m.sample.peepCmH2O).toBeGreaterThan(9);
    expect(m.values.find((v) => v.code === 0xb9)?.name).toBe('RespiratoryMinuteVolumeFrac');
    await r.guided.close();
    await r.emulator.close();
  });

  it('a device whose PEEP setting comes under a code the table does not know: connect refuses with GuidedReadinessError naming it', async () => {
    const t = clone();
    t.settings = [{ code: '0D', name: 'PEEP (unknown to the host)', unit: 'mbar', maps: 'peepCmH2O' }, ...t.settings.filter((s) => s.maps !== 'peepCmH2O')] as Json['settings'];
    const r = rig(parseCodeTable(t));
    const c = track(r.guided.connect());
    await r.advance(11_500);
    expect(c.state).toBe('rejected');
    const e = c.error as GuidedReadinessError;
    expect(e).toBeInstanceOf(GuidedReadinessError);
    expect(e.code).toBe('protocol');
    expect(e.missing).toEqual(['settings.peepCmH2O']);
    expect(e.message).toMatch(/guided mode cannot start/);
    expect(e.message).toMatch(/PEEP setting \(peepCmH2O\): none of 0BH, 0CH in the current settings \(29H\)/);
    expect(e.message).toMatch(/family primus, code table built-in codes\/primus\.json/);
    expect(e.message).toMatch(/settings reported: .*0DH/);
    await r.guided.close();
    await r.emulator.close();
  });

  it('a device that never reports a measured PEEP or peak: refused after a bounded wait (10 s), naming the codes and the table file', async () => {
    const t = clone();
    t.measured = t.measured.filter((m) => m.code !== '78' && m.code !== '7D') as Json['measured'];
    const device = parseCodeTable(t);
    const r = rig(device, parseCodeTable(clone()));
    const c = track(r.guided.connect());
    await r.advance(9000);
    expect(c.state).toBe('pending'); // a value may be "----" until the first breath: wait, bounded
    await r.advance(2500);
    expect(c.state).toBe('rejected');
    const e = c.error as GuidedReadinessError;
    expect(e.missing).toEqual(['measured.peakCmH2O', 'measured.peepCmH2O']);
    expect(e.message).toMatch(/measured peak pressure \(peakCmH2O\): none of 7DH \(codepage 1, 24H\) with a plausible number/);
    expect(e.message).toMatch(/measured PEEP \(peepCmH2O\): none of 78H \(codepage 1, 24H\)/);
    expect(e.message).toMatch(/code table file site-primus\.json/);
    expect(e.message).toMatch(/within 10 s/);
    await r.guided.close();
    await r.emulator.close();
  });

  it('confirmOnly (the operator confirms, nothing is read back) skips the check', async () => {
    const t = clone();
    t.settings = [{ code: '0D', name: 'PEEP (unknown to the host)', unit: 'mbar', maps: 'peepCmH2O' }, ...t.settings.filter((s) => s.maps !== 'peepCmH2O')] as Json['settings'];
    const r = rig(parseCodeTable(t));
    const guided = new GuidedVentilator({ device: r.vent, clock: r.clock, confirmOnly: true });
    const c = track(guided.connect());
    await r.advance(2000);
    expect(c.state).toBe('resolved');
    await guided.close();
    await r.emulator.close();
  });

  it('the check runs once, at the first connect', async () => {
    const r = rig(primusDocumentTable());
    const settingsReads: number[] = [];
    r.emulator.events$.subscribe((e) => e.message.startsWith('DEVICE_SETTINGS') && settingsReads.push(e.t));
    const c = track(r.guided.connect());
    await r.advance(2000);
    expect(c.state).toBe('resolved');
    expect(settingsReads).toHaveLength(1); // settings polling is off here: that read was the check
    const again = track(r.guided.connect());
    await r.advance(500);
    expect(again.state).toBe('resolved');
    expect(settingsReads).toHaveLength(1);
    await r.guided.close();
    await r.emulator.close();
  });
});
