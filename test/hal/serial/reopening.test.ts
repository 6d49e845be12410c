/**
 * A lost serial port is reopened with capped backoff on the injected clock, announced once
 * per change (lost, reopened), and bytes from the reopened port arrive on the same stream.
 * The MakAir adapter resumes on it: a lost port is no longer latched for good.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { DisconnectedError } from '../../../hal/errors.js';
import { MakAirVentilator } from '../../../hal/makair/index.js';
import { ReopeningTransport, type PortEvent } from '../../../hal/serial/reopening.js';
import { transportPair, type ByteTransport } from '../../../hal/serial/transport.js';
import { ScriptedDevice } from '../makair/scripted-device.js';

const settle = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** A port whose device end can be pulled; reopening fails `failures` times, then succeeds on a new pair. */
function port(failures: number) {
  let [host, device] = transportPair();
  const opens: number[] = [];
  let left = failures;
  const clock = new VirtualClock(0);
  const reopen = (): Promise<ByteTransport> => {
    opens.push(clock.now());
    if (left-- > 0) return Promise.reject(new Error('ENOENT: no such device'));
    [host, device] = transportPair();
    return Promise.resolve(host);
  };
  const t = new ReopeningTransport(host, reopen, clock);
  const events: PortEvent[] = [];
  t.events$.subscribe((e) => events.push(e));
  return { t, clock, opens, events, device: () => device };
}

describe('ReopeningTransport', () => {
  it('reopens a lost port with capped exponential backoff, announcing lost and reopened once each', async () => {
    const p = port(7);
    await p.device().close(); // the cable is pulled
    await settle();
    expect(p.t.reopening).toBe(true);
    await expect(p.t.write(new Uint8Array([1]))).rejects.toBeInstanceOf(DisconnectedError);
    for (let i = 0; i < 400 && p.t.reopening; i++) {
      p.clock.advanceBy(250);
      await settle();
    }
    expect(p.t.reopening).toBe(false);
    const gaps = p.opens.map((t, i) => t - (i === 0 ? 0 : p.opens[i - 1]!));
    expect(gaps).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(p.events.map((e) => e.kind)).toEqual(['lost', 'reopened']);
    expect(p.events[1]).toMatchObject({ attempts: 8 });
    const got: number[] = [];
    p.t.data$.subscribe((b) => got.push(...b));
    await p.device().write(new Uint8Array([42]));
    await settle();
    expect(got).toEqual([42]);
  });

  it('recycle() (a silent device on a port that reports nothing) reopens it like a loss; a no-op while reopening', async () => {
    const p = port(0);
    p.t.recycle('no telemetry');
    p.t.recycle('no telemetry again');
    expect(p.events.map((e) => e.kind)).toEqual(['lost']);
    p.clock.advanceBy(500);
    await settle();
    expect(p.events.map((e) => e.kind)).toEqual(['lost', 'reopened']);
    expect(p.opens).toHaveLength(1);
  });

  it('close() stops the reopening: no attempt after it, and nothing left on the clock', async () => {
    const p = port(1_000);
    await p.device().close();
    await settle();
    p.clock.advanceBy(2000);
    await settle();
    const n = p.opens.length;
    await p.t.close();
    p.clock.advanceBy(60_000);
    await settle();
    expect(p.opens).toHaveLength(n);
    expect(p.clock.pending()).toBe(0);
  });
});

describe('MakAirVentilator on a port that comes back', () => {
  it('after the port is lost and reopened, telemetry resumes and a restore is applied and confirmed on the reopened port', async () => {
    const p = port(2);
    let deviceSide = p.device();
    const listeners: Array<(b: Uint8Array) => void> = [];
    const device = new ScriptedDevice({ write: (b) => void deviceSide.write(b).catch(() => undefined), onData: (l) => listeners.push(l) });
    const wire = () => deviceSide.data$.subscribe((b) => listeners.forEach((l) => l(b)));
    wire();
    const vent = new MakAirVentilator({ transport: p.t, clock: p.clock, fio2: 0.4, linkTimeoutMs: 1000 });
    const faults: string[] = [];
    vent.faults$.subscribe((f) => faults.push(f.code));
    const connecting = vent.connect();
    device.sendBoot();
    device.sendState();
    await settle();
    await connecting;
    await deviceSide.close(); // the USB adapter re-enumerates
    await settle();
    expect(faults).toEqual(['link-lost']);
    await expect(vent.apply({ peepCmH2O: 12 })).rejects.toBeInstanceOf(DisconnectedError);
    for (let i = 0; i < 50 && p.t.reopening; i++) {
      p.clock.advanceBy(250);
      await settle();
    }
    deviceSide = p.device();
    wire();
    device.sendState();
    await settle();
    await expect(vent.readSettings()).resolves.toMatchObject({ peepCmH2O: 10 });
    const applying = vent.apply({ peepCmH2O: 12 });
    for (let i = 0; i < 20; i++) {
      device.sendData();
      await settle(3);
      p.clock.advanceBy(50);
    }
    await expect(applying).resolves.toMatchObject({ peepCmH2O: 12 });
    await vent.close();
  });
});
