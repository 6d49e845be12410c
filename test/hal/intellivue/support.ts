/**
 * An in-process rig: the host (`IntelliVueVitalsSource`) and the emulated monitor joined by a
 * message pipe (delivery on the microtask queue, as a socket would), on a virtual clock.
 */
import { Subject } from 'rxjs';
import { VirtualClock } from '../../../common/clock.js';
import type { MonitorSample } from '../../../machines/types.js';
import type { DeviceFault } from '../../../hal/port.js';
import { SimWorld } from '../../../hal/simulated/world.js';
import { IntelliVueVitalsSource, type IntelliVueOptions, type MessageTransport } from '../../../hal/intellivue/index.js';
import { IntelliVueEmulator } from '../../../emulators/intellivue/index.js';
import { BUILTIN_PROFILES } from '../../../sim/index.js';

export async function flush(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}

/** A host-side transport whose sends go to `deliver`, and whose incoming messages the test pushes. */
export class PipeTransport implements MessageTransport {
  readonly incoming = new Subject<Uint8Array>();
  readonly lost = new Subject<Error>();
  readonly messages$ = this.incoming.asObservable();
  readonly lost$ = this.lost.asObservable();
  readonly description = 'pipe';
  readonly dropped = 0;
  readonly sent: Uint8Array[] = [];
  closed = false;
  constructor(private readonly deliver: (m: Uint8Array) => void) {}
  async send(m: Uint8Array): Promise<void> {
    this.sent.push(m);
    queueMicrotask(() => this.deliver(m));
  }
  async close(): Promise<void> {
    this.closed = true;
    this.incoming.complete();
  }
}

export function rig(options: Partial<Omit<IntelliVueOptions, 'transport' | 'clock'>> & { numericsPerMessage?: number } = {}) {
  const clock = new VirtualClock(1_700_000_000_000);
  const world = new SimWorld({ profile: BUILTIN_PROFILES['moderate-ards'], seed: 3, clock, settings: { mode: 'PCV', peepCmH2O: 10, peakCmH2O: 25, rateBpm: 20, fio2: 0.4 } });
  let host: PipeTransport;
  const { numericsPerMessage, ...hostOptions } = options;
  const monitor = new IntelliVueEmulator({
    clock,
    world,
    send: (m) => queueMicrotask(() => host.incoming.next(m)),
    ...(numericsPerMessage ? { numericsPerMessage } : {}),
  });
  host = new PipeTransport((m) => monitor.receive(m, 'udp 10.0.0.9:5000'));
  const vitals = new IntelliVueVitalsSource({ transport: host, clock, ...hostOptions });
  const samples: MonitorSample[] = [];
  const faults: DeviceFault[] = [];
  vitals.samples$.subscribe((s) => samples.push(s));
  vitals.faults$.subscribe((f) => faults.push(f));
  monitor.start();
  /** Advances the clock in 100-ms steps, letting messages through between them. */
  const run = async (ms: number): Promise<void> => {
    const end = clock.now() + ms;
    while (clock.now() < end) {
      clock.advanceBy(Math.min(100, end - clock.now()));
      await flush();
    }
  };
  const connect = async (): Promise<void> => {
    const p = vitals.connect();
    await flush();
    await run(200);
    await p;
  };
  return { clock, world, monitor, host, vitals, samples, faults, run, connect };
}
