// Embedded store latencies (local/store/embedded.store.ts on node-sqlite3-wasm): one timeline
// append, one conditional call-record update (ETag checked). Last stdout line: flat JSON figures (µs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEmbeddedStore } from '../local/store/embedded.store.js';

const WARMUP = 200;
const RUNS = 2000;

function p50(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-bench-'));
const store = createEmbeddedStore({ dataDir: dir, sweepIntervalMs: 0 });
try {
  const append: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const event = {
      callId: `call-${i % 50}`,
      seq: i,
      at: new Date(Date.UTC(2026, 10, 20, 10, 0, 0, i)).toISOString(),
      kind: 'step',
      data: { step: `menu-${i % 7}`, result: 'ok' },
    };
    const t0 = performance.now();
    await store.timelines.append(event);
    if (i >= WARMUP) append.push((performance.now() - t0) * 1000);
  }

  const update: number[] = [];
  let record = await store.calls.create({
    callId: 'bench-call',
    from: '+14255550001',
    to: '+14255550100',
    flowId: 'main-menu',
    flowVersion: 1,
    startedAt: '2026-11-20T10:00:00.000Z',
  });
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    record = await store.calls.update(
      'bench-call',
      { path: [...record.path.slice(-20), `step-${i}`] },
      { etag: record.etag },
    );
    if (i >= WARMUP) update.push((performance.now() - t0) * 1000);
  }

  console.log(`runs: ${RUNS} each (after ${WARMUP} warm-up), data dir ${dir}`);
  console.log(
    JSON.stringify({
      store_embedded_timeline_append_us_p50: p50(append),
      store_embedded_call_update_us_p50: p50(update),
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
