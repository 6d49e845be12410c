/**
 * Driving a session to its end. On a virtual clock the loop runs timers back to back (a
 * 25-minute maneuver in milliseconds), yielding to the event loop only while the HAL has a
 * command in flight and every few thousand timers (so signals and I/O get through). On the
 * wall clock it just waits.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { VirtualClock } from '../../common/clock.js';
import type { Session } from './session.js';
import type { SessionSummary } from './telemetry.js';

export async function runSession(session: Session): Promise<SessionSummary> {
  session.begin();
  const clock = session.clock;
  if (!(clock instanceof VirtualClock)) return session.done;
  let n = 0;
  while (!session.isFinished) {
    if (session.inflight > 0) await yieldToEventLoop();
    if (session.isFinished) break;
    if (!clock.runNext()) {
      if (session.inflight > 0) continue;
      throw new Error(`session stalled in ${session.state}: no timer scheduled and nothing in flight`);
    }
    if (++n % 4096 === 0) await yieldToEventLoop();
  }
  return session.done;
}
