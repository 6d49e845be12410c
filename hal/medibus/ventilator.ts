/**
 * `MedibusVentilator`: a Draeger ventilator over MEDIBUS, read-only. It identifies the device,
 * reads its settings and polls its measurements; it never changes a setting (`apply` always
 * rejects with `NotPermittedError`): maneuvers on these devices run in guided mode, where the
 * therapist turns the knob and the controller confirms through `readSettings()`,
 * `latestSettings()` and the measurements.
 *
 * It also polls the device's current alarms (codepage 1, 27H) with the measurements. An alarm
 * that becomes active while connected, at or above `alarmFaultPriority`, is a `device-alarm`
 * fault (the session aborts the maneuver and restores the baseline): the ventilator's own
 * alarm during a recruitment maneuver is taken as intolerance. Alarms already standing when
 * the link comes up are reported on `alarms$` only.
 */
import { BehaviorSubject, Subject, filter, type Observable, type Subscription } from 'rxjs';
import { every, type Clock } from '../../common/clock.js';
import type { MonitorSample, VentSettings } from '../../machines/types.js';
import { DisconnectedError, NotPermittedError, VentilatorError } from '../errors.js';
import { GuidedReadinessError, type GuidedReadinessCheck } from '../guided/ventilator.js';
import type { DeviceFault, DeviceInfo, Ventilator } from '../port.js';
import type { ByteTransport } from '../serial/transport.js';
import { codeTableFor, nameMatchesFamily, type MeasuredTarget, type MedibusCodeTable, type MedibusFamily, type SettingTarget } from './codeTable.js';
import { MedibusCommand } from './constants.js';
import type { DecodeResult } from './frame.js';
import { capabilitiesOf, mapMeasurements, mapSettings, type MedibusMeasurements, type MedibusValue } from './mapping.js';
import {
  MEASURED_VALUE_CHARS,
  SETTING_VALUE_CHARS,
  decodeAlarmRecords,
  decodeDataRecords,
  decodeDeviceId,
  decodeTextRecords,
  type MedibusAlarmRecord,
  type MedibusDataRecord,
} from './records.js';
import { MedibusSession, type MedibusSessionStats } from './session.js';
import type { MedibusTiming } from './timing.js';

export interface MedibusVentilatorOptions {
  transport: ByteTransport;
  clock: Clock;
  family: MedibusFamily;
  /** Measured-data polling interval (default 1000 ms). */
  pollMs?: number;
  /** Settings polling interval for `latestSettings()` / `settings$` (default 5000 ms; 0 turns it off). */
  settingsPollMs?: number;
  timing?: Partial<MedibusTiming>;
  /** A vendor's own code table (see `parseCodeTable`) instead of the built-in one for `family`. */
  codeTable?: MedibusCodeTable;
  /** Where `codeTable` came from, for messages (e.g. "file /etc/rmseq/primus.json"); default "built-in codes/<family>.json". */
  codeTableSource?: string;
  /** How long `checkGuidedReadiness()` waits for the values guided mode needs (default 10000 ms). */
  readinessTimeoutMs?: number;
  /** Refuse a device whose reported name does not belong to `family` (default true). */
  checkModel?: boolean;
  /**
   * Lowest MEDIBUS alarm priority (0-78, as the device sends it) that is a `device-alarm`
   * fault when it becomes active. Default 0: every new alarm, because the priority scale of
   * each device family is not verified here (docs/protocols/medibus.md); a vendor who has
   * verified it can raise this. `Infinity` reports alarms on `alarms$` only.
   */
  alarmFaultPriority?: number;
  /**
   * After a lost link, `connect()` again (ICC, identification, polling) every this many ms
   * until the link is back or the adapter is closed (default 2000; 0: never). MEDIBUS only
   * reads, so this is always safe, and the link is what confirms a restored baseline.
   */
  reconnectMs?: number;
}

/** The device's current alarms, as polled. */
export interface MedibusAlarms {
  t: number;
  alarms: MedibusAlarmRecord[];
}

/** Settings as last read, with every value the device reported. */
export interface MedibusSettingsReading {
  t: number;
  settings: VentSettings;
  values: MedibusValue[];
}

