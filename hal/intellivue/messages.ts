/**
 * Data export messages (after the session header E1 00 00 02): remote operation invokes,
 * results, linked results and errors, the MDS Create event report the monitor sends after the
 * association, and the extended poll request/reply. Decoding is strict on lengths: a length
 * that runs past its container, or a count that does not fit, refuses the whole message.
 */
import { CMD, MOC, NOM_ACT_POLL_MDIB_DATA_EXT, NOM_NOTI_MDS_CREAT, NOM_PART_OBJ, RO } from './constants.js';
import { IntelliVueDecodeError, Reader, Writer } from './reader.js';

const DATA_HEADER = [0xe1, 0x00, 0x00, 0x02];

export interface ManagedObject {
  objClass: number;
  contextId: number;
  handle: number;
}

/** One attribute value (AVAType). */
export interface Attribute {
  id: number;
  value: Uint8Array;
}

/** One polled object (ObservationPoll) with its attributes, in the context it came from. */
export interface ObservationPoll {
  contextId: number;
  handle: number;
  attributes: Attribute[];
}

export interface PollReply {
  pollNumber: number;
  sequenceNo: number;
  /** RelativeTime of the reply, 1/8 ms ticks. */
  relTime: number;
  /** AbsoluteTime of the reply (BCD bytes as received). */
  absTime: Uint8Array;
  objType: { partition: number; code: number };
  attrGroup: number;
  observations: ObservationPoll[];
}

export type DataMessage =
  | { kind: 'mds-create'; invokeId: number; confirmed: boolean; mds: ManagedObject; eventTime: number }
  | { kind: 'event-report'; invokeId: number; eventType: number }
  | { kind: 'poll-reply'; invokeId: number; linked: null | { state: number; count: number }; reply: PollReply }
  | { kind: 'result'; invokeId: number; commandType: number }
  | { kind: 'error'; invokeId: number; errorValue: number }
  | { kind: 'invoke'; invokeId: number; commandType: number };

function managedObject(r: Reader): ManagedObject {
  return { objClass: r.u16('managed object class'), contextId: r.u16('managed object context'), handle: r.u16('managed object handle') };
}

function attributeList(r: Reader): Attribute[] {
  const count = r.u16('attribute count');
  const length = r.u16('attribute list length');
  const list = r.sub(length, 'attribute list');
  const out: Attribute[] = [];
  for (let i = 0; i < count; i++) {
    const id = list.u16('attribute id');
    const len = list.u16('attribute length');
    out.push({ id, value: list.bytesOf(len, `attribute 0x${id.toString(16)} value`) });
  }
  return out;
}

function pollReply(r: Reader): PollReply {
  const pollNumber = r.u16('poll number');
  const sequenceNo = r.u16('sequence number');
  const relTime = r.u32('relative time');
  const absTime = r.bytesOf(8, 'absolute time');
  const objType = { partition: r.u16('polled object partition'), code: r.u16('polled object type') };
  const attrGroup = r.u16('attribute group');
  const contexts = r.u16('poll info count');
  const list = r.sub(r.u16('poll info length'), 'poll info list');
  const observations: ObservationPoll[] = [];
  for (let i = 0; i < contexts; i++) {
    const contextId = list.u16('context id');
    const count = list.u16('observation count');
    const obs = list.sub(list.u16('observation list length'), 'observation list');
    for (let j = 0; j < count; j++) observations.push({ contextId, handle: obs.u16('object handle'), attributes: attributeList(obs) });
  }
  return { pollNumber, sequenceNo, relTime, absTime, objType, attrGroup, observations };
}

/**
 * Decodes a data message (its first bytes are E1 00 00 02). Throws `IntelliVueDecodeError`
 * when it is truncated or its lengths are inconsistent.
 */
export function decodeDataMessage(msg: Uint8Array): DataMessage {
  const r = new Reader(msg);
  for (const b of DATA_HEADER) if (r.u8('session header') !== b) throw new IntelliVueDecodeError('not a data message (E1 00 00 02)');
  const roType = r.u16('ro_type');
  const body = r.sub(r.u16('ro length'), 'remote operation');
  if (roType === RO.error) return { kind: 'error', invokeId: body.u16('invoke id'), errorValue: body.u16('error value') };
  let linked: { state: number; count: number } | null = null;
  if (roType === RO.linkedResult) linked = { state: body.u8('linked state'), count: body.u8('linked count') };
  else if (roType !== RO.invoke && roType !== RO.result) throw new IntelliVueDecodeError(`unknown ro_type ${roType}`);
  const invokeId = body.u16('invoke id');
  const commandType = body.u16('command type');
  const op = body.sub(body.u16('command length'), 'command');
  if (roType === RO.invoke) {
    if (commandType !== CMD.eventReport && commandType !== CMD.confirmedEventReport) return { kind: 'invoke', invokeId, commandType };
    const source = managedObject(op);
    const eventTime = op.u32('event time');
    const eventType = op.u16('event type');
    const info = op.sub(op.u16('event info length'), 'event info');
    if (eventType !== NOM_NOTI_MDS_CREAT) return { kind: 'event-report', invokeId, eventType };
    const mds = managedObject(info);
    attributeList(info); // the MDS attributes: checked for consistency, not used
    void source;
    return { kind: 'mds-create', invokeId, confirmed: commandType === CMD.confirmedEventReport, mds, eventTime };
  }
  if (commandType !== CMD.confirmedAction) return { kind: 'result', invokeId, commandType };
  managedObject(op);
  const actionType = op.u16('action type');
  const data = op.sub(op.u16('action result length'), 'action result');
  if (actionType !== NOM_ACT_POLL_MDIB_DATA_EXT) return { kind: 'result', invokeId, commandType };
  return { kind: 'poll-reply', invokeId, linked, reply: pollReply(data) };
}

/**
 * The answer to the monitor's MDS Create event report (the association is only usable once
 * it is answered).
 */
export function encodeMdsCreateResult(invokeId: number, mds: ManagedObject, eventTime: number): Uint8Array {
  const w = new Writer().bytes(DATA_HEADER);
  w.u16(RO.result).u16(20);
  w.u16(invokeId).u16(CMD.confirmedEventReport).u16(14);
  w.u16(mds.objClass).u16(mds.contextId).u16(mds.handle);
  w.u32(eventTime).u16(NOM_NOTI_MDS_CREAT).u16(0);
  return w.done();
}

/**
 * An extended poll request (NOM_ACT_POLL_MDIB_DATA_EXT) for every object of a class, e.g.
 * the numerics (NOM_MOC_VMO_METRIC_NU, all attributes) or the alert monitor.
 *
 * @example
 * encodeExtPollRequest({ invokeId: 1, pollNumber: 1, objType: MOC.vmoMetricNumeric, attrGroup: 0 });
 */
export function encodeExtPollRequest(o: { invokeId: number; pollNumber: number; objType: number; attrGroup: number }): Uint8Array {
  const w = new Writer().bytes(DATA_HEADER);
  w.u16(RO.invoke).u16(32);
  w.u16(o.invokeId).u16(CMD.confirmedAction).u16(26);
  w.u16(MOC.vmsMds).u16(0).u16(0); // the MDS
  w.u32(0); // scope
  w.u16(NOM_ACT_POLL_MDIB_DATA_EXT).u16(12);
  w.u16(o.pollNumber).u16(NOM_PART_OBJ).u16(o.objType).u16(o.attrGroup);
  w.u16(0).u16(0); // no extension attributes: the poll profile's period applies
  return w.done();
}
