/**
 * Every scenario of every flow in flows/ as a real call through the local stack: scripted caller in
 * the Graph simulator -> calling webhook -> `call` orchestration -> Graph requests to the simulator.
 * Each one checks the call record's path, the prompts the caller heard, the orchestration's outcome
 * and the Graph requests the simulator received against the scenario (and the interpreter's
 * prediction). Scenarios sharing a start time (`at`) run concurrently on one stack in a process of
 * their own whose clock reads that time (`flow-group-child.ts`); start times run one after another.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AT } from '../../shared/flow/flow-test.js';
import { expandFlowPaths, loadFlowFile } from '../../shared/flow/node/load.js';

interface Result {
  file: string;
  name: string;
  callId?: string;
  failures: string[];
}

const groups = new Map<string, { file: string; name: string }[]>();
for (const file of expandFlowPaths([path.resolve('flows')])) {
  const loaded = loadFlowFile(file);
  if (loaded.flow === undefined) continue;
  for (const { scenario } of loaded.scenarios) {
    const at = new Date(scenario.at ?? DEFAULT_AT).toISOString();
    groups.set(at, [...(groups.get(at) ?? []), { file, name: scenario.name }]);
  }
}

function runGroup(at: string, cases: { file: string; name: string }[]): Promise<Result[]> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/e2e/flow-group-child.ts', JSON.stringify({ at, cases })],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve((JSON.parse(last) as { results: Result[] }).results);
      } catch {
        reject(new Error(`scenario group ${at} exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}

for (const [at, cases] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
  describe(`calls starting ${at}`, () => {
    let results: Result[] = [];
    beforeAll(async () => {
      results = await runGroup(at, cases);
    }, 600_000);
    for (const c of cases)
      it(`${path.basename(c.file)}: ${c.name}`, () => {
        const r = results.find((x) => x.file === c.file && x.name === c.name);
        expect(r, 'the scenario ran').toBeDefined();
        expect(r?.failures, `${c.name} (call ${r?.callId})`).toEqual([]);
      });
  });
}