/**
 * @example
 * const vent = new MedibusVentilator({ transport: await SerialTransport.open(settings), clock: new WallClock(), family: 'evita' });
 * await vent.connect();
 * const baseline = await vent.readSettings();
 * vent.samples$.subscribe((s) => console.log(s.peepCmH2O, s.complianceMlPerCmH2O));
 */
/** Measured values guided mode needs from the device: the airway pressures the safety guards watch. */
export const GUIDED_MEASURED: readonly MeasuredTarget[] = ['peakCmH2O', 'peepCmH2O'];

const SETTING_LABEL: Record<SettingTarget, string> = {
  peepCmH2O: 'PEEP setting',
  pinspCmH2O: 'inspiratory pressure setting',
  pmaxCmH2O: 'pressure limit setting',
  rateBpm: 'rate setting',
  fio2: 'FiO2 setting',
  tidalVolumeMl: 'tidal volume setting',
};
const MEASURED_LABEL: Partial<Record<MeasuredTarget, string>> = { peakCmH2O: 'measured peak pressure', peepCmH2O: 'measured PEEP' };
const hexList = (codes: readonly number[]): string => codes.map((c) => `${c.toString(16).toUpperCase().padStart(2, '0')}H`).join(', ');

export class MedibusVentilator implements Ventilator, GuidedReadinessCheck {
  private readonly samplesSubject = new Subject<MonitorSample>();
  private readonly faultsSubject = new Subject<DeviceFault>();
  private readonly settingsSubject = new BehaviorSubject<MedibusSettingsReading | null>(null);
  private readonly measurementsSubject = new BehaviorSubject<MedibusMeasurements | null>(null);
  readonly samples$: Observable<MonitorSample> = this.samplesSubject.asObservable();
  readonly faults$: Observable<DeviceFault> = this.faultsSubject.asObservable();
  /** Each settings reading (polled every `settingsPollMs`, and on every `readSettings()`). */
  readonly settings$: Observable<MedibusSettingsReading> = this.settingsSubject.pipe(filter((r): r is MedibusSettingsReading => r !== null));
  /** Each measured-data poll, with every value the device reported. */
  readonly measurements$: Observable<MedibusMeasurements> = this.measurementsSubject.pipe(filter((m): m is MedibusMeasurements => m !== null));
  private readonly alarmsSubject = new BehaviorSubject<MedibusAlarms | null>(null);
  /** The current alarms at each poll. */
  readonly alarms$: Observable<MedibusAlarms> = this.alarmsSubject.pipe(filter((a): a is MedibusAlarms => a !== null));
  /** Alarm codes active at the last poll (null: not polled since the link came up). */
  private activeAlarms: Set<number> | null = null;
  private readonly alarmFaultPriority: number;
  readonly table: MedibusCodeTable;
  private readonly tableSource: string;
  private readonly readinessMs: number;
  private session: MedibusSession;
  private readonly timing: Partial<MedibusTiming> | undefined;
  private readonly clock: Clock;
  private readonly transport: ByteTransport;
  private readonly pollMs: number;
  private readonly settingsPollMs: number;
  private readonly checkModel: boolean;
  private readonly needsCp2: boolean;
  private info: DeviceInfo | null = null;
  private stops: Array<() => void> = [];
  private sub: Subscription | null = null;
  private polling = false;
  private closed = false;
  private readonly reconnectMs: number;
  private stopReconnect: (() => void) | null = null;
  private reconnecting = false;

