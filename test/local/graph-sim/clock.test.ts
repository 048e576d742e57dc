import { describe, expect, it } from 'vitest';

import { createSimClock } from '../../../local/graph-sim/clock.js';

describe('simulator clock', () => {
  it('never wakes a sleeper before its simulated deadline, even when timers fire a millisecond early', async () => {
    // At speed 50 one real millisecond is 50 simulated ones: an early timer shows at once.
    const clock = createSimClock({ speed: 50 });
    const early: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const ms = 100 + i * 7;
        const start = clock.now();
        await clock.sleep(ms);
        const slept = clock.now() - start;
        if (slept < ms) early.push(ms - slept);
      }),
    );
    expect(early).toEqual([]);
  });

  it('resolves a zero or negative sleep at once', async () => {
    const clock = createSimClock({ speed: 10 });
    const start = clock.now();
    await clock.sleep(0);
    await clock.sleep(-5);
    expect(clock.now() - start).toBeLessThan(200);
  });
});
