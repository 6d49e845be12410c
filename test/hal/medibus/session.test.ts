import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../common/clock.js';
import { DisconnectedError, TimeoutError, VentilatorError } from '../../../hal/errors.js';
import { MedibusCommand, MedibusSession, ascii, encodeCommand, encodeResponse, type MedibusSessionEvent } from '../../../hal/medibus/index.js';
import { transportPair } from '../../../hal/serial/transport.js';
import { ScriptedDevice, advance, hex, settle } from './support/scriptedDevice.js';

const C = MedibusCommand;

function setup(opts: { ignoreIcc?: boolean } = {}) {
  const clock = new VirtualClock();
  const [host, dev] = transportPair();
  const device = new ScriptedDevice(dev, clock, { measuredCp1: [{ code: 0x78, value: 10 }] });
  device.ignoreIcc = opts.ignoreIcc ?? false;
  const session = new MedibusSession({ transport: host, clock });
  const events: MedibusSessionEvent[] = [];
  session.events$.subscribe((e) => events.push(e));
  return { clock, host, dev, device, session, events };
}

async function connected() {
  const s = setup();
  const started = s.session.start();
  await settle();
  await started;
  return s;
}

describe('MedibusSession handshake', () => {
  it('sends ICC (1B 51 36 43 0D) and is up once the device answers it', async () => {
    const { session, device, events } = await connected();
    expect(device.received(C.ICC)).toEqual([0]);
    expect(session.state).toBe('up');
    expect(events[0]).toEqual({ type: 'up', t: 0 });
  });

  it("answers the device's ICC while waiting for its answer to ours", async () => {
    const { session, device, clock } = setup({ ignoreIcc: true });
    const started = session.start();
    await device.sendCommand(C.ICC);
    await settle();
    expect(device.responses.map((f) => f.command)).toEqual([C.ICC]);
    device.ignoreIcc = false;
    await advance(clock, 1000); // our ICC is repeated; this time the device answers
    await started;
    expect(session.state).toBe('up');
  });

  it('repeats ICC every iccRetryMs until answered', async () => {
    const { session, device, clock } = setup({ ignoreIcc: true });
    const started = session.start();
    await settle();
    await advance(clock, 2500);
    expect(device.received(C.ICC)).toEqual([0, 1000, 2000]);
    device.ignoreIcc = false;
    await advance(clock, 600);
    await started;
    expect(device.received(C.ICC)).toEqual([0, 1000, 2000, 3000]);
  });

  it('rejects with DisconnectedError when the device never answers, and leaves no timer', async () => {
    const { session, device, clock } = setup();
    device.silent = true;
    const started = session.start();
    const outcome = started.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await advance(clock, 10_000);
    expect(await outcome).toBeInstanceOf(DisconnectedError);
    expect(session.state).toBe('lost');
    expect(clock.pending()).toBe(0);
  });

  it('can start again after a failed handshake', async () => {
    const { session, device, clock } = setup();
    device.silent = true;
    const first = session.start().catch((e: unknown) => e);
    await advance(clock, 10_000);
    expect(await first).toBeInstanceOf(DisconnectedError);
    device.silent = false;
    const second = session.start();
    await settle();
    await second;
    expect(session.state).toBe('up');
  });
});

describe('MedibusSession keep-alive and timeouts', () => {
  it('sends a NOP at least every 2 s when idle', async () => {
    const { device, clock } = await connected();
    await advance(clock, 10_000, 100);
    const sent = device.commands.map((c) => c.t);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!);
    expect(device.received(C.NOP).length).toBeGreaterThanOrEqual(9);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2000);
  });

  it('loses the link after 3 s without a byte from the device', async () => {
    const { session, device, clock, events } = await connected();
    device.silent = true;
    await advance(clock, 3000, 100);
    const lost = events.find((e) => e.type === 'lost');
    expect(lost).toMatchObject({ type: 'lost', reason: 'silence', t: 3000 });
    expect(session.state).toBe('lost');
    expect(clock.pending()).toBe(0);
  });

  it('loses the link when a response does not complete within 10 s, although the device keeps talking', async () => {
    const { session, device, clock, events } = await connected();
    device.unanswered.add(C.MEASURED_CP1);
    const req = session.request(C.MEASURED_CP1).catch((e: unknown) => e);
    for (let t = 0; t < 10_000; t += 1000) {
      await device.sendCommand(C.NOP); // the device's own keep-alive: not silent
      await advance(clock, 1000, 100);
    }
    expect(await req).toBeInstanceOf(TimeoutError);
    expect(events.find((e) => e.type === 'lost')).toMatchObject({ reason: 'response-timeout' });
  });

  it('rejects what is pending when the link is lost, and refuses new requests', async () => {
    const { session, device, clock } = await connected();
    device.silent = true;
    const a = session.request(C.MEASURED_CP1).catch((e: unknown) => e);
    const b = session.request(C.DEVICE_SETTINGS).catch((e: unknown) => e);
    await advance(clock, 3000, 100);
    expect(await a).toBeInstanceOf(DisconnectedError);
    expect(await b).toBeInstanceOf(DisconnectedError);
    await expect(session.request(C.NOP)).rejects.toBeInstanceOf(DisconnectedError);
  });
});

