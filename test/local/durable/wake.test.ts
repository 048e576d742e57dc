// The task hub's wake-up timer when the clock jumps forward: a new durable timer due before the
// armed wake-up fires must re-arm it (before, a wake armed for a later time, up to an hour of real
// time away, was kept because its due time compared as earlier on the jumped clock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../fixtures/durable-app/harness.js';

let h: Harness;
let offsetMs = 0;
beforeAll(async () => {
  h = await startHarness({ clock: () => Date.now() + offsetMs });
});
afterAll(async () => {
  await h.close();
});

describe('task hub wake-up after a clock jump', () => {
  it('fires a short new timer on time although an older wake was armed for later', async () => {
    // A timer 2 h away: the wake is armed for 1 h of real time (the cap).
    const far = await h.hub.startNew('approval', { input: 2 * 3_600_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.hub.getStatus(far)?.instance.status).toBe('Running');
    // The clock jumps 3 h forward; a new 300 ms timer is due long before that wake fires.
    offsetMs = 3 * 3_600_000;
    const near = await h.hub.startNew('approval', { input: 300 });
    const done = await h.hub.waitForCompletion(near, 5_000);
    expect(done.status).toBe('Completed');
    expect(JSON.parse(done.output ?? 'null')).toEqual({ escalated: true });
    // The far timer is due on the jumped clock too, and fires with the same wake.
    expect((await h.hub.waitForCompletion(far, 5_000)).status).toBe('Completed');
  }, 20_000);
});
