/**
 * Test helper: the full local stack (`startStack`) on free ports and a temporary data folder,
 * serving only the flows a test writes inline, with its numbers bound. One place for the setup
 * that orchestration and API tests share; `stop()` also removes the temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startStack, type Stack, type StackOptions } from '../../local/stack.js';

/** What {@link startFlowStack} needs: flow sources by flow id (file name), numbers (E.164) to flow ids. */
export interface FlowStackOptions {
  flows: Record<string, string>;
  numbers: Record<string, string>;
  /** Simulator clock speed-up (1 = real time). */
  clockScale: number;
  /** App settings for the host (e.g. `CALL_HISTORY_EVENTS`). */
  settings?: StackOptions['settings'];
}

/** A started stack and its cleanup. */
export interface FlowStack {
  stack: Stack;
  /** The temporary folder holding `flows/` and `data/`. */
  root: string;
  stop(): Promise<void>;
}

/** Writes the flows and `numbers.yaml` into a temp folder and starts the stack on it. */
export async function startFlowStack(options: FlowStackOptions): Promise<FlowStack> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-flow-stack-'));
  const flowsDir = path.join(root, 'flows');
  fs.mkdirSync(flowsDir);
  for (const [flowId, source] of Object.entries(options.flows)) {
    fs.writeFileSync(path.join(flowsDir, `${flowId}.yaml`), source);
  }
  const bindings = Object.entries(options.numbers).map(([n, flowId]) => `  '${n}': ${flowId}\n`);
  fs.writeFileSync(path.join(flowsDir, 'numbers.yaml'), `numbers:\n${bindings.join('')}`);
  const stack = await startStack({
    port: 0,
    dataDir: path.join(root, 'data'),
    flowsDir,
    clockScale: options.clockScale,
    quiet: true,
    ...(options.settings === undefined ? {} : { settings: options.settings }),
  });
  return {
    stack,
    root,
    async stop() {
      await stack.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