describe('MedibusSession commands', () => {
  it('resolves a request with the payload of the response that echoes it', async () => {
    const { session } = await connected();
    const payload = await session.request(C.MEASURED_CP1);
    expect(payload).toEqual(ascii('78  10'));
  });

  it('keeps one command outstanding at a time', async () => {
    const { session, device } = await connected();
    device.hold = true;
    const all = Promise.all([session.request(C.MEASURED_CP1), session.request(C.DEVICE_SETTINGS), session.request(C.TEXT_MESSAGES)]);
    await settle();
    expect(device.commands.slice(1).map((c) => c.command)).toEqual([C.MEASURED_CP1]);
    for (let i = 0; i < 3; i++) {
      device.release();
      device.hold = true;
      await settle();
    }
    device.hold = false;
    await all;
    expect(device.commands.slice(1).map((c) => c.command)).toEqual([C.MEASURED_CP1, C.DEVICE_SETTINGS, C.TEXT_MESSAGES]);
  });

  it('sends a command again when the device answers NAK', async () => {
    const { session, device } = await connected();
    device.nakNext = 2;
    await expect(session.request(C.MEASURED_CP1)).resolves.toEqual(ascii('78  10'));
    expect(device.received(C.MEASURED_CP1)).toHaveLength(3);
    expect(session.stats()).toMatchObject({ naksReceived: 2, retransmits: 2 });
  });

  it('gives up after maxNakRetries with a protocol error, and stays up', async () => {
    const { session, device } = await connected();
    device.nakNext = 5;
    const err = await session.request(C.MEASURED_CP1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VentilatorError);
    expect((err as VentilatorError).code).toBe('protocol');
    expect(session.state).toBe('up');
  });

  it('ignores a response to a command it did not send', async () => {
    const { session, device } = await connected();
    await device.sendRaw(encodeResponse(C.DEVICE_SETTINGS));
    await settle();
    expect(session.stats().unexpectedResponses).toBe(1);
    await expect(session.request(C.MEASURED_CP1)).resolves.toEqual(ascii('78  10'));
  });

  it('refuses any command that is not a read command', async () => {
    const { session } = await connected();
    expect(() => session.request(C.CONFIGURE_REALTIME)).toThrow(TypeError);
    expect(() => session.request(C.ICC)).toThrow(/start\(\)/);
    expect(() => session.request(C.STOP)).toThrow(/close\(\)/);
    expect(() => session.request(0x7a)).toThrow(TypeError);
  });
});

