/**
 * Runs a group of flow scenarios that share a start time end to end, in a process of its own whose
 * clock is set to that time before anything starts (a clock that jumps under a running task hub,
 * cached tokens and leases is not what production sees). Argument: JSON `{ at, cases: [{ file,
 * name }] }`. Prints one JSON line: `{ results: [{ file, name, callId, failures }] }`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Scenario } from '../../shared/flow/index.js';
import { loadFlowFile } from '../../shared/flow/node/load.js';
import { startStack } from '../../local/stack.js';
import { installClockShift, runE2e, shiftClock } from './harness.js';

interface GroupInput {
  at: string;
  cases: { file: string; name: string }[];
}

const input = JSON.parse(process.argv[2] ?? '{}') as GroupInput;
installClockShift();
shiftClock(input.at);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-group-'));
const stack = await startStack({ port: 0, dataDir: tmp, clockScale: 20, quiet: true });
let next = 0;
const caller = (): string => `+1425556${String(1000 + next++).padStart(4, '0')}`;

const loaded = new Map<string, ReturnType<typeof loadFlowFile>>();
const load = (file: string): ReturnType<typeof loadFlowFile> => {
  let l = loaded.get(file);
  if (!l) loaded.set(file, (l = loadFlowFile(file)));
  return l;
};

interface Result {
  file: string;
  name: string;
  callId?: string;
  failures: string[];
}

/** Whether a scenario's HTTP stubs can only be told apart by path (not by the caller's number). */
function exclusive(file: string, scenario: Scenario): boolean {
  const flow = load(file).flow;
  return Object.keys(scenario.stubs?.http ?? {}).some((step) => {
    const s = flow?.steps[step] as { url?: string; headers?: unknown; body?: unknown } | undefined;
    return !JSON.stringify([s?.url, s?.headers ?? null, s?.body ?? null]).includes('callerNumber');
  });
}

async function play(c: { file: string; name: string }): Promise<Result> {
  const l = load(c.file);
  const scenario = l.scenarios.find((s) => s.scenario.name === c.name)?.scenario;
  if (l.flow === undefined || scenario === undefined) return { ...c, failures: ['scenario not found'] };
  const number = stack.numbers.find((n) => n.flowId === l.flow?.id)?.number ?? '';
  try {
    const run = await runE2e(stack, l.flow, scenario, { number, callerNumber: caller() });
    return { ...c, callId: run.callId, failures: run.failures };
  } catch (err) {
    return { ...c, failures: [err instanceof Error ? err.message : String(err)] };
  }
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const queue = [...items];
  const out: R[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(await fn(item));
    }),
  );
  return out;
}

const isExclusive = (c: { file: string; name: string }): boolean => {
  const s = load(c.file).scenarios.find((x) => x.scenario.name === c.name)?.scenario;
  return s !== undefined && exclusive(c.file, s);
};
const results = [
  ...(await pool(
    input.cases.filter((c) => !isExclusive(c)),
    8,
    play,
  )),
  ...(await pool(input.cases.filter(isExclusive), 1, play)),
];
await stack.stop();
fs.rmSync(tmp, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ results })}\n`, () => process.exit(0));