  constructor(options: MedibusVentilatorOptions) {
    const { pollMs = 1000, settingsPollMs = 5000, reconnectMs = 2000 } = options;
    if (!Number.isFinite(reconnectMs) || (reconnectMs !== 0 && reconnectMs < 100)) {
      throw new TypeError(`reconnectMs must be 0 (never) or at least 100 ms (got ${String(reconnectMs)})`);
    }
    this.reconnectMs = reconnectMs;
    if (!Number.isFinite(pollMs) || pollMs < 100) throw new TypeError(`pollMs must be at least 100 ms (got ${String(pollMs)})`);
    if (!Number.isFinite(settingsPollMs) || (settingsPollMs !== 0 && settingsPollMs < 100)) {
      throw new TypeError(`settingsPollMs must be 0 (off) or at least 100 ms (got ${String(settingsPollMs)})`);
    }
    this.table = options.codeTable ?? codeTableFor(options.family);
    if (this.table.family !== options.family) throw new TypeError(`codeTable is for ${this.table.family}, family is ${options.family}`);
    this.tableSource = options.codeTableSource ?? (options.codeTable ? 'given by the caller' : `built-in codes/${options.family}.json`);
    const readinessMs = options.readinessTimeoutMs ?? 10_000;
    if (!Number.isFinite(readinessMs) || readinessMs < 0 || readinessMs > 600_000) throw new TypeError(`readinessTimeoutMs must be 0-600000 ms (got ${String(readinessMs)})`);
    this.readinessMs = readinessMs;
    this.clock = options.clock;
    this.transport = options.transport;
    this.pollMs = pollMs;
    this.settingsPollMs = settingsPollMs;
    this.checkModel = options.checkModel ?? true;
    this.alarmFaultPriority = options.alarmFaultPriority ?? 0;
    this.needsCp2 = this.table.measured.some((e) => e.codepage === 2 && e.maps !== undefined);
    this.timing = options.timing;
    this.session = this.newSession();
  }

  /** Handshake, device identification, then polling. Rejects with `DisconnectedError` if the device never answers ICC. */
  async connect(): Promise<void> {
    if (this.closed) throw new DisconnectedError('MedibusVentilator is closed');
    if (this.session.state === 'up') return;
    if (this.session.state === 'closed') this.session = this.newSession(); // after a failed identification
    await this.session.start();
    try {
      const id = ok(decodeDeviceId(await this.session.request(MedibusCommand.DEVICE_ID)), 'device identification');
      if (this.checkModel && !nameMatchesFamily(this.table, id.name)) {
        throw new VentilatorError(
          'identity-mismatch',
          `MEDIBUS device reports '${id.name}', which is not a ${this.table.title}; choose the right family or pass checkModel: false`,
        );
      }
      const [firmware, medibusVersion] = id.revision.split(':');
      this.info = {
        vendor: 'Draeger',
        model: id.name,
        id: id.idNumber,
        ...(firmware ? { firmware } : {}),
        protocol: medibusVersion ? `MEDIBUS ${medibusVersion}` : 'MEDIBUS',
        capabilities: capabilitiesOf(this.table),
      };
    } catch (e) {
      await this.session.close();
      throw e;
    }
    this.startPolling();
  }

  async identify(): Promise<DeviceInfo> {
    if (!this.info) throw new DisconnectedError('MedibusVentilator is not connected: call connect() first');
    return this.info;
  }

  /** Reads the settings in force now (29H) and the ventilation mode (text messages, 2AH). */
  async readSettings(): Promise<VentSettings> {
    const settingsPayload = await this.session.request(MedibusCommand.DEVICE_SETTINGS);
    const textPayload = await this.session.request(MedibusCommand.TEXT_MESSAGES);
    const records = ok(decodeDataRecords(settingsPayload, SETTING_VALUE_CHARS), 'device settings');
    const texts = ok(decodeTextRecords(textPayload), 'text messages');
    const r = mapSettings(this.table, records, texts);
    if (!r.ok) throw new VentilatorError('protocol', r.error);
    this.settingsSubject.next({ t: this.clock.now(), settings: r.settings, values: r.values });
    return r.settings;
  }

