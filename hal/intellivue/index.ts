/**
 * Philips IntelliVue Data Export (LAN/UDP and RS232/MIB): a `VitalsSource` that associates
 * with the monitor, polls its numerics and INOPs, and marks every value the monitor does not
 * vouch for as invalid. See docs/protocols/intellivue.md.
 */
export { IntelliVueVitalsSource, type IntelliVueOptions, type IntelliVueStats, type IntelliVueState, type IntelliVueEvent } from './host.js';
export { openIntelliVue, parseIntelliVueSpec, describeIntelliVueSpec, MIB_BAUD, type IntelliVueSpec } from './open.js';
export { UdpMessageTransport, MibMessageTransport, type MessageTransport } from './transport.js';
export { encodeMibFrame, MibDecoder, fcs16, type MibDecoderStats } from './mib.js';
export { decodeFloat, encodeFloat, type DecodedFloat, type FloatSpecial } from './float.js';
export { decodeDataMessage, encodeExtPollRequest, encodeMdsCreateResult, type DataMessage, type PollReply, type ObservationPoll, type Attribute, type ManagedObject } from './messages.js';
export { classifySession, encodeAssociationRequest, encodeReleaseRequest, encodeUserInfo, DEFAULT_POLL_PROFILE, type PollProfile, type SessionMessage } from './session.js';
export { numericsOf, technicalAlarmsOf, decodeAbsoluteTime, type NumericValue, type TechnicalAlarm } from './observations.js';
export { mapReadings, inopsByField, describeState, type PollReadings } from './mapping.js';
export { IntelliVueDecodeError } from './reader.js';
export * as IntelliVueIds from './constants.js';
