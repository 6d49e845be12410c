/**
 * The monitor's side of the Data Export wire, written from the Programming Guide's structures
 * (independently of hal/intellivue, so that a host bug is not mirrored here): what a monitor
 * must recognise from a client (association request, MDS Create result, extended poll
 * request, release request) and what it sends (association answer, MDS Create event report,
 * poll replies with numerics and the alert monitor's INOP list, release answer, abort), and
 * the MIB/RS232 frame with its FCS.
 */

/** Session SPDU identifiers. */
export const SI = { CN: 0x0d, AC: 0x0e, RF: 0x0c, FN: 0x09, DN: 0x0a, AB: 0x19, DATA: 0xe1 } as const;

export const NOM = {
  MOC_VMO_METRIC_NU: 0x0006,
  MOC_VMS_MDS: 0x0021,
  MOC_VMO_AL_MON: 0x0036,
  ACT_POLL_MDIB_DATA_EXT: 0xf13b,
  NOTI_MDS_CREAT: 0x0d06,
  ATTR_ID_HANDLE: 0x0921,
  ATTR_ID_LABEL: 0x0924,
  ATTR_NU_VAL_OBS: 0x0950,
  ATTR_NU_CMPD_VAL_OBS: 0x094b,
  ATTR_TIME_STAMP_ABS: 0x0990,
  ATTR_TIME_STAMP_REL: 0x0991,
  ATTR_AL_MON_T_AL_LIST: 0x0904,
  ATTR_AL_MON_P_AL_LIST: 0x0902,
  ATTR_SYS_TYPE: 0x0986,
  DIM_PERCENT: 0x0220,
  DIM_BEAT_PER_MIN: 0x0aa0,
  DIM_MMHG: 0x0f20,
  DIM_DIMLESS: 0x0200,
} as const;

