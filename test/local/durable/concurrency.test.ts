// Concurrency guarantees of the local task hub: one instance never runs two episodes at once,
// different instances do run concurrently, and activities are capped by
// maxConcurrentActivityFunctions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../fixtures/durable-app/harness.js';

const gauge = globalThis as { __durableAppActive?: number; __durableAppMaxActive?: number };
const perInstanceActive = new Map<string, number>();
let perInstanceMax = 0;
let orchestratorsActive = 0;
let orchestratorsMax = 0;

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    { maxConcurrentActivityFunctions: 3, maxConcurrentOrchestratorFunctions: 8 },
    (registry) => ({
      functionsWithTrigger: (type) => registry.functionsWithTrigger(type),
      invoke: async (name, data, meta) => {
        const isOrchestrator = registry.functionsWithTrigger('orchestrationTrigger').includes(name);
        if (!isOrchestrator) return registry.invoke(name, data, meta);
        const id = (JSON.parse((data as { string: string }).string) as { instanceId: string }).instanceId;
        const n = (perInstanceActive.get(id) ?? 0) + 1;
        perInstanceActive.set(id, n);
        perInstanceMax = Math.max(perInstanceMax, n);
        orchestratorsMax = Math.max(orchestratorsMax, ++orchestratorsActive);
        try {
          // Hold the episode open a little so overlaps would show.
          await new Promise((r) => setTimeout(r, 5));
          return await registry.invoke(name, data, meta);
        } finally {
          orchestratorsActive--;
          perInstanceActive.set(id, (perInstanceActive.get(id) ?? 1) - 1);
        }
      },
    }),
  );
});
afterAll(async () => {
  await h.close();
});

describe('task hub concurrency', () => {
  it('caps running activities at maxConcurrentActivityFunctions and still runs them in parallel', async () => {
    gauge.__durableAppMaxActive = 0;
    const id = await h.client.startNew('trackedFanOut', { input: { count: 24, ms: 30 } });
    const inst = await h.hub.waitForCompletion(id);
    expect(inst.status).toBe('Completed');
    expect(gauge.__durableAppMaxActive).toBeLessThanOrEqual(3);
    expect(gauge.__durableAppMaxActive).toBeGreaterThanOrEqual(2);
  });

  it('never runs two episodes of one instance at once, but runs different instances concurrently', async () => {
    perInstanceMax = 0;
    orchestratorsMax = 0;
    const ids = await Promise.all(Array.from({ length: 8 }, () => h.client.startNew('twoEvents')));
    // Many messages per instance, arriving while episodes run.
    await Promise.all(
      ids.map(async (id) => {
        await h.client.raiseEvent(id, 'Step', 1);
        await h.client.raiseEvent(id, 'Step', 2);
        await h.client.raiseEvent(id, 'Other', 3);
      }),
    );
    for (const id of ids) {
      const inst = await h.hub.waitForCompletion(id);
      expect(JSON.parse(inst.output ?? 'null')).toEqual([1, 2, 3]);
    }
    expect(perInstanceMax).toBe(1);
    expect(orchestratorsMax).toBeGreaterThan(1);
  });
});