  /**
   * Whether the device reports what guided mode needs: every setting `mapSettings` needs for
   * the mode in force (29H, 2AH) and a measured peak pressure and PEEP (24H, 2BH where the
   * table uses codepage 2). Reads again every `pollMs` while something is missing (a value
   * may read "----" until the first breath), for at most `readinessTimeoutMs`; then rejects
   * with `GuidedReadinessError` naming each missing value, the codes looked for, the family and
   * the code table. `GuidedVentilator.connect()` calls this.
   */
  async checkGuidedReadiness(): Promise<void> {
    const deadline = this.clock.now() + this.readinessMs;
    for (;;) {
      const settingsPayload = await this.session.request(MedibusCommand.DEVICE_SETTINGS);
      const textPayload = await this.session.request(MedibusCommand.TEXT_MESSAGES);
      const records = ok(decodeDataRecords(settingsPayload, SETTING_VALUE_CHARS), 'device settings');
      const settings = mapSettings(this.table, records, ok(decodeTextRecords(textPayload), 'text messages'));
      const where = `${this.info?.model ?? 'MEDIBUS device'} (family ${this.table.family}, code table ${this.tableSource})`;
      if (!settings.ok && !settings.missing) throw new GuidedReadinessError([], `guided mode cannot start on the ${where}: ${settings.error}`);
      const pages: { 1?: MedibusDataRecord[]; 2?: MedibusDataRecord[] } = {};
      pages[1] = ok(decodeDataRecords(await this.session.request(MedibusCommand.MEASURED_CP1), MEASURED_VALUE_CHARS), 'measured data (codepage 1)');
      if (this.needsCp2) pages[2] = ok(decodeDataRecords(await this.session.request(MedibusCommand.MEASURED_CP2), MEASURED_VALUE_CHARS), 'measured data (codepage 2)');
      const measured = mapMeasurements(this.table, pages, this.clock.now());
      this.measurementsSubject.next(measured); // a poll like any other
      const missingSettings = settings.ok ? [] : (settings.missing ?? []);
      const missingMeasured = GUIDED_MEASURED.filter((t) => measured.sample[t as keyof typeof measured.sample] === undefined);
      if (settings.ok && missingMeasured.length === 0) {
        this.settingsSubject.next({ t: this.clock.now(), settings: settings.settings, values: settings.values });
        return;
      }
      if (this.clock.now() + this.pollMs > deadline) {
        const items = [
          ...missingSettings.map((t) => {
            const codes = this.table.settings.filter((e) => e.maps === t).map((e) => e.code);
            return `${SETTING_LABEL[t]} (${t}): ${codes.length ? `none of ${hexList(codes)} in the current settings (29H)` : 'the code table maps no code to it'}`;
          }),
          ...missingMeasured.map((t) => {
            const entries = this.table.measured.filter((e) => e.maps === t);
            const byPage = ([1, 2] as const).map((cp) => [cp, entries.filter((e) => e.codepage === cp).map((e) => e.code)] as const).filter(([, c]) => c.length);
            const looked = byPage.map(([cp, c]) => `${hexList(c)} (codepage ${cp}, ${cp === 1 ? '24H' : '2BH'})`).join(' or ');
            return `${MEASURED_LABEL[t] ?? t} (${t}): ${entries.length ? `none of ${looked} with a plausible number` : 'the code table maps no code to it'}`;
          }),
        ];
        const reported = (list: readonly { code: number }[]) => hexList([...new Set(list.map((v) => v.code))].sort((a, b) => a - b)) || 'none';
        throw new GuidedReadinessError(
          [...missingSettings.map((t) => `settings.${t}`), ...missingMeasured.map((t) => `measured.${t}`)],
          `guided mode cannot start: the ${where} did not report, within ${Math.round(this.readinessMs / 1000)} s: ${items.join('; ')}; ` +
            `settings reported: ${reported(settings.values)}; measured values reported: ${reported(measured.values)}` +
            `${measured.implausible.length ? ` (left out: ${measured.implausible.join('; ')})` : ''}. ` +
            `Check the codes against the device's MEDIBUS document and give a code table that matches it (rmseq --medibus-codes FILE).`,
        );
      }
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.pollMs));
    }
  }

  /** Always rejects: MEDIBUS is read-only. Nothing is sent. */
  apply(_change: Partial<VentSettings>): Promise<VentSettings> {
    return Promise.reject(
      new NotPermittedError('MEDIBUS devices cannot be set remotely: run the maneuver in guided mode (the therapist sets the device, the controller confirms by reading it)'),
    );
  }

  /** The settings as last read (by polling or `readSettings()`), or null before the first reading. */
  latestSettings(): VentSettings | null {
    return this.settingsSubject.value?.settings ?? null;
  }

  /** The last measured-data poll, or null before the first one. */
  latestMeasurements(): MedibusMeasurements | null {
    return this.measurementsSubject.value;
  }

  /** Link counters (commands, keep-alives, NAKs, dropped frames). */
  stats(): MedibusSessionStats {
    return this.session.stats();
  }

  /** Stops polling, sends STOP, clears every timer, completes the streams and closes the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReconnect?.();
    this.stopReconnect = null;
    this.stopPolling();
    await this.session.close();
    this.sub?.unsubscribe();
    this.sub = null;
    await this.transport.close();
    this.samplesSubject.complete();
    this.faultsSubject.complete();
    this.settingsSubject.complete();
    this.measurementsSubject.complete();
    this.alarmsSubject.complete();
  }

  private newSession(): MedibusSession {
    const session = new MedibusSession({ transport: this.transport, clock: this.clock, ...(this.timing ? { timing: this.timing } : {}) });
    this.sub?.unsubscribe();
    this.sub = session.events$.subscribe((ev) => {
      if (ev.type !== 'lost') return;
      this.stopPolling();
      this.faultsSubject.next({ t: ev.t, code: 'link-lost', message: ev.message });
      this.reconnectLater();
    });
    return session;
  }

  /** Tries `connect()` every `reconnectMs` until the link is back (one attempt in flight at a time). */
  private reconnectLater(): void {
    if (this.closed || this.reconnectMs <= 0 || this.stopReconnect) return;
    this.stopReconnect = every(this.clock, this.reconnectMs, () => {
      if (this.reconnecting || this.closed) return;
      this.reconnecting = true;
      this.connect().then(
        () => {
          this.reconnecting = false;
          this.stopReconnect?.();
          this.stopReconnect = null;
        },
        () => {
          this.reconnecting = false;
        },
      );
    });
  }

  private startPolling(): void {
    this.stopPolling();
    this.activeAlarms = null; // what stands when the link comes up is the baseline, not news
    this.stops.push(every(this.clock, this.pollMs, () => void this.pollMeasurements()));
    if (this.settingsPollMs > 0) this.stops.push(every(this.clock, this.settingsPollMs, () => void this.readSettings().catch(() => undefined)));
  }

  private stopPolling(): void {
    for (const stop of this.stops) stop();
    this.stops = [];
  }

  private async pollMeasurements(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const pages: { 1?: MedibusDataRecord[]; 2?: MedibusDataRecord[] } = {};
      pages[1] = ok(decodeDataRecords(await this.session.request(MedibusCommand.MEASURED_CP1), MEASURED_VALUE_CHARS), 'measured data (codepage 1)');
      if (this.needsCp2) {
        pages[2] = ok(decodeDataRecords(await this.session.request(MedibusCommand.MEASURED_CP2), MEASURED_VALUE_CHARS), 'measured data (codepage 2)');
      }
      const m = mapMeasurements(this.table, pages, this.clock.now());
      this.measurementsSubject.next(m);
      if (Object.keys(m.sample).length > 2) this.samplesSubject.next(m.sample);
      this.onAlarms(ok(decodeAlarmRecords(await this.session.request(MedibusCommand.ALARMS_CP1)), 'alarms (codepage 1)'));
    } catch {
      // A failed poll is not a fault by itself: link loss arrives through the session's `lost` event.
    } finally {
      this.polling = false;
    }
  }

  /** Publishes the alarms; those that became active since the last poll, at or above the priority, are faults. */
  private onAlarms(alarms: MedibusAlarmRecord[]): void {
    const t = this.clock.now();
    this.alarmsSubject.next({ t, alarms });
    const before = this.activeAlarms;
    this.activeAlarms = new Set(alarms.map((a) => a.code));
    if (before === null) return;
    for (const a of alarms) {
      if (before.has(a.code) || a.priority < this.alarmFaultPriority) continue;
      const model = this.info?.model ?? 'MEDIBUS device';
      this.faultsSubject.next({ t, code: 'device-alarm', message: `${model} alarm ${a.code.toString(16).toUpperCase().padStart(2, '0')}H "${a.phrase}" (priority ${a.priority})` });
    }
  }
}

function ok<T>(r: DecodeResult<T>, what: string): T {
  if (!r.ok) throw new VentilatorError('protocol', `malformed ${what}: ${r.error}`);
  return r.value;
}

