/**
 * Each default lives in one place: the guided-timeout default and cap come from hal/guided,
 * the failsafe timeout and the console's defaults from their commands, and the flags' parsing
 * and help texts are built from them (a changed constant changes what the operator reads).
 */
import { describe, expect, it } from 'vitest';
import { GUIDED_DEADLINE_MARGIN_S, GUIDED_TIMEOUT_DEFAULT_MS, GUIDED_TIMEOUT_MAX_MS, GUIDED_TIMEOUT_MIN_MS } from '../../hal/guided/index.js';
import { APPLY_TIMEOUT_MAX_S, defaultProtocol, ProtocolSchema, RESTORE_TIMEOUT_MAX_S } from '../../machines/index.js';
import { guidedProtocol } from '../../src/runner/simulated.js';
import { CONSOLE_DEFAULTS } from '../../src/cli/console.js';
import { GUIDED_TIMEOUT_FLAG_S, guidedTimeoutFlag } from '../../src/cli/inputs.js';
import { parseVitalsFlag, vitalsLineSettings } from '../../src/cli/device.js';
import { VITALS_LINE_DEFAULTS } from '../../hal/vitals/index.js';
import { main } from '../../src/cli/main.js';
import { DEFAULT_FAILSAFE_TIMEOUT_MS } from '../../src/cli/run.js';

async function help(command: string): Promise<string> {
  let out = '';
  await main([command, '--help'], { stdout: (s) => void (out += s), stderr: (s) => void (out += s), isTTY: false });
  return out.replace(/\s+/g, ' ');
}

describe('the guided timeout: one default, one cap', () => {
  it('--guided-timeout takes its bounds and default (seconds) from hal/guided', () => {
    expect(GUIDED_TIMEOUT_FLAG_S).toEqual({ min: GUIDED_TIMEOUT_MIN_MS / 1000, max: GUIDED_TIMEOUT_MAX_MS / 1000, default: GUIDED_TIMEOUT_DEFAULT_MS / 1000 });
    expect(guidedTimeoutFlag(undefined)).toBe(GUIDED_TIMEOUT_DEFAULT_MS / 1000);
    expect(guidedTimeoutFlag(String(GUIDED_TIMEOUT_MAX_MS / 1000))).toBe(GUIDED_TIMEOUT_MAX_MS / 1000);
    expect(guidedTimeoutFlag(String(GUIDED_TIMEOUT_MIN_MS / 1000))).toBe(GUIDED_TIMEOUT_MIN_MS / 1000);
    const range = new RegExp(`between ${GUIDED_TIMEOUT_MIN_MS / 1000} and ${GUIDED_TIMEOUT_MAX_MS / 1000}`);
    expect(() => guidedTimeoutFlag(String(GUIDED_TIMEOUT_MAX_MS / 1000 + 1))).toThrow(range);
    expect(() => guidedTimeoutFlag(String(GUIDED_TIMEOUT_MIN_MS / 1000 - 1))).toThrow(range);
  });

  it('the help texts of run and console state the same bounds and default', async () => {
    const { min, max, default: d } = GUIDED_TIMEOUT_FLAG_S;
    expect(await help('run')).toContain(`abort when an instruction is not carried out in time (${min}-${max} s, default ${d})`);
    expect(await help('console')).toMatch(new RegExp(`--guided-timeout <s> .*\\(${min}-${max}\\) \\(default: "${d}"\\)`));
  });
});

describe("the guided cap follows the machine's apply deadline", () => {
  it('the cap leaves the margin below APPLY_TIMEOUT_MAX_S, which the protocol schema enforces', () => {
    expect(GUIDED_TIMEOUT_MAX_MS).toBe((APPLY_TIMEOUT_MAX_S - GUIDED_DEADLINE_MARGIN_S) * 1000);
    const safety = (applyTimeoutS: number, restoreTimeoutS = 10) => ({ maneuver: 'staircase', safety: { applyTimeoutS, restoreTimeoutS } });
    expect(ProtocolSchema.safeParse(safety(APPLY_TIMEOUT_MAX_S)).success).toBe(true);
    expect(ProtocolSchema.safeParse(safety(APPLY_TIMEOUT_MAX_S + 1)).success).toBe(false);
    expect(ProtocolSchema.safeParse(safety(10, RESTORE_TIMEOUT_MAX_S + 1)).success).toBe(false);
  });

  it('guidedProtocol stretches the apply deadline past the instruction by the margin, never beyond the schema', () => {
    const p = defaultProtocol('staircase');
    expect(guidedProtocol(p, 60_000).safety).toMatchObject({ applyTimeoutS: 60 + GUIDED_DEADLINE_MARGIN_S, restoreTimeoutS: RESTORE_TIMEOUT_MAX_S });
    expect(guidedProtocol(p, GUIDED_TIMEOUT_MAX_MS).safety.applyTimeoutS).toBe(APPLY_TIMEOUT_MAX_S);
    expect(guidedProtocol(p, 3_600_000).safety.applyTimeoutS).toBe(APPLY_TIMEOUT_MAX_S);
  });
});

describe('other defaults stated once', () => {
  it("run's help states the failsafe timeout default it applies", async () => {
    expect(await help('run')).toContain(`default ${DEFAULT_FAILSAFE_TIMEOUT_MS / 1000} without a terminal`);
  });

  it("console's help states CONSOLE_DEFAULTS", async () => {
    const h = await help('console');
    expect(h).toContain(`(default: "${CONSOLE_DEFAULTS.port}")`);
    expect(h).toContain(`(default: "${CONSOLE_DEFAULTS.host}")`);
    expect(h).toContain(`(default ${CONSOLE_DEFAULTS.patient})`);
    expect(h).toContain(`simulator: simulation seed (default ${CONSOLE_DEFAULTS.seed})`);
    expect(h).toContain(`0.1-1000 (default ${CONSOLE_DEFAULTS.speed})`);
  });

  it('the vitals feed line: VITALS_LINE_DEFAULTS for --vitals, --vitals-baud and the emulator, and in their help', async () => {
    expect(vitalsLineSettings()).toEqual(VITALS_LINE_DEFAULTS);
    expect(parseVitalsFlag('line:/dev/ttyUSB2')).toEqual({ path: '/dev/ttyUSB2', ...VITALS_LINE_DEFAULTS });
    expect(vitalsLineSettings('19200')).toEqual({ ...VITALS_LINE_DEFAULTS, baudRate: 19200 });
    expect(await help('run')).toContain(`serial vitals baud rate (default: line ${VITALS_LINE_DEFAULTS.baudRate},`);
    expect(await help('emulate')).toContain(`vitals port baud rate (default: "${VITALS_LINE_DEFAULTS.baudRate}")`);
  });
});
