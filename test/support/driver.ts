/**
 * A scripted, synchronous harness for maneuver machines: no HAL, no runner. It answers
 * every command (or lets a test answer), feeds samples and ticks on a virtual timeline, and
 * keeps the emitted commands for assertions.
 */
import { createActor, type Actor } from 'xstate';
import {
  checkSample,
  defaultProtocol,
  machineFor,
  ProtocolSchema,
  stateName,
  type ApplyCommand,
  type RunnableKind,
  type ManeuverMachine,
  type MonitorSample,
  type Protocol,
  type PatientSize,
  type ProtocolInput,
  type VentSettings,
} from '../../machines/index.js';

export const BASELINE: VentSettings = { mode: 'VC', peepCmH2O: 10, peakCmH2O: 30, rateBpm: 20, fio2: 0.6, tidalVolumeMl: 420 };
export const NORMAL_VITALS = { spo2Pct: 94, mapMmHg: 78, sbpMmHg: 115, hrBpm: 90 } as const;

export type Vitals = Partial<Omit<MonitorSample, 't' | 'source'>>;

export interface DriverOptions {
  protocol?: Partial<ProtocolInput> & { maneuver?: RunnableKind };
  baseline?: VentSettings;
  /** Answer commands automatically with a matching readback (default true). */
  autoApply?: boolean;
  pressureToleranceCmH2O?: number;
  /** Height and sex (default 174.4 cm male: PBW 70 kg); null: none given. */
  patient?: PatientSize | null;
  /** The operator checklist items confirmed (absent: the checklist is not required). */
  checklist?: readonly string[];
}

export const PATIENT: PatientSize = { heightCm: 174.4, sex: 'male' };

export class Driver {
  readonly actor: Actor<ManeuverMachine>;
  readonly commands: ApplyCommand[] = [];
  readonly protocol: Protocol;
  now = 0;
  autoApply: boolean;
  /** Vitals the next samples carry (a test changes them to script the patient). */
  vitals: Vitals = { ...NORMAL_VITALS };

  constructor(kind: RunnableKind, options: DriverOptions = {}) {
    this.protocol = options.protocol ? ProtocolSchema.parse({ maneuver: kind, ...options.protocol }) : defaultProtocol(kind);
    this.autoApply = options.autoApply ?? true;
    this.actor = createActor(machineFor(kind), {
      input: {
        protocol: this.protocol,
        baseline: options.baseline ?? BASELINE,
        ...(options.patient === null ? {} : { patient: options.patient ?? PATIENT }),
        ...(options.pressureToleranceCmH2O !== undefined ? { pressureToleranceCmH2O: options.pressureToleranceCmH2O } : {}),
        ...(options.checklist !== undefined ? { checklist: options.checklist } : {}),
      },
    });
    this.actor.on('command.apply', (cmd) => {
      this.commands.push(cmd);
      if (this.autoApply) queueMicrotask(() => this.actor.send({ type: 'APPLIED', now: this.now, seq: cmd.seq, readback: cmd.settings }));
    });
    this.actor.start();
  }

  get snapshot() {
    return this.actor.getSnapshot();
  }
  get state(): string {
    return stateName(this.snapshot.value);
  }
  get context() {
    return this.snapshot.context;
  }
  get lastCommand(): ApplyCommand | undefined {
    return this.commands[this.commands.length - 1];
  }

  /** What a faithful ventilator measures at the settings last verified (a test overrides it with `extra`). */
  delivered(): Vitals {
    const v = this.context.verified ?? this.context.baseline;
    // VC: a lung of 52.5 mL/cmH2O static compliance (plateau PEEP + 8 at 420 mL).
    if (v.mode === 'VC') return { peepCmH2O: v.peepCmH2O, plateauCmH2O: Math.round((v.peepCmH2O + (v.tidalVolumeMl ?? 420) / 52.5) * 10) / 10, peakCmH2O: Math.min(v.peakCmH2O, v.peepCmH2O + 15), ...(v.tidalVolumeMl !== undefined ? { tidalVolumeMl: v.tidalVolumeMl } : {}) };
    return { peepCmH2O: v.peepCmH2O, peakCmH2O: v.mode === 'CPAP' ? v.peepCmH2O : v.peakCmH2O };
  }

  /** Sends a sample through the edge check (`checkSample`), received now; implausible values are dropped there. */
  sample(extra: Vitals = {}): void {
    const r = checkSample({ t: this.now, source: 'test', ...this.delivered(), ...this.vitals, ...extra }, this.now, this.protocol.safety.maxFutureSkewS * 1000);
    if (r.ok) this.actor.send({ type: 'SAMPLE', now: this.now, sample: r.sample });
  }
  tick(): void {
    this.actor.send({ type: 'TICK', now: this.now });
  }
  /** Fills the baseline window with the fewest samples it needs (all at `now`), then sends START. */
  start(): void {
    for (let i = 0; i < this.protocol.safety.baselineMinSamples; i++) this.sample();
    this.actor.send({ type: 'START', now: this.now });
  }

  /**
   * Advances the timeline by `ms` in `stepMs` steps, sending a sample and a tick each step
   * and letting automatic readbacks arrive. Stops early when `until` holds.
   */
  async run(ms: number, opts: { stepMs?: number; until?: (d: Driver) => boolean } = {}): Promise<void> {
    const step = opts.stepMs ?? 1000;
    const end = this.now + ms;
    await flush();
    while (this.now < end) {
      if (opts.until?.(this)) return;
      this.now += step;
      this.sample();
      this.tick();
      await flush();
      if (this.snapshot.status === 'done') return;
    }
  }

  /** Runs until `state` starts with `prefix` (or the time budget ends). */
  async runUntilState(prefix: string, budgetMs = 60 * 60_000): Promise<void> {
    await this.run(budgetMs, { until: (d) => d.state.startsWith(prefix) });
  }
}

/** Lets queued microtasks (automatic readbacks) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
}
