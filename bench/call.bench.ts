/**
 * Call-path benchmark across the full local stack (Graph simulator -> calling webhook -> `call`
 * orchestration -> Graph requests), all in this process, measured from the simulator's own
 * timestamps (simulated ms converted back to real ms with the clock scale):
 *
 * - `call_keypress_to_next_request_ms_p50/p99`: a tone notification posted (first attempt) -> the
 *   next Graph request of that call received, for keys that lead to a request before the next key
 *   (menu choices and the last key of an entry; digits in the middle of an entry ask for nothing).
 * - `call_incoming_to_answer_ms_p99`: incoming-call notification posted -> answer request received.
 * - `calls_per_minute_50_concurrent`: 50 callers calling again as soon as their call ends, for
 *   `THROUGHPUT_MS`; calls completed per minute (simulator clock x CLOCK_SCALE: prompts play faster
 *   than real time, the host works in real time).
 * - `memory_per_active_call_kb`: heap growth (after GC) with 50 calls established and waiting in a
 *   menu, per call; includes the simulator's own state for each call.
 *
 * Targets (issue 5): keypress -> next request p99 < 50 ms; incoming -> answer p99 < 100 ms.
 * Prints progress lines, then one JSON line. Run: `node --import tsx --expose-gc bench/call.bench.ts`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callerSteps } from '../cli/commands/call-script.js';
import type { SimCall } from '../local/graph-sim/index.js';
import { startStack, type Stack } from '../local/stack.js';
import { loadFlowFile } from '../shared/flow/node/load.js';

const CLOCK_SCALE = 10;
const LATENCY_CALLS = 40;
const THROUGHPUT_MS = 40_000;
const CONCURRENT = 50;

const flow = loadFlowFile(path.resolve('flows/city-power-outage.yaml')).flow;
if (flow === undefined) throw new Error('flows/city-power-outage.yaml is not valid');
const scripts = ['w 2', 'w 0', 'w 1 w 98052 w 2', 'w 1 w 98052 w 1 w 2'].map((press) =>
  callerSteps({ press }, flow),
);

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round((sorted[i] ?? Number.NaN) * 10) / 10;
}

let seq = 0;
const callerNumber = (): string => `+1425558${String(seq++ % 10000).padStart(4, '0')}`;

async function place(stack: Stack, i: number): Promise<SimCall> {
  const call = await stack.sim.placeCall({
    from: callerNumber(),
    to: '+14255550150',
    steps: scripts[i % scripts.length] ?? [],
  });
  await call.ended();
  return call;
}

function latencies(stack: Stack, callId: string): { keys: number[]; answer: number | undefined } {
  const deliveries = stack.sim.deliveries(callId);
  const requests = stack.sim.requests(callId).filter((r) => !r.path.endsWith('/keepAlive'));
  const posted = (d: (typeof deliveries)[number]): number | undefined => d.attempts[0]?.at;
  const incoming = deliveries.find((d) => d.changeType === 'created');
  const answer = requests.find((r) => r.path.endsWith('/answer'));
  const answerMs =
    incoming && answer && posted(incoming) !== undefined
      ? (answer.time - (posted(incoming) ?? 0)) / CLOCK_SCALE
      : undefined;
  const tones = deliveries.filter((d) =>
    JSON.stringify(d.notification.resourceData ?? {}).includes('"toneInfo"'),
  );
  const keys: number[] = [];
  tones.forEach((t, i) => {
    const at = posted(t);
    if (at === undefined) return;
    const nextTone = tones[i + 1] ? posted(tones[i + 1]!) : undefined;
    const next = requests.find((r) => r.time >= at);
    if (next && (nextTone === undefined || next.time < nextTone)) keys.push((next.time - at) / CLOCK_SCALE);
  });
  return { keys, answer: answerMs };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-call-bench-'));
  const stack = await startStack({ port: 0, dataDir: tmp, clockScale: CLOCK_SCALE, quiet: true });
  try {
    await place(stack, 0); // warm-up: module loading, first token, JIT
    const keyMs: number[] = [];
    const answerMs: number[] = [];
    for (let i = 0; i < LATENCY_CALLS; i += 4) {
      const calls = await Promise.all([0, 1, 2, 3].map((k) => place(stack, i + k)));
      for (const c of calls) {
        const l = latencies(stack, c.id);
        keyMs.push(...l.keys);
        if (l.answer !== undefined) answerMs.push(l.answer);
      }
    }
    console.log(
      `latency: ${keyMs.length} keypresses, ${answerMs.length} answers over ${LATENCY_CALLS} calls`,
    );

    let completed = 0;
    const until = Date.now() + THROUGHPUT_MS;
    await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, k) => {
        for (let i = k; Date.now() < until; i += CONCURRENT) {
          const call = await place(stack, i);
          if (call.outcome !== undefined && Date.now() <= until) completed += 1;
        }
      }),
    );
    const perMinute = Math.round((completed * 60_000) / THROUGHPUT_MS);
    console.log(
      `throughput: ${completed} calls in ${THROUGHPUT_MS / 1000} s with ${CONCURRENT} callers (clock x${CLOCK_SCALE})`,
    );

    // Memory: CONCURRENT calls parked in the main menu (silent callers; the no-input timer is 6 s).
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const parked = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        stack.sim.placeCall({ from: callerNumber(), to: '+14255550150', steps: [] }),
      ),
    );
    await Promise.all(parked.map((c) => c.waitForState('established', 60_000)));
    await new Promise((r) => setTimeout(r, 1000));
    gc?.();
    const during = process.memoryUsage().heapUsed;
    const perCallKb = Math.round((during - before) / 1024 / CONCURRENT);
    console.log(
      `memory: heap +${Math.round((during - before) / 1024)} KB with ${CONCURRENT} active calls${gc ? '' : ' (no --expose-gc)'}`,
    );
    for (const c of parked) stack.sim.callerHangsUp(c.id);
    await Promise.all(parked.map((c) => c.ended()));

    console.log(
      JSON.stringify({
        call_keypress_to_next_request_ms_p50: percentile(keyMs, 50),
        call_keypress_to_next_request_ms_p99: percentile(keyMs, 99),
        call_incoming_to_answer_ms_p99: percentile(answerMs, 99),
        calls_per_minute_50_concurrent: perMinute,
        memory_per_active_call_kb: perCallKb,
      }),
    );
  } finally {
    await stack.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