describe('MedibusSession answering the device', () => {
  it("answers the device's NOP, its device-ID request and any other command", async () => {
    const { device } = await connected();
    await device.sendCommand(C.NOP);
    await device.sendCommand(C.DEVICE_ID);
    await device.sendCommand(C.DATE_TIME);
    await settle();
    expect(device.responses.map((f) => f.command)).toEqual([C.NOP, C.DEVICE_ID, C.DATE_TIME]);
    expect(String.fromCharCode(...device.responses[1]!.payload)).toBe("0161'rm-sequencer'00.10:06.00");
  });

  it('on a device ICC mid-session, answers it and sends the outstanding command again', async () => {
    const { session, device, events } = await connected();
    device.hold = true;
    const req = session.request(C.MEASURED_CP1);
    await settle();
    await device.sendCommand(C.ICC);
    await settle();
    expect(device.responses.map((f) => f.command)).toEqual([C.ICC]);
    expect(device.received(C.MEASURED_CP1)).toHaveLength(2);
    device.release();
    await expect(req).resolves.toEqual(ascii('78  10'));
    expect(session.stats().deviceIccs).toBe(1);
    expect(session.state).toBe('up');
    expect(events.filter((e) => e.type === 'device-command')).toHaveLength(1);
  });

  it('handles a device command that arrives in the middle of its response', async () => {
    const { session, device } = await connected();
    device.unanswered.add(C.MEASURED_CP1);
    const req = session.request(C.MEASURED_CP1);
    await settle();
    const response = encodeResponse(C.MEASURED_CP1, ascii('78  12'));
    await device.sendRaw([...response.subarray(0, 5), ...encodeCommand(C.NOP), ...response.subarray(5)]);
    await expect(req).resolves.toEqual(ascii('78  12'));
    expect(device.responses.map((f) => f.command)).toEqual([C.NOP]);
  });

  it('answers a corrupt device command with NAK (01 15 31 36 0D) and does not act on it', async () => {
    const { device, events } = await connected();
    await device.sendRaw([0x1b, 0x55, 0x37, 0x31, 0x0d]); // STOP with a wrong checksum
    await settle();
    expect(device.responses.map((f) => f.command)).toEqual([C.NAK]);
    expect(events.some((e) => e.type === 'lost')).toBe(false);
    expect(events.find((e) => e.type === 'dropped')).toMatchObject({ kind: 'command', reason: 'checksum' });
  });

  it('answers a device command whose checksum is in lower case with NAK too (issue 21 point 4, host side)', async () => {
    const { device, events } = await connected();
    await device.sendRaw([0x1b, 0x24, 0x33, 0x66, 0x0d]); // 1B + 24 = 3F, sent as "3f"
    await settle();
    expect(device.responses.map((f) => f.command)).toEqual([C.NAK]);
    expect(events.find((e) => e.type === 'dropped')).toMatchObject({ kind: 'command', reason: 'malformed' });
  });

  it('loses the link when the device sends STOP', async () => {
    const { device, events, session } = await connected();
    await device.sendCommand(C.STOP);
    await settle();
    expect(device.responses.map((f) => f.command)).toEqual([C.STOP]);
    expect(events.find((e) => e.type === 'lost')).toMatchObject({ reason: 'device-stop' });
    expect(session.state).toBe('lost');
  });

  it('holds commands while the device sends DC3 and resumes on DC1', async () => {
    const { session, device } = await connected();
    await device.sendRaw([0x13]);
    await settle();
    const req = session.request(C.MEASURED_CP1);
    await settle();
    expect(device.received(C.MEASURED_CP1)).toHaveLength(0);
    await device.sendRaw([0x11]);
    await expect(req).resolves.toEqual(ascii('78  10'));
  });

  it('resumes its keep-alive after DC1 when nothing else is queued', async () => {
    const { device, clock } = await connected();
    await device.sendRaw([0x13]);
    await advance(clock, 1500, 100);
    const nopsWhilePaused = device.received(C.NOP).length;
    await device.sendRaw([0x11]);
    await advance(clock, 3000, 100);
    expect(nopsWhilePaused).toBe(0);
    expect(device.received(C.NOP).length).toBeGreaterThanOrEqual(3);
  });

  it('loses the link if DC3 holds transmission longer than the response timeout', async () => {
    const { device, clock, events } = await connected();
    await device.sendRaw([0x13]);
    for (let t = 0; t < 10_000; t += 1000) {
      await device.sendCommand(C.NOP);
      await advance(clock, 1000, 250);
    }
    expect(events.find((e) => e.type === 'lost')).toMatchObject({ reason: 'flow-stalled' });
  });

  it('passes real-time bytes on as events without disturbing the frames', async () => {
    const { session, device, events } = await connected();
    device.unanswered.add(C.MEASURED_CP1);
    const req = session.request(C.MEASURED_CP1);
    await settle();
    const r = encodeResponse(C.MEASURED_CP1, ascii('78  10'));
    await device.sendRaw([0xd0, ...r.subarray(0, 3), 0xc6, 0xc0, ...r.subarray(3)]);
    await expect(req).resolves.toEqual(ascii('78  10'));
    expect(events.filter((e) => e.type === 'realtime').flatMap((e) => (e.type === 'realtime' ? [...e.bytes] : []))).toEqual([0xd0, 0xc6, 0xc0]);
  });
});

describe('MedibusSession close', () => {
  it('sends STOP, rejects what is pending, clears every timer and completes its events', async () => {
    const { session, device, clock, host } = await connected();
    device.hold = true;
    const pending = session.request(C.MEASURED_CP1).catch((e: unknown) => e);
    let completed = false;
    session.events$.subscribe({ complete: () => (completed = true) });
    await session.close();
    await settle();
    expect(await pending).toBeInstanceOf(DisconnectedError);
    expect(hex(encodeCommand(device.commands.at(-1)!.command))).toBe('1B 55 37 30 0D');
    expect(clock.pending()).toBe(0);
    expect(completed).toBe(true);
    expect(session.state).toBe('closed');
    expect(host.isOpen).toBe(true); // the session does not own the transport
  });

  it('rejects bad timing with a TypeError naming the option', () => {
    const [host] = transportPair();
    expect(() => new MedibusSession({ transport: host, clock: new VirtualClock(), timing: { keepAliveMs: 2500 } })).toThrow(/timing.keepAliveMs/);
    expect(() => new MedibusSession({ transport: host, clock: new VirtualClock(), timing: { maxNakRetries: -1 } })).toThrow(/timing.maxNakRetries/);
  });
});
