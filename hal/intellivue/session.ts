/**
 * The session and presentation layer of Data Export: association request (AARQ), the monitor's
 * answer (accept / refuse), release and abort. The guide gives these as fixed ASN.1 encodings
 * around one variable part, the MDSE user information (protocol version, nomenclature,
 * poll profile); here the fixed parts are constants and the user information is built from
 * its fields, so the request can be checked against the guide's example bytes.
 */
import { ATTR, SPDU } from './constants.js';
import { IntelliVueDecodeError, Reader, Writer } from './reader.js';

/** Session data of the connect SPDU (fixed in the guide). */
const SESSION_DATA = [0x05, 0x08, 0x13, 0x01, 0x00, 0x16, 0x01, 0x02, 0x80, 0x00, 0x14, 0x02, 0x00, 0x02];

/** The presentation/ACSE encoding before the user information (fixed in the guide; indefinite lengths). */
const AARQ_PRESENTATION_PREFIX = [
  0x31, 0x80, 0xa0, 0x80, 0x80, 0x01, 0x01, 0x00, 0x00, 0xa2, 0x80, 0xa0, 0x03, 0x00, 0x00, 0x01, 0xa4, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x06, 0x04,
  0x52, 0x01, 0x00, 0x01, 0x30, 0x80, 0x06, 0x02, 0x51, 0x01, 0x00, 0x00, 0x00, 0x00, 0x30, 0x80, 0x02, 0x01, 0x02, 0x06, 0x0c, 0x2a, 0x86, 0x48, 0xce,
  0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x30, 0x80, 0x06, 0x0c, 0x2a, 0x86, 0x48, 0xce, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x60, 0x80, 0xa1, 0x80, 0x06, 0x0c, 0x2a, 0x86, 0x48, 0xce, 0x14,
  0x02, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0xbe, 0x80, 0x28, 0x80, 0x06, 0x0c, 0x2a, 0x86, 0x48, 0xce, 0x14, 0x02, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x01, 0x02, 0x01, 0x02,
];

/** End-of-contents octets closing the indefinite-length encodings of the prefix. */
const AARQ_PRESENTATION_TRAILER = new Array<number>(16).fill(0);

/** Release request and abort, fixed in the guide. */
const RELEASE_REQUEST = [0x09, 0x18, 0xc1, 0x16, 0x61, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x62, 0x80, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

export interface PollProfile {
  /** Shortest poll period the client asks for, ms (RelativeTime on the wire, 1/8 ms). */
  minPollPeriodMs: number;
  maxMtuRx: number;
  maxMtuTx: number;
  /** Poll profile extension options (POLL_EXT_*; default: numerics at a 1-s period and enumerations). */
  extOptions: number;
}

export const DEFAULT_POLL_PROFILE: PollProfile = { minPollPeriodMs: 312.5, maxMtuRx: 2500, maxMtuTx: 1000, extOptions: 0x8c000000 };

/** The session length indicator: one byte below 255, else 0xFF and two bytes. */
export function encodeLI(n: number, w: Writer): void {
  if (n < 0xff) w.u8(n);
  else w.u8(0xff).u16(n);
}

export function readLI(r: Reader): number {
  const b = r.u8('length indicator');
  return b === 0xff ? r.u16('length indicator') : b;
}

/** The MDSE user information of the client's association request. */
export function encodeUserInfo(p: PollProfile = DEFAULT_POLL_PROFILE): Uint8Array {
  const w = new Writer();
  w.u32(0x80000000); // protocol version: MDDL_VERSION1
  w.u32(0x40000000); // nomenclature version: NOMEN_VERSION
  w.u32(0); // functional units
  w.u32(0x80000000); // system type: SYST_CLIENT
  w.u32(0x20000000); // startup mode: COLD_START
  w.u16(0).u16(0); // option list: empty
  // Supported profiles: one attribute, NOM_POLL_PROFILE_SUPPORT (1), with its extension.
  const profile = new Writer();
  profile.u32(0x80000000); // poll profile revision
  profile.u32(Math.round(p.minPollPeriodMs * 8));
  profile.u32(p.maxMtuRx).u32(p.maxMtuTx).u32(0xffffffff); // max bandwidth: no limit
  profile.u32(0x60000000); // options: P_OPT_DYN_CREATE_OBJECTS | P_OPT_DYN_DELETE_OBJECTS
  // Optional packages: one attribute, the poll profile extension (options, then an empty attribute list).
  profile.u16(1).u16(12).u16(ATTR.pollProfileExt).u16(8).u32(p.extOptions).u16(0).u16(0);
  const body = profile.done();
  w.u16(1).u16(body.length + 4).u16(1).u16(body.length).bytes(body);
  return w.done();
}

/**
 * The association request (CN SPDU).
 *
 * @example
 * const aarq = encodeAssociationRequest(); // 0x0D 0xEC ... (238 bytes with the default profile)
 */
export function encodeAssociationRequest(p: PollProfile = DEFAULT_POLL_PROFILE): Uint8Array {
  const user = encodeUserInfo(p);
  const pres = new Writer().bytes(AARQ_PRESENTATION_PREFIX).u8(0x81);
  encodeLI(user.length, pres);
  pres.bytes(user).bytes(AARQ_PRESENTATION_TRAILER);
  const presBytes = pres.done();
  const inner = new Writer().bytes(SESSION_DATA).u8(0xc1);
  encodeLI(presBytes.length, inner);
  inner.bytes(presBytes);
  const innerBytes = inner.done();
  const w = new Writer().u8(SPDU.connect);
  encodeLI(innerBytes.length, w);
  return w.bytes(innerBytes).done();
}

export function encodeReleaseRequest(): Uint8Array {
  return Uint8Array.from(RELEASE_REQUEST);
}

export type SessionMessage =
  | { kind: 'accept' }
  | { kind: 'refuse' }
  | { kind: 'release-request' }
  | { kind: 'release-response' }
  | { kind: 'abort' }
  | { kind: 'data' };

/**
 * Classifies a message by its session header and checks that its length indicator fits the
 * bytes received. Throws `IntelliVueDecodeError` for anything else.
 */
export function classifySession(msg: Uint8Array): SessionMessage {
  if (msg.length < 2) throw new IntelliVueDecodeError(`message of ${msg.length} byte(s): too short for a session header`);
  const first = msg[0]!;
  if (first === SPDU.data) {
    if (msg.length < 4 || msg[1] !== 0x00 || msg[2] !== 0x00 || msg[3] !== 0x02) throw new IntelliVueDecodeError('data message without the session/presentation header E1 00 00 02');
    return { kind: 'data' };
  }
  const kinds: Record<number, SessionMessage['kind']> = {
    [SPDU.accept]: 'accept',
    [SPDU.refuse]: 'refuse',
    [SPDU.finish]: 'release-request',
    [SPDU.disconnect]: 'release-response',
    [SPDU.abort]: 'abort',
  };
  const kind = kinds[first];
  if (!kind) throw new IntelliVueDecodeError(`unknown session header 0x${first.toString(16).padStart(2, '0')}`);
  const r = new Reader(msg, 1);
  const li = readLI(r);
  if (li > r.remaining) throw new IntelliVueDecodeError(`session length ${li} exceeds the ${r.remaining} byte(s) received`);
  return { kind };
}
