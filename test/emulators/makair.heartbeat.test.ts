/**
 * Issue 21, point 9: a production MakAir power-cycles its host computer (the Raspberry Pi)
 * after 60 s without a heartbeat (makair-firmware `rpi_watchdog.cpp`: a countdown of 60 one-second
 * steps, reset by every Heartbeat control frame except the value 43690, which disables it).
 * The emulator enforces that watchdog; the adapter sends the heartbeat, so a maneuver longer
 * than 60 s keeps the link. VirtualClock, `transportPair()`.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../common/clock.js';
import { ControlFrameParser, ControlSetting, DISABLE_RPI_WATCHDOG, MakAirVentilator, TelemetryParser, encodeControlFrame } from '../../hal/makair/index.js';
import { transportPair } from '../../hal/serial/transport.js';
import type { EmulatorEvent } from '../../emulators/types.js';
import { MakAirEmulator } from '../../emulators/index.js';
import { MAKAIR_BASELINE, makairOnOneClock, settle, track, world } from './support/rig.js';

/** The emulator with a host that only listens (no heartbeat): when does telemetry stop? */
function listeningHost() {
  const clock = new VirtualClock(0);
  const [host, device] = transportPair();
  const emulator = new MakAirEmulator({ transport: device, clock, world: world(clock, MAKAIR_BASELINE) });
  const events: EmulatorEvent[] = [];
  emulator.events$.subscribe((e) => events.push(e));
  const parser = new TelemetryParser();
  const frameTimes: number[] = [];
  host.data$.subscribe((chunk) => {
    for (const _ of parser.push(chunk)) frameTimes.push(clock.now());
  });
  const advance = async (ms: number, stepMs = 100): Promise<void> => {
    for (let d = 0; d < ms; d += stepMs) {
      clock.advanceBy(Math.min(stepMs, ms - d));
      await settle();
    }
  };
  /** Longest silence of the telemetry between `from` and `to`. */
  const longestGap = (from: number, to: number): number => {
    const ts = frameTimes.filter((t) => t >= from && t <= to);
    let gap = 0;
    for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i]! - ts[i - 1]!);
    return gap;
  };
  return { clock, host, emulator, events, advance, longestGap, frameTimes };
}

const powerCycles = (events: EmulatorEvent[]) => events.filter((e) => /RPi watchdog/.test(e.message) && /power/.test(e.message));

describe('MakAir emulator: the 60-s Raspberry Pi watchdog', () => {
  it('no heartbeat: the host is power-cycled 61 s after boot (power cut for a second: the link goes dead)', async () => {
    const h = listeningHost();
    h.emulator.start();
    await h.advance(60_500);
    expect(powerCycles(h.events)).toEqual([]);
    expect(h.longestGap(0, 60_500)).toBeLessThanOrEqual(100);
    await h.advance(3000);
    expect(powerCycles(h.events)).toHaveLength(1);
    expect(powerCycles(h.events)[0]!.t).toBe(61_000);
    expect(h.longestGap(60_500, 63_500)).toBeGreaterThanOrEqual(1000);
    expect(h.emulator.status().counters['rpiPowerCycles']).toBe(1);
    // And again 61 s later: the watchdog counts again after the power comes back.
    await h.advance(61_000);
    expect(powerCycles(h.events)).toHaveLength(2);
    await h.emulator.close();
  });

  it('a heartbeat every 30 s keeps the host powered; each one restarts the 60-s countdown', async () => {
    const h = listeningHost();
    h.emulator.start();
    for (let i = 0; i < 6; i++) {
      await h.advance(30_000);
      await h.host.write(encodeControlFrame({ setting: ControlSetting.Heartbeat, value: 0 }));
    }
    await h.advance(59_000);
    expect(powerCycles(h.events)).toEqual([]);
    expect(h.longestGap(0, h.clock.now())).toBeLessThanOrEqual(100);
    await h.advance(3000);
    expect(powerCycles(h.events)).toHaveLength(1); // heartbeats stopped 60 s ago
    await h.emulator.close();
  });

  it('heartbeat value 43690 disables the watchdog', async () => {
    const h = listeningHost();
    h.emulator.start();
    await h.advance(1000);
    await h.host.write(encodeControlFrame({ setting: ControlSetting.Heartbeat, value: DISABLE_RPI_WATCHDOG }));
    await h.advance(200_000);
    expect(powerCycles(h.events)).toEqual([]);
    expect(h.emulator.status().counters['rpiWatchdog']).toBe('disabled');
    await h.emulator.close();
  });
});