/** Big-endian byte builder. */
export class Bytes {
  private readonly a: number[] = [];
  u8(v: number): this {
    this.a.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    this.a.push((v >> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    this.a.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.a.push(b[i]! & 0xff);
    return this;
  }
  /** A length indicator of the session layer (1 byte, or 0xFF + 2 bytes from 255 on). */
  li(n: number): this {
    return n < 255 ? this.u8(n) : this.u8(0xff).u16(n);
  }
  get size(): number {
    return this.a.length;
  }
  out(): Uint8Array {
    return Uint8Array.from(this.a);
  }
}

/** FLOAT-Type: exponent (s8) and mantissa (s24). Non-finite input gives NaN (0x007FFFFF). */
export function float32(v: number, decimals: number): number {
  if (!Number.isFinite(v)) return 0x007fffff;
  const m = Math.round(v * 10 ** decimals);
  return ((((-decimals) & 0xff) << 24) | (m & 0xffffff)) >>> 0;
}

/** What a client sent, as far as the monitor cares. */
export type ClientPdu =
  | { t: 'associate' }
  | { t: 'release' }
  | { t: 'abort' }
  | { t: 'poll'; invoke: number; pollNo: number; objCode: number; attrGrp: number }
  | { t: 'event-result'; invoke: number }
  | { t: 'other'; what: string };

const u16 = (b: Uint8Array, i: number): number => {
  if (i + 2 > b.length) throw new RangeError('short');
  return (b[i]! << 8) | b[i + 1]!;
};

/** Reads a client message; returns null for anything not well-formed. */
export function readClientPdu(b: Uint8Array): ClientPdu | null {
  try {
    if (b.length < 2) return null;
    const si = b[0]!;
    if (si === SI.CN || si === SI.FN || si === SI.AB) {
      let li = b[1]!;
      let at = 2;
      if (li === 0xff) {
        li = u16(b, 2);
        at = 4;
      }
      if (at + li > b.length) return null;
      return si === SI.CN ? { t: 'associate' } : si === SI.FN ? { t: 'release' } : { t: 'abort' };
    }
    if (si !== SI.DATA || b.length < 8 || b[1] !== 0 || b[2] !== 0 || b[3] !== 2) return null;
    const roType = u16(b, 4);
    const roLen = u16(b, 6);
    if (8 + roLen > b.length) return null;
    const invoke = u16(b, 8);
    const cmd = u16(b, 10);
    const cmdLen = u16(b, 12);
    if (14 + cmdLen > 8 + roLen) return null;
    if (roType === 2 && cmd === 1) return { t: 'event-result', invoke };
    if (roType === 1 && cmd === 7) {
      // ActionArgument: managed object (6), scope (4), action type, length, then the request.
      const action = u16(b, 24);
      const actLen = u16(b, 26);
      if (action !== NOM.ACT_POLL_MDIB_DATA_EXT || actLen < 8 || 28 + actLen > b.length) return { t: 'other', what: `action 0x${action.toString(16)}` };
      return { t: 'poll', invoke, pollNo: u16(b, 28), objCode: u16(b, 32), attrGrp: u16(b, 34) };
    }
    return { t: 'other', what: `ro_type ${roType} command ${cmd}` };
  } catch {
    return null;
  }
}

/** Association accepted (AC SPDU) with the monitor's MDSE user information. */
export function associationAccept(): Uint8Array {
  const user = new Bytes()
    .u32(0x80000000) // protocol version
    .u32(0x40000000) // nomenclature version
    .u32(0) // functional units
    .u32(0x00800000) // system type: server
    .u32(0x20000000) // startup mode: cold start
    .u16(0).u16(0) // options
    .u16(1).u16(0x2c).u16(1).u16(0x28) // supported profiles: poll profile support
    .u32(0x80000000).u32(8000).u32(1000).u32(1000).u32(0xffffffff).u32(0x60000000)
    .u16(1).u16(0x0c).u16(0xf001).u16(0x08).u32(0x88000000).u16(0).u16(0)
    .out();
  const pres = new Bytes()
    .raw([0x31, 0x80, 0xa0, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00, 0xa2, 0x80, 0xa0, 0x03, 0x00, 0x00, 0x01, 0xa5, 0x80, 0x30, 0x80, 0x80, 0x01, 0x00, 0x81, 0x02, 0x51, 0x01, 0x00, 0x00])
    .raw([0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x61, 0x80, 0xa1, 0x80, 0x06, 0x0c, 0x2a, 0x86, 0x48, 0xce, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00])
    .raw([0xa2, 0x03, 0x02, 0x01, 0x00, 0xbe, 0x80, 0x28, 0x80, 0x02, 0x01, 0x02, 0x81])
    .li(user.length)
    .raw(user)
    .raw(new Array<number>(12).fill(0))
    .out();
  const body = new Bytes().raw([0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02]).u8(0xc1).li(pres.length).raw(pres).out();
  return new Bytes().u8(SI.AC).li(body.length).raw(body).out();
}

/** Association refused (RF SPDU). */
export function associationRefuse(): Uint8Array {
  return Uint8Array.from([SI.RF, 0x0c, 0x05, 0x06, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x32, 0x01, 0x00, 0x00]);
}

export function releaseAnswer(): Uint8Array {
  return Uint8Array.from([SI.DN, 0x18, 0xc1, 0x16, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x63, 0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
}

export function abortMessage(): Uint8Array {
  return Uint8Array.from([SI.AB, 0x2e, 0x11, 0x01, 0x03, 0xc1, 0x29, 0xa0, 0x80, 0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x06, 0x02, 0x51, 0x01, 0x00, 0x00, 0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x64, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
}

function dataMessage(roType: number, roBody: Uint8Array): Uint8Array {
  return new Bytes().raw([0xe1, 0x00, 0x00, 0x02]).u16(roType).u16(roBody.length).raw(roBody).out();
}

/** The MDS Create event report (confirmed) the monitor sends once associated. */
export function mdsCreateReport(invoke: number, relTime: number): Uint8Array {
  const attrs = new Bytes().u16(NOM.ATTR_SYS_TYPE).u16(4).u16(1).u16(0x1151).out(); // system type: a multi-parameter monitor
  const info = new Bytes().u16(NOM.MOC_VMS_MDS).u16(0).u16(0).u16(1).u16(attrs.length).raw(attrs).out();
  const arg = new Bytes().u16(NOM.MOC_VMS_MDS).u16(0).u16(0).u32(relTime).u16(NOM.NOTI_MDS_CREAT).u16(info.length).raw(info).out();
  const ro = new Bytes().u16(invoke).u16(1).u16(arg.length).raw(arg).out();
  return dataMessage(1, ro);
}

/** One numeric as the monitor has it. */
export interface NumericOut {
  handle: number;
  label: number;
  /** Compound values (e.g. ABP sys/dia/mean) or a single one. */
  values: Array<{ physio: number; state: number; unit: number; float: number }>;
  relTime: number;
  /** Calendar time of the value, if not the reply's (NBP: when the cuff measured). */
  absMs?: number;
}

/** BCD AbsoluteTime of epoch ms (UTC). */
export function absTime(ms: number): number[] {
  const d = new Date(ms);
  const b = (n: number): number => ((Math.floor(n / 10) % 10) << 4) | n % 10;
  const y = d.getUTCFullYear();
  return [b(Math.floor(y / 100)), b(y % 100), b(d.getUTCMonth() + 1), b(d.getUTCDate()), b(d.getUTCHours()), b(d.getUTCMinutes()), b(d.getUTCSeconds()), b(Math.floor(d.getUTCMilliseconds() / 10))];
}

function observation(n: NumericOut, absMs: number): Uint8Array {
  const attrs = new Bytes();
  let count = 0;
  const add = (id: number, value: Uint8Array): void => {
    attrs.u16(id).u16(value.length).raw(value);
    count++;
  };
  add(NOM.ATTR_ID_HANDLE, new Bytes().u16(n.handle).out());
  add(NOM.ATTR_ID_LABEL, new Bytes().u32(n.label).out());
  if (n.values.length === 1) {
    const v = n.values[0]!;
    add(NOM.ATTR_NU_VAL_OBS, new Bytes().u16(v.physio).u16(v.state).u16(v.unit).u32(v.float).out());
  } else {
    const c = new Bytes().u16(n.values.length).u16(n.values.length * 10);
    for (const v of n.values) c.u16(v.physio).u16(v.state).u16(v.unit).u32(v.float);
    add(NOM.ATTR_NU_CMPD_VAL_OBS, c.out());
  }
  add(NOM.ATTR_TIME_STAMP_REL, new Bytes().u32(n.relTime).out());
  add(NOM.ATTR_TIME_STAMP_ABS, Uint8Array.from(absTime(n.absMs ?? absMs)));
  const a = attrs.out();
  return new Bytes().u16(n.handle).u16(count).u16(a.length).raw(a).out();
}

/** A technical alarm of the alert monitor (DevAlarmEntry, with StrAlMonInfo). */
export interface TechAlarmOut {
  source: number;
  code: number;
  /** AlertType: 1/2/4 low/medium/high technical. */
  type: number;
  text: string;
}

function alarmList(alarms: readonly TechAlarmOut[]): Uint8Array {
  const list = new Bytes();
  for (const a of alarms) {
    const text = Uint8Array.from(Array.from(a.text.slice(0, 30)).flatMap((ch) => [0, ch.charCodeAt(0) & 0x7f]));
    const padded = text.length % 2 ? [...text, 0] : [...text];
    const info = new Bytes().u16(1).u32(0).u16(a.type).u16(0).u16(padded.length).raw(padded).out(); // al_inst_no, al_text, priority, flags, string
    list.u16(a.source).u16(a.code).u16(a.type).u16(0) /* alert state */.u16(NOM.MOC_VMO_METRIC_NU).u16(0).u16(0).u16(0x0201 /* GEN_ALMON_INFO */).u16(info.length).raw(info);
  }
  const l = list.out();
  return new Bytes().u16(alarms.length).u16(l.length).raw(l).out();
}

/** The body of a poll reply (ActionResult with PollMdibDataReplyExt) for the given observations. */
function pollReply(o: { invoke: number; pollNo: number; seq: number; relTime: number; absMs: number; objCode: number; attrGrp: number; observations: Uint8Array[]; linked: null | { state: number; count: number } }): Uint8Array {
  const obsBytes = new Bytes();
  for (const x of o.observations) obsBytes.raw(x);
  const obs = obsBytes.out();
  const contexts = o.observations.length ? new Bytes().u16(0).u16(o.observations.length).u16(obs.length).raw(obs).out() : new Uint8Array(0);
  const reply = new Bytes()
    .u16(o.pollNo).u16(o.seq).u32(o.relTime).raw(absTime(o.absMs))
    .u16(1).u16(o.objCode).u16(o.attrGrp)
    .u16(o.observations.length ? 1 : 0).u16(contexts.length).raw(contexts)
    .out();
  const result = new Bytes().u16(NOM.MOC_VMS_MDS).u16(0).u16(0).u16(NOM.ACT_POLL_MDIB_DATA_EXT).u16(reply.length).raw(reply).out();
  const head = new Bytes();
  if (o.linked) head.u8(o.linked.state).u8(o.linked.count);
  const ro = head.u16(o.invoke).u16(7).u16(result.length).raw(result).out();
  return dataMessage(o.linked ? 5 : 2, ro);
}

/**
 * The reply to a numerics poll. With `perMessage`, the observations are split into linked
 * results (RORLS first / not-first-not-last) ending with a plain result, as a monitor does for
 * long replies.
 */
export function numericsReply(o: { invoke: number; pollNo: number; seq: number; relTime: number; absMs: number; attrGrp: number; numerics: readonly NumericOut[]; perMessage?: number }): Uint8Array[] {
  const all = o.numerics.map((n) => observation(n, o.absMs));
  const per = o.perMessage ?? all.length;
  const chunks: Uint8Array[][] = [];
  for (let i = 0; i < all.length; i += Math.max(1, per)) chunks.push(all.slice(i, i + Math.max(1, per)));
  if (chunks.length === 0) chunks.push([]);
  return chunks.map((observations, i) => {
    const last = i === chunks.length - 1;
    const linked = last ? null : { state: i === 0 ? 1 : 2, count: i + 1 };
    return pollReply({ ...o, objCode: NOM.MOC_VMO_METRIC_NU, observations, linked });
  });
}

/** The reply to an alert monitor poll: the technical alarm list (and an empty physiological one). */
export function alertsReply(o: { invoke: number; pollNo: number; seq: number; relTime: number; absMs: number; attrGrp: number; alarms: readonly TechAlarmOut[] }): Uint8Array {
  const tech = alarmList(o.alarms);
  const phys = alarmList([]);
  const attrs = new Bytes().u16(NOM.ATTR_AL_MON_T_AL_LIST).u16(tech.length).raw(tech).u16(NOM.ATTR_AL_MON_P_AL_LIST).u16(phys.length).raw(phys).out();
  const obs = new Bytes().u16(1).u16(2).u16(attrs.length).raw(attrs).out();
  return pollReply({ ...o, objCode: NOM.MOC_VMO_AL_MON, observations: [obs], linked: null });
}

/** An empty reply for an object class the emulator does not model. */
export function emptyReply(o: { invoke: number; pollNo: number; seq: number; relTime: number; absMs: number; objCode: number; attrGrp: number }): Uint8Array {
  return pollReply({ ...o, observations: [], linked: null });
}

// ---- MIB / RS232 framing ----

const FCS_TAB: number[] = [];
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
  FCS_TAB.push(c);
}

/** RFC 1662 FCS over `b`. */
export function frameCheck(b: ArrayLike<number>): number {
  let f = 0xffff;
  for (let i = 0; i < b.length; i++) f = (f >>> 8) ^ FCS_TAB[(f ^ b[i]!) & 0xff]!;
  return (f ^ 0xffff) & 0xffff;
}

export function mibFrame(user: Uint8Array): Uint8Array {
  const body = [0x11, 0x01, (user.length >> 8) & 0xff, user.length & 0xff, ...user];
  const f = frameCheck(body);
  body.push(f & 0xff, f >> 8);
  const out = [0xc0];
  for (const x of body) {
    if (x === 0xc0 || x === 0xc1 || x === 0x7d) out.push(0x7d, x ^ 0x20);
    else out.push(x);
  }
  out.push(0xc1);
  return Uint8Array.from(out);
}

/** Byte stream -> user data of good frames (bad ones counted). */
export class MibReader {
  bad = 0;
  private cur: number[] | null = null;
  private esc = false;
  push(chunk: Uint8Array): Uint8Array[] {
    const got: Uint8Array[] = [];
    for (const x of chunk) {
      if (x === 0xc0) {
        this.cur = [];
        this.esc = false;
      } else if (this.cur === null) continue;
      else if (x === 0xc1) {
        const f = this.cur;
        this.cur = null;
        const len = f.length >= 4 ? (f[2]! << 8) | f[3]! : -1;
        if (this.esc || f.length < 6 || f[0] !== 0x11 || f[1] !== 0x01 || len !== f.length - 6 || frameCheck(f.slice(0, -2)) !== (f[f.length - 2]! | (f[f.length - 1]! << 8))) this.bad++;
        else got.push(Uint8Array.from(f.slice(4, -2)));
      } else if (x === 0x7d) this.esc = true;
      else {
        this.cur.push(this.esc ? x ^ 0x20 : x);
        this.esc = false;
        if (this.cur.length > 65_541) this.cur = null;
      }
    }
    return got;
  }
}
