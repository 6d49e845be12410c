/**
 * A minimal scripted MakAir for adapter tests: decodes control frames, answers with control
 * acks and settings reports built by the production encoders, and lets a test misbehave on
 * purpose (lose frames, keep other values, never report a change, corrupt a frame).
 */
import {
  ControlFrameParser,
  ControlSetting,
  encodeTelemetryFrame,
  firmwareRoundCmH2O,
  type AlarmTrap,
  type ControlMessage,
  type MakAirVentilationMode,
  type SettingsReport,
  type TelemetryMessage,
} from '../../../hal/makair/index.js';
import { HEADER, SETTINGS, ackMessage, alarmTrap, bootMessage, dataMessage, stateMessage, stoppedMessage } from './fixtures.js';

/** How the device talks: send bytes to the host, and receive what the host writes. */
export interface DeviceIo {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
}

const MODES: readonly MakAirVentilationMode[] = ['PC_CMV', 'PC_AC', 'VC_CMV', 'PC_VSAI', 'VC_AC'];

export class ScriptedDevice {
  /** Every control message the device decoded (including ones it then ignored), heartbeats apart. */
  readonly received: ControlMessage[] = [];
  /** Heartbeat frames (setting 0): the firmware does not acknowledge them. */
  heartbeats = 0;
  readonly parser = new ControlFrameParser();
  settings: SettingsReport = { ...SETTINGS };
  /** Number of upcoming control frames to ignore as if lost on the wire. */
  loseFrames = 0;
  /** Answer no control frame at all. */
  silentToControl = false;
  /** Put new values into settings reports (false: acks them but the reports never change). */
  reportsChanges = true;
  /** Send a state report right after each ack. */
  stateAfterAck = true;
  /** The value the device keeps for a setting (default: what it was sent). */
  keep: (setting: number, value: number) => number = (_s, v) => v;
  private systickUs = 1_000_000;

  constructor(private readonly io: DeviceIo) {
    io.onData((bytes) => {
      for (const msg of this.parser.push(bytes)) this.onControl(msg);
    });
  }

  send(msg: TelemetryMessage): void {
    this.io.write(encodeTelemetryFrame(msg));
  }

  sendRaw(bytes: Uint8Array): void {
    this.io.write(bytes);
  }

  sendState(): void {
    this.send(stateMessage({ ...this.settings, systickUs: this.tick() }));
  }

  sendStopped(): void {
    this.send(stoppedMessage({ ...this.settings, systickUs: this.tick() }));
  }

  sendData(): void {
    this.send(dataMessage({ systickUs: this.tick() }));
  }

  sendBoot(): void {
    this.send(bootMessage({ systickUs: this.tick() }));
  }

  sendAlarm(over: Partial<AlarmTrap> = {}): void {
    this.send(alarmTrap({ systickUs: this.tick(), ...over }));
  }

  private onControl(msg: ControlMessage): void {
    if (msg.setting === ControlSetting.Heartbeat) {
      this.heartbeats += 1;
      return;
    }
    this.received.push(msg);
    if (this.silentToControl) return;
    if (this.loseFrames > 0) {
      this.loseFrames -= 1;
      return;
    }
    const kept = this.keep(msg.setting, msg.value);
    if (this.reportsChanges) this.store(msg.setting, kept);
    this.send({ ...ackMessage(msg.setting as never, kept), ...HEADER, systickUs: this.tick() });
    if (this.stateAfterAck) this.sendState();
  }

  private store(setting: number, value: number): void {
    const s = this.settings;
    switch (setting) {
      case ControlSetting.VentilationMode:
        s.ventilationMode = MODES[value - 1] ?? s.ventilationMode;
        break;
      case ControlSetting.PlateauPressure:
        s.plateauCommandCmH2O = firmwareRoundCmH2O(value);
        break;
      case ControlSetting.PEEP:
        s.peepCommandCmH2O = firmwareRoundCmH2O(value);
        break;
      case ControlSetting.CyclesPerMinute:
        s.cpmCommand = value;
        break;
      case ControlSetting.TargetTidalVolume:
        s.targetTidalVolumeMl = value;
        break;
      case ControlSetting.PeakPressureAlarmThreshold:
        s.peakPressureAlarmThresholdMmH2O = value;
        break;
    }
  }

  private tick(): number {
    this.systickUs += 10_000;
    return this.systickUs;
  }
}

/** Lets queued microtasks and I/O callbacks run (no wall-clock wait). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