describe('MakAirVentilator: heartbeat', () => {
  async function connected(options: { heartbeatIntervalMs?: number } = {}) {
    const { clock, device, emulator, vent, faults, advance, connect } = makairOnOneClock({ fio2: 0.4, ...options }, 100);
    const events: EmulatorEvent[] = [];
    emulator.events$.subscribe((e) => events.push(e));
    const sent = new ControlFrameParser();
    const heartbeats: number[] = [];
    device.data$.subscribe((chunk) => {
      for (const m of sent.push(chunk)) if (m.setting === ControlSetting.Heartbeat) heartbeats.push(clock.now());
    });
    expect((await connect()).state).toBe('resolved');
    return { clock, emulator, vent, events, heartbeats, faults, advance };
  }

  it('sends a heartbeat at connect and every 10 s, so a 150-s maneuver keeps the link and the host is never power-cycled', async () => {
    const r = await connected();
    expect(r.heartbeats[0]).toBeLessThanOrEqual(3100);
    // A maneuver: steps up and back down over 150 s of virtual time.
    for (const [peep, peak] of [[14, 29], [18, 33], [22, 37], [18, 33], [10, 25]] as const) {
      const p = track(r.vent.apply({ peepCmH2O: peep, peakCmH2O: peak }));
      await r.advance(30_000);
      expect(p.state).toBe('resolved');
    }
    expect(r.clock.now()).toBeGreaterThan(150_000);
    expect(powerCycles(r.events)).toEqual([]);
    expect(r.faults.filter((f) => f.code === 'link-lost')).toEqual([]);
    expect(await r.vent.readSettings()).toMatchObject({ peepCmH2O: 10, peakCmH2O: 25 });
    const gaps = r.heartbeats.slice(1).map((t, i) => t - r.heartbeats[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    expect(r.vent.heartbeatsSent).toBe(r.heartbeats.length);
    await r.vent.close();
    const after = r.heartbeats.length;
    await r.advance(30_000);
    expect(r.heartbeats.length).toBe(after); // none after close
    await r.emulator.close();
  });

  it('refuses a heartbeat interval that would let the 60-s watchdog fire, naming the option and the range', () => {
    const [host] = transportPair();
    const clock = new VirtualClock(0);
    expect(() => new MakAirVentilator({ transport: host, clock, heartbeatIntervalMs: 45_000 })).toThrow(/heartbeatIntervalMs must be within 1000-30000 ms \(got 45000\)/);
    expect(() => new MakAirVentilator({ transport: host, clock, heartbeatIntervalMs: 0 })).toThrow(/heartbeatIntervalMs/);
  });
});

describe('MakAir emulator watchdog and the other faults', () => {
  it('a cable pulled for good stays pulled through a watchdog power cut (the cut never plugs it back)', async () => {
    const h = listeningHost();
    h.emulator.start();
    await h.advance(1000);
    h.emulator.faults.drop();
    const pulledAt = h.clock.now();
    await h.advance(70_000);
    expect(powerCycles(h.events)).toHaveLength(1);
    expect(h.emulator.status().faults.droppedUntil).toBe(Infinity);
    expect(h.frameTimes.filter((t) => t > pulledAt)).toEqual([]); // not one frame after the pull
    await h.emulator.close();
  });

  it('a stalled (frozen) firmware does not count down: no power cut during a 90-s stall', async () => {
    const h = listeningHost();
    h.emulator.start();
    await h.advance(1000);
    h.emulator.faults.stall(90_000);
    await h.advance(90_000);
    expect(powerCycles(h.events)).toEqual([]);
    await h.emulator.close();
  });
});
