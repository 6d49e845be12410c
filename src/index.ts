/**
 * rm-sequencer: the application API. Open a session on the simulator or on a ventilator,
 * run it, journal it, report it. The pieces below it have their own entries:
 * rm-sequencer/machines (the maneuver machines), /hal (ports), /hal/makair, /hal/medibus,
 * /hal/guided, /hal/simulated, /hal/serial, /sim (the simulated patient), /emulators,
 * /conformance and /testing (the vendor kit). This entry loads the serial port binding.
 *
 * @example
 * import { openSimulatedSession, runSession, VirtualClock } from 'rm-sequencer';
 * import { defaultProtocol } from 'rm-sequencer/machines';
 * import { BUILTIN_PROFILES } from 'rm-sequencer/sim';
 * const { session } = await openSimulatedSession({
 *   maneuver: 'sustained-inflation', protocol: defaultProtocol('sustained-inflation'), profile: BUILTIN_PROFILES['moderate-ards'], seed: 1,
 *   clock: new VirtualClock(0), baseline: { mode: 'VC', peepCmH2O: 10, peakCmH2O: 35, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 },
 * });
 * const summary = await runSession(session);
 * console.log(summary.outcome);
 */
export { Session, assertPlanFitsDevice, type SessionOptions, type OperatorAction } from './runner/session.js';
export { runSession } from './runner/drive.js';
export { openSimulatedSession, guidedProtocol, type SimulatedSession, type SimulatedSessionOptions } from './runner/simulated.js';
export {
  openDeviceSession,
  openDeviceVentilator,
  openLineVitals,
  defaultLineSettings,
  explainPortError,
  DeviceOpenError,
  DeviceSpecSchema,
  type DeviceSpec,
  type DeviceOpenStage,
  type DeviceSession,
  type DeviceSessionOptions,
  type DeviceVentilator,
  type LineSettings,
} from './runner/device.js';
export {
  simulatedSource,
  deviceSource,
  journaled,
  journalSession,
  WAITING_POLICY,
  type SessionSource,
  type OpenedSession,
  type SimulatedSourceOptions,
  type DeviceSourceOptions,
} from './runner/source.js';
export { openVitals, announceMonitor, describeVitalsTarget, type VitalsTarget } from './runner/vitals.js';
export { guardJournal, describeJournalFailure } from './runner/journalGuard.js';
export { describeBaselineVitals, type SessionSummary, type TelemetryEvent } from './runner/telemetry.js';
export { Journal, JOURNAL_FORMAT, type JournalOptions, type JournalFailure, type SessionHeader } from './journal/journal.js';
export { JournalError, verifyChain, type ChainReport } from './journal/chain.js';
export { readJournal, integrityOf, type ParsedJournal, type JournalLine } from './journal/read.js';
export { replayJournal, type ReplayResult } from './journal/replay.js';
export { renderReport } from './report/html.js';
export { VirtualClock, WallClock, type Clock } from '../common/clock.js';
