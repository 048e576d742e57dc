// Replay of orchestration `call` (../shared/STYLE.md 13b): the history of a real call, recorded
// from the local task hub's last episode, is replayed through the registered orchestrator (the
// SDK's replay executor) and must produce the same actions, in the same order, with the same
// inputs as the history scheduled, plus the same output. Negative control: the same history
// with a different pinned flow version (option 1 now goes to voicemail) does not replay.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Stack } from '../../local/stack.js';
import { startFlowStack, type FlowStack } from '../support/flow-stack.js';

const FLOW = `id: replay-test
version: 1
description: Replay test line.
timezone: UTC
entry: menu
prompts:
  welcome:
    text: Press one for sales or two to leave a message.
steps:
  menu:
    type: menu
    prompt: welcome
    options:
      '1': sales
      '2': voicemail
  sales:
    type: transfer
    target:
      phone: '+14255550111'
  voicemail:
    type: record
    maxDuration: 10s
`;
const NUMBER = '+14255550103';

interface HistoryEvent {
  EventType: number;
  Name?: string;
  Input?: string;
  Result?: string;
  FireAt?: string;
  [k: string]: unknown;
}
interface Payload {
  instanceId: string;
  history: HistoryEvent[];
  [k: string]: unknown;
}
interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  fireAt?: string;
  compoundActions?: Action[];
}
interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  customStatus?: unknown;
}

/** The task hub's (internal, public) entry that runs one orchestrator episode through the registry. */
interface EpisodeInvoker {
  invokeOrchestrator(name: string, payload: unknown): Promise<unknown>;
}
const invoker = (): EpisodeInvoker => stack.host.hub as unknown as EpisodeInvoker;

let running: FlowStack;
let stack: Stack;
const recorded: { payload: Payload; state: OrchestratorState }[] = [];

const stateOf = (r: unknown): OrchestratorState =>
  JSON.parse((r as { returnValue: { json: string } }).returnValue.json) as OrchestratorState;

beforeAll(async () => {
  running = await startFlowStack({
    flows: { 'replay-test': FLOW },
    numbers: { [NUMBER]: 'replay-test' },
    clockScale: 10,
  });
  stack = running.stack;
  const hub = invoker();
  const invoke = hub.invokeOrchestrator.bind(hub);
  // Record what the task hub hands the orchestrator and what it answers (a spy on the real part).
  hub.invokeOrchestrator = async (name: string, payload: unknown): Promise<unknown> => {
    const result = await invoke(name, payload);
    if (name === 'call')
      recorded.push({ payload: structuredClone(payload) as Payload, state: stateOf(result) });
    return result;
  };
});

afterAll(async () => {
  await running?.stop();
});

/** Leaf actions that DTFx records as scheduled: activities and timers (external-event waits take none). */
function scheduledActions(
  state: OrchestratorState,
): { kind: string; name?: string; input?: unknown; at?: number }[] {
  const out: { kind: string; name?: string; input?: unknown; at?: number }[] = [];
  const walk = (a: Action): void => {
    if (a.compoundActions) return a.compoundActions.forEach(walk);
    if (a.actionType === 0 || a.actionType === 1)
      out.push({ kind: 'activity', name: a.functionName, input: a.input });
    else if (a.actionType === 5) out.push({ kind: 'timer', at: Date.parse(a.fireAt ?? '') });
  };
  for (const a of state.actions.flat()) walk(a);
  return out;
}

/** What the history says was scheduled: TaskScheduled (4) and TimerCreated (10), in order. */
function scheduledInHistory(
  history: HistoryEvent[],
): { kind: string; name?: string; input?: unknown; at?: number }[] {
  return history.flatMap((e): { kind: string; name?: string; input?: unknown; at?: number }[] =>
    e.EventType === 4
      ? [{ kind: 'activity', name: e.Name, input: JSON.parse(e.Input ?? 'null') as unknown }]
      : e.EventType === 10
        ? [{ kind: 'timer', at: Date.parse(e.FireAt ?? '') }]
        : [],
  );
}

/** Replays `payload` through the registered orchestrator; lists where it departs from the history. */
async function replay(payload: Payload): Promise<{ state: OrchestratorState; mismatches: string[] }> {
  const state = stateOf(await invoker().invokeOrchestrator('call', payload));
  const done = scheduledInHistory(payload.history);
  const now = scheduledActions(state);
  const mismatches: string[] = [];
  done.forEach((h, i) => {
    const a = now[i];
    if (a === undefined) mismatches.push(`#${i}: history has ${h.kind} ${h.name ?? ''}, replay has nothing`);
    else if (JSON.stringify(a) !== JSON.stringify(h))
      mismatches.push(
        `#${i}: history ${JSON.stringify(h).slice(0, 120)} vs replay ${JSON.stringify(a).slice(0, 120)}`,
      );
  });
  return { state, mismatches };
}

describe('orchestration call replay', () => {
  it('replays a recorded call to the same actions and output; a changed flow version does not', async () => {
    const call = await stack.sim.placeCall({
      from: '+14255550199',
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, '1'],
    });
    expect((await call.ended()).reason).toBe('transferred');
    const last = await (async () => {
      for (let i = 0; i < 400; i += 1) {
        const r = recorded.filter((x) => x.payload.instanceId === call.id).pop();
        if (r?.state.isDone) return r;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error('the orchestration did not complete');
    })();
    expect(
      scheduledInHistory(last.payload.history)
        .filter((s) => s.kind === 'activity')
        .map((s) => s.name),
    ).toEqual(expect.arrayContaining(['resolveFlow', 'answerCall', 'runCommands', 'finishCall']));

    const again = await replay(structuredClone(last.payload));
    expect(again.mismatches).toEqual([]);
    expect(again.state.isDone).toBe(true);
    expect(again.state.output).toEqual(last.state.output);
    expect(again.state.actions).toEqual(last.state.actions);
    expect(again.state.customStatus).toEqual(last.state.customStatus);

    // Negative control: the pinned flow (in resolveFlow's result) is a different version.
    const tampered = structuredClone(last.payload);
    const resolved = tampered.history.find(
      (e, i) =>
        e.EventType === 5 &&
        tampered.history.slice(0, i).some((s) => s.EventType === 4 && s.Name === 'resolveFlow'),
    );
    const result = JSON.parse(resolved!.Result!) as {
      flow: { version: number; steps: { menu: { options: Record<string, string> } } };
    };
    result.flow.version = 2;
    result.flow.steps.menu.options['1'] = 'voicemail';
    resolved!.Result = JSON.stringify(result);
    const changed = await replay(tampered);
    expect(changed.mismatches.length).toBeGreaterThan(0);
    expect(changed.mismatches[0]).toMatch(/runCommands/);
  });
});
