import { describe, expect, it } from 'vitest';
import { every, sleep, VirtualClock } from '../../common/clock.js';

describe('VirtualClock', () => {
  it('fires timers in time order, ties in the order they were set', () => {
    const c = new VirtualClock(100);
    const log: string[] = [];
    c.setTimeout(() => log.push(`b@${c.now()}`), 20);
    c.setTimeout(() => log.push(`a@${c.now()}`), 10);
    c.setTimeout(() => log.push(`c@${c.now()}`), 20);
    c.advanceBy(15);
    expect(log).toEqual(['a@110']);
    expect(c.now()).toBe(115);
    c.advanceTo(1000);
    expect(log).toEqual(['a@110', 'b@120', 'c@120']);
    expect(c.now()).toBe(1000);
  });

  it('cancels timers and counts the live ones', () => {
    const c = new VirtualClock();
    const h = c.setTimeout(() => {
      throw new Error('cancelled timer fired');
    }, 5);
    c.setTimeout(() => undefined, 10);
    expect(c.pending()).toBe(2);
    c.clearTimeout(h);
    expect(c.pending()).toBe(1);
    expect(c.nextAt()).toBe(10);
    expect(c.runNext()).toBe(true);
    expect(c.runNext()).toBe(false);
  });

  it('every() repeats until stopped; sleep() resolves on the clock', async () => {
    const c = new VirtualClock();
    const ticks: number[] = [];
    const stop = every(c, 1000, () => ticks.push(c.now()));
    c.advanceBy(3500);
    stop();
    c.advanceBy(5000);
    expect(ticks).toEqual([1000, 2000, 3000]);
    expect(c.pending()).toBe(0);
    const slept = sleep(c, 250).then(() => c.now());
    c.advanceBy(249);
    c.advanceBy(1);
    await expect(slept).resolves.toBe(8750);
  });
});
