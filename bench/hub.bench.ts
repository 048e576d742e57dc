// Local Durable task hub (local/durable) on this machine: activity completions per second in a
// fan-out, per-step latency of a 10-step sequential chain, and the latency from raiseEvent over
// HTTP (the real DurableClient) to the orchestrator's next activity starting. The test app
// (test/fixtures/durable-app) runs through the local Functions host and durable-functions' own
// replay executor, persisting to node-sqlite3-wasm. Last stdout line: flat JSON figures.
import { performance } from 'node:perf_hooks';
import { EventType } from '../local/durable/history.js';
import { startHarness } from '../test/fixtures/durable-app/harness.js';

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

const hooks = globalThis as { __durableAppOnStamp?: (key: string) => void };
const h = await startHarness({ maxConcurrentActivityFunctions: 32, maxConcurrentOrchestratorFunctions: 32 });
try {
  // ---- fan-out/fan-in throughput
  await h.hub.waitForCompletion(await h.client.startNew('fanOut', { input: 200 }));
  const rates: number[] = [];
  const FAN = 2000;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const id = await h.client.startNew('fanOut', { input: FAN });
    const inst = await h.hub.waitForCompletion(id, 120_000);
    if (inst.status !== 'Completed') throw new Error(`fan-out ended ${inst.status}`);
    const s = (performance.now() - t0) / 1000;
    rates.push(FAN / s);
    console.log(`fan-out ${FAN}: ${(s * 1000).toFixed(0)} ms`);
  }
  const completionsPerS = Math.round(percentile(rates, 50));

  // ---- sequential chain: time between consecutive activity starts (each step = completion
  // committed, orchestrator episode replayed, next activity scheduled, committed and started)
  const steps: number[] = [];
  for (let run = 0; run < 6; run++) {
    const starts: number[] = [];
    hooks.__durableAppOnStamp = () => starts.push(performance.now());
    const id = await h.client.startNew('sequence', { input: 10 });
    await h.hub.waitForCompletion(id);
    hooks.__durableAppOnStamp = undefined;
    if (run === 0) continue; // warm-up
    for (let i = 1; i < starts.length; i++) steps.push(starts[i]! - starts[i - 1]!);
  }

  // ---- raiseEvent over HTTP -> next activity starting. Several instances of 50 rounds each, so
  // histories stay the size of a long IVR call (~350 events) rather than growing without bound.
  const ROUNDS = 50;
  const latencies: number[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let inst = 0; inst < 5; inst++) {
    const id = await h.client.startNew('eventLoop', { input: ROUNDS });
    const waiting = async (n: number): Promise<void> => {
      // The orchestrator has processed completion n and waits for the next "Go".
      for (;;) {
        await sleep(5);
        const hist = h.hub.getStatus(id, { showHistory: true })?.history ?? [];
        const last = hist[hist.length - 1];
        if (
          hist.filter((e) => e.EventType === EventType.TaskCompleted).length >= n &&
          last?.EventType === EventType.OrchestratorCompleted
        )
          return;
      }
    };
    for (let i = 0; i < ROUNDS; i++) {
      await waiting(i);
      const started = new Promise<number>((resolve) => {
        hooks.__durableAppOnStamp = () => resolve(performance.now());
      });
      const t0 = performance.now();
      await h.client.raiseEvent(id, 'Go', i);
      const t1 = await started;
      if (inst > 0) latencies.push(t1 - t0); // first instance: warm-up
    }
    hooks.__durableAppOnStamp = undefined;
    const done = await h.hub.waitForCompletion(id);
    if (done.status !== 'Completed') throw new Error(`event loop ended ${done.status}`);
  }

  console.log(
    JSON.stringify({
      hub_activity_completions_per_s: completionsPerS,
      hub_sequential_step_ms_p50: percentile(steps, 50),
      hub_raise_event_to_activity_ms_p50: percentile(latencies, 50),
      hub_raise_event_to_activity_ms_p99: percentile(latencies, 99),
    }),
  );
} finally {
  await h.close();
}
