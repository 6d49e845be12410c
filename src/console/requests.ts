/**
 * Browser -> server messages, validated with zod before anything else looks at them.
 * Control messages (they change the session) carry the session token; `hello` and
 * `preview` change nothing and may come without one.
 */
import { z } from 'zod';
import { CHECKLIST_IDS } from '../../machines/checklist.js';
import { MANEUVERS, SCREENS } from '../../machines/config/protocols.js';
import { bounded } from '../../common/validation.js';

/** A request may carry an id; replies to it echo the id. */
const id = z.union([z.string().max(64), z.number().int()]).optional();
const token = z.string().min(1).max(256);
/** Protocol overrides: checked field by field against ProtocolSchema when used. */
const protocolOverrides = z.record(z.string(), z.unknown()).optional();

/** The name or initials of the person who acknowledges a FAILSAFE (1-80 printable characters). */
export const ACK_BY = z
  .string({ error: 'who acknowledges: your name or initials (text, 1-80 characters)' })
  .trim()
  .min(1, 'who acknowledges: your name or initials (1-80 characters), not empty')
  .max(80, 'who acknowledges: at most 80 characters')
  .regex(/^[^\p{Cc}]+$/u, 'who acknowledges: no control characters');

/** The operator checklist confirmed with a start: which items (ids), and who (optional, 1-80 printable characters). */
export const StartChecklistSchema = z
  .object({
    items: z.array(z.enum(CHECKLIST_IDS as [string, ...string[]], { error: `checklist item: one of ${CHECKLIST_IDS.join(', ')}` })).max(CHECKLIST_IDS.length * 2),
    by: z
      .string({ error: 'who confirms the checklist: your name or initials (text, 1-80 characters)' })
      .trim()
      .min(1, 'who confirms the checklist: not empty (or leave it out)')
      .max(80, 'who confirms the checklist: at most 80 characters')
      .regex(/^[^\p{Cc}]+$/u, 'who confirms the checklist: no control characters')
      .optional(),
  })
  .strict();

/** What a session can run from the console: the maneuvers and the recruitability screen. */
const runnable = z.enum([...MANEUVERS, ...SCREENS]);

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), id, token: token.optional() }).strict(),
  z.object({ type: z.literal('preview'), id, maneuver: runnable, protocol: protocolOverrides }).strict(),
  // screenFirst (staircase only): the recruitability screen first, its policy applied to the
  // staircase (`rmseq run staircase --screen`); screenProtocol: overrides of the screen's protocol.
  z
    .object({ type: z.literal('start'), id, token, maneuver: runnable, protocol: protocolOverrides, checklist: StartChecklistSchema.optional(), screenFirst: z.boolean().optional(), screenProtocol: protocolOverrides })
    .strict(),
  // The one-breath test done by hand: its readings (checked against ReleaseReadingsSchema, as
  // `rmseq screen --readings`), with the screen protocol's threshold and policy (overrides).
  z.object({ type: z.literal('screen-readings'), id, token, readings: z.record(z.string(), z.unknown()), screenProtocol: protocolOverrides }).strict(),
  z.object({ type: z.literal('confirm'), id, token, promptId: z.number().int().nonnegative().optional() }).strict(),
  z.object({ type: z.literal('abort'), id, token, note: z.string().max(200).optional() }).strict(),
  // Who acknowledges the FAILSAFE alarm: journaled with the acknowledgement, as on the CLI.
  z.object({ type: z.literal('ack'), id, token, by: ACK_BY }).strict(),
  z.object({ type: z.literal('repeat'), id, token }).strict(),
  z.object({ type: z.literal('end'), id, token }).strict(),
  // The operator's arterial PaO2 and the displayed mean airway pressure, for the rescue-therapy advisor (advisory only).
  z.object({ type: z.literal('oxygenation'), id, token, pao2MmHg: bounded(20, 700, 'mmHg').optional(), mawpCmH2O: bounded(1, 60, 'cmH2O').optional() }).strict(),
]);

export type ClientMessage = z.output<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export type ControlMessage = Extract<ClientMessage, { token: string }>;

export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ['hello', 'preview', 'start', 'confirm', 'abort', 'ack', 'repeat', 'end', 'oxygenation', 'screen-readings'];
export const CONTROL_TYPES: readonly ClientMessageType[] = ['start', 'confirm', 'abort', 'ack', 'repeat', 'end', 'oxygenation', 'screen-readings'];

/** Messages longer than this (UTF-8 bytes) are refused with an error; the socket stays open. */
export const MAX_MESSAGE_BYTES = 8 * 1024;
/** Frames longer than this close the socket (WebSocket close 1009) before they are even buffered. */
export const MAX_FRAME_BYTES = 64 * 1024;
