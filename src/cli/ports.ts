/**
 * `rmseq ports`: the serial ports this machine has (`SerialPort.list()`). On Linux the list
 * comes from `udevadm`; where it is missing the command says so and how to install it, lists
 * the serial device nodes it can see in /dev instead, and exits 0.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { EXIT } from './exitCodes.js';

export interface PortInfoRow {
  path: string;
  manufacturer?: string | undefined;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
  pnpId?: string | undefined;
}

export interface PortsDeps {
  list: () => Promise<PortInfoRow[]>;
  /** Where device nodes live (default /dev). */
  devDir: string;
}

const DEFAULT_DEPS: PortsDeps = { list: () => autoDetect().list(), devDir: '/dev' };

/** Serial device nodes visible in /dev (USB adapters, ACM devices, stable by-id names). */
export function serialNodes(devDir: string): string[] {
  const out: string[] = [];
  const read = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const name of read(devDir).sort()) if (/^tty(USB|ACM|AMA)\d+$/.test(name)) out.push(join(devDir, name));
  for (const name of read(join(devDir, 'serial', 'by-id')).sort()) out.push(join(devDir, 'serial', 'by-id', name));
  return out;
}

function isMissingUdevadm(e: unknown): boolean {
  const err = e as NodeJS.ErrnoException & { path?: string; spawnargs?: unknown };
  return err?.code === 'ENOENT' && /udevadm/.test(`${err.path ?? ''} ${err.message ?? ''}`);
}

/**
 * @example
 * await portsCommand({ stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }); // 0
 */
export async function portsCommand(io: { stdout: (s: string) => void; stderr: (s: string) => void }, deps: Partial<PortsDeps> = {}): Promise<number> {
  const { list, devDir } = { ...DEFAULT_DEPS, ...deps };
  let ports: PortInfoRow[];
  try {
    ports = await list();
  } catch (e) {
    if (!isMissingUdevadm(e)) {
      io.stdout(`cannot list serial ports: ${(e as Error).message}\n`);
      return EXIT.completed;
    }
    const nodes = serialNodes(devDir);
    io.stdout(
      [
        'cannot list serial ports: `udevadm` is missing (on Linux, SerialPort.list() runs it to describe the ports).',
        'Install it with:  sudo apt-get install udev   (Debian/Ubuntu; the package is "udev")',
        nodes.length
          ? `Serial device nodes found in ${devDir} (no details without udevadm):\n${nodes.map((n) => `  ${n}`).join('\n')}`
          : `No USB/ACM serial device nodes found in ${devDir}.`,
        'A port can always be named directly, e.g. --device makair:/dev/ttyUSB0, or a socat pseudo-terminal.',
        '',
      ].join('\n'),
    );
    return EXIT.completed;
  }
  if (ports.length === 0) {
    io.stdout('no serial ports found\n');
    return EXIT.completed;
  }
  const rows = ports.map((p) => [p.path, p.manufacturer ?? '', p.serialNumber ?? '', p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : '']);
  const header = ['path', 'manufacturer', 'serial number', 'vendor:product'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  io.stdout(`${[fmt(header), ...rows.map(fmt)].join('\n')}\n`);
  return EXIT.completed;
}
