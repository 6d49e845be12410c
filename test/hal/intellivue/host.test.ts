/**
 * IntelliVueVitalsSource against the emulated monitor on a virtual clock: association, MDS
 * Create answered, 1-s polls, samples with validity; refused and aborted associations and
 * silence (re-association with backoff, one fault per outage); demo data refused with a fault;
 * release on close; connect() bounded; garbage never yields a sample.
 */
import { describe, expect, it } from 'vitest';
import { decodeDataMessage, IntelliVueVitalsSource } from '../../../hal/intellivue/index.js';
import fc from 'fast-check';
import { float32, numericsReply, readClientPdu } from '../../../emulators/intellivue/pdu.js';
import { VirtualClock } from '../../../common/clock.js';
import { checkSample } from '../../../machines/safety/sample.js';
import { flush, PipeTransport, rig } from './support.js';

describe('IntelliVueVitalsSource', () => {
  it('associates, answers the MDS Create report, polls alerts and numerics once a second and emits valid samples', async () => {
    const r = rig();
    await r.connect();
    expect(r.vitals.state).toBe('polling');
    // The host answered the monitor's MDS Create event report.
    expect(r.host.sent.map((m) => readClientPdu(m)?.t)).toContain('event-result');
    await r.run(5000);
    expect(r.samples.length).toBeGreaterThanOrEqual(5);
    expect(r.samples.length).toBeLessThanOrEqual(7);
    const s = r.samples.at(-1)!;
    expect(s).toMatchObject({ source: 'intellivue' });
    expect(s.spo2Pct).toBeGreaterThan(80);
    expect(s.mapMmHg).toBeGreaterThan(50);
    expect(s.sbpMmHg).toBeGreaterThan(s.mapMmHg!);
    expect(s.hrBpm).toBeGreaterThan(40);
    expect(s.invalid).toBeUndefined();
    expect(s.t).toBeLessThanOrEqual(r.clock.now());
    expect(r.faults).toEqual([]);
    // NBP was decoded with its own time stamp, for the record only.
    expect(r.vitals.lastReadings?.other.nbp?.meanMmHg).toBeGreaterThan(0);
    expect(r.vitals.lastReadings?.other.plethRateBpm).toBeGreaterThan(0);
    await r.vitals.close();
  });

  it('reassembles numerics sent as linked results', async () => {
    const r = rig({ numericsPerMessage: 2 });
    await r.connect();
    await r.run(2000);
    expect(r.samples.at(-1)).toMatchObject({ spo2Pct: expect.any(Number), mapMmHg: expect.any(Number), hrBpm: expect.any(Number) });
    await r.vitals.close();
  });

  it('an SpO2 INOP makes SpO2 invalid at the next poll (the staleness clock runs from the last valid value), and clears', async () => {
    const r = rig();
    await r.connect();
    await r.run(2000);
    r.monitor.raiseInop('spo2');
    await r.run(1100);
    expect(r.samples.at(-1)!.invalid).toEqual(['spo2Pct']);
    expect(r.samples.at(-1)!.spo2Pct).toBeUndefined();
    expect(r.vitals.stats.inopSamples).toBeGreaterThanOrEqual(1);
    r.monitor.clearInop('spo2');
    await r.run(1100);
    expect(r.samples.at(-1)!.invalid).toBeUndefined();
    expect(r.faults).toEqual([]); // an INOP is not a lost source: the guards judge it
    await r.vitals.close();
  });

  it('an arterial line disconnect, zeroing or questionable values mark MAP/SBP invalid', async () => {
    const r = rig();
    await r.connect();
    for (const act of [() => r.monitor.raiseInop('abp'), () => r.monitor.raiseInop('abp-zero'), () => r.monitor.setQuestionable('abp', true)]) {
      r.monitor.clear();
      act();
      await r.run(1100);
      expect(r.samples.at(-1)!.invalid).toEqual(['mapMmHg', 'sbpMmHg']);
    }
    await r.vitals.close();
  });

  it('an arterial line flush (300 mmHg, no pulse, unmarked by the monitor) counts neither as MAP nor as SBP, so both go stale', async () => {
    const r = rig();
    await r.connect();
    r.monitor.flush(5000);
    await r.run(1100);
    const s = r.samples.at(-1)!;
    expect(s.mapMmHg).toBe(300);
    expect(s.invalid).toEqual(['mapMmHg', 'sbpMmHg']);
    expect(r.vitals.lastReadings?.reasons.mapMmHg).toMatch(/no pulse pressure/);
    const checked = checkSample(s, r.clock.now(), 2000);
    expect(checked.ok && checked.sample.mapMmHg).toBe(undefined);
    expect(checked.ok && checked.sample.sbpMmHg).toBe(undefined);
    await r.vitals.close();
  });

  it('demo data: every value invalid, and one vitals-source-lost fault that says why', async () => {
    const r = rig();
    await r.connect();
    r.monitor.setDemo(true);
    await r.run(3100);
    expect(r.samples.at(-1)!.invalid).toEqual(['spo2Pct', 'mapMmHg', 'sbpMmHg', 'hrBpm']);
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]).toMatchObject({ code: 'vitals-source-lost', message: expect.stringMatching(/DEMO data.*refused/) });
    await r.vitals.close();
  });

  it('a refused association is retried with backoff', async () => {
    const r = rig({ backoffMs: { initial: 1000, max: 4000 } });
    r.monitor.refuse(2);
    const p = r.vitals.connect();
    await r.run(1500);
    expect(r.vitals.state).not.toBe('polling');
    await r.run(3000); // 1 s, then 2 s of backoff
    await p;
    expect(r.vitals.stats.refusals).toBe(2);
    expect(r.vitals.stats.associations).toBe(1);
    await r.vitals.close();
  });

  it('the monitor aborts: one fault, re-association, samples again', async () => {
    const r = rig();
    await r.connect();
    await r.run(2000);
    r.monitor.dropAssociation();
    await flush();
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]!.message).toMatch(/aborted/);
    const before = r.samples.length;
    await r.run(3000);
    expect(r.vitals.stats.associations).toBe(2);
    expect(r.samples.length).toBeGreaterThan(before);
    await r.vitals.close();
  });

  it('the monitor goes silent: a fault after lostAfterMs (once), re-association attempts, recovery', async () => {
    const r = rig({ lostAfterMs: 3000 });
    await r.connect();
    await r.run(1000);
    r.monitor.setSilent(true);
    await r.run(2500);
    expect(r.faults).toEqual([]);
    await r.run(1000);
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]!.message).toMatch(/no poll reply/);
    await r.run(20_000);
    expect(r.faults).toHaveLength(1); // once per outage
    r.monitor.setSilent(false);
    // Still associated at the monitor (it never heard the host give up): its idle watch drops it, the host associates again.
    await r.run(40_000);
    expect(r.vitals.state).toBe('polling');
    const n = r.samples.length;
    await r.run(2000);
    expect(r.samples.length).toBeGreaterThan(n);
    await r.vitals.close();
  });

  it('close() releases the association and completes the streams', async () => {
    const r = rig();
    await r.connect();
    let completed = false;
    r.vitals.samples$.subscribe({ complete: () => (completed = true) });
    const closing = r.vitals.close();
    await flush();
    await closing;
    expect(readClientPdu(r.host.sent.at(-1)!)).toEqual({ t: 'release' });
    expect(r.monitor.status().peer).toBeNull();
    expect(completed).toBe(true);
    expect(r.host.closed).toBe(true);
  });

  it('connect() rejects, naming the address, when nobody answers within connectTimeoutMs', async () => {
    const clock = new VirtualClock(0);
    const t = new PipeTransport(() => undefined);
    const v = new IntelliVueVitalsSource({ transport: t, clock, connectTimeoutMs: 8000 });
    const p = v.connect();
    const rejected = expect(p).rejects.toThrow(/no IntelliVue association on pipe within 8 s.*Data Export enabled/);
    for (let i = 0; i < 90; i++) {
      clock.advanceBy(100);
      await flush();
    }
    await rejected;
    // It asked again after the 5-s answer timeout and 1 s of backoff.
    expect(t.sent.filter((m) => m[0] === 0x0d).map(() => 'AARQ')).toEqual(['AARQ', 'AARQ']);
    await v.close();
  });

  it('garbage and out-of-turn messages are counted and never yield a sample', async () => {
    const r = rig();
    await r.connect();
    const n = r.samples.length;
    const junk = [Uint8Array.from([0xe1, 0, 0, 2, 0, 2, 0xff, 0xff]), Uint8Array.from([0x42]), new Uint8Array(0), Uint8Array.from([0xe1, 0, 0, 2, 0, 9, 0, 0])];
    for (const j of junk) r.host.incoming.next(j);
    expect(r.samples.length).toBe(n);
    expect(r.vitals.stats.decodeErrors).toBe(4);
    expect(() => decodeDataMessage(junk[0]!)).toThrow();
    await r.vitals.close();
  });

  it('truncated poll replies never yield a sample nor throw (fast-check)', async () => {
    const r = rig();
    await r.connect();
    r.monitor.setSilent(true); // only the messages below reach the host
    const invoke = (r.vitals as unknown as { numericInvoke: number }).numericInvoke;
    const full = numericsReply({ invoke, pollNo: 1, seq: 1, relTime: 8, absMs: 0, attrGrp: 0, numerics: [{ handle: 1, label: 1, relTime: 0, values: [{ physio: 0x4bb8, state: 0, unit: 0x220, float: float32(93, 0) }] }] })[0]!;
    const before = r.samples.length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: full.length - 1 }), async (cut) => {
        r.host.incoming.next(full.subarray(0, cut));
        await flush();
      }),
      { numRuns: 200 },
    );
    expect(r.samples.length).toBe(before);
    // The whole message does yield one: the host was listening.
    r.host.incoming.next(full);
    await flush();
    expect(r.samples.length).toBe(before + 1);
    r.monitor.setSilent(false); // to answer the release
    const closing = r.vitals.close();
    await flush();
    await closing;
  });

  it('rejects bad options with a TypeError naming the option', () => {
    const clock = new VirtualClock(0);
    const t = new PipeTransport(() => undefined);
    expect(() => new IntelliVueVitalsSource({ transport: t, clock, pollPeriodMs: 0 })).toThrow(/pollPeriodMs must be a positive number/);
    expect(() => new IntelliVueVitalsSource({ transport: {} as never, clock })).toThrow(/transport must be a MessageTransport/);
  });
});
