import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { handleEvent, startCall } from '../../../shared/flow/interpreter.js';
import type { CallState, FlowCommand, FlowEvent, StepResult } from '../../../shared/flow/model.js';
import type { Flow } from '../../../shared/flow/schema.js';
import { AT, flowFrom, flowYaml } from './helpers.js';

const call = { callId: 'c1', callerNumber: '+14255550199', dialledNumber: '+14255550100', at: AT };

const menuFlow = (extra = 'fallback: { phone: "+14255550100" }\napologyPrompt: sorry'): Flow =>
  flowFrom(
    flowYaml(
      `  start:
    type: menu
    prompt: menu
    options: { "1": one, "2": two }
    noInput: { prompt: again, retries: 1, next: two }
    noMatch: { prompt: sorry, retries: 1, next: two }
  one:
    type: play
    prompts: [hello]
    next: bye
  two:
    type: transfer
    target: { phone: "+14255550111" }
  bye:
    type: hangup
    prompt: bye
`,
      extra,
    ),
  );

function cmd<T extends FlowCommand['type']>(r: StepResult, type: T): Extract<FlowCommand, { type: T }> {
  const c = r.commands.find((x) => x.type === type);
  if (!c) throw new Error(`no ${type} in ${JSON.stringify(r.commands)}`);
  return c as Extract<FlowCommand, { type: T }>;
}
const ev = (e: Record<string, unknown>): FlowEvent => ({ at: AT, ...e }) as FlowEvent;

describe('startCall', () => {
  it('subscribes to tones, plays the menu prompt with barge-in, and records the start transition', () => {
    const r = startCall(menuFlow(), call);
    expect(r.commands.map((c) => c.type)).toEqual(['subscribeTones', 'playPrompts']);
    const play = cmd(r, 'playPrompts');
    expect(play).toEqual({
      type: 'playPrompts',
      id: 'start#2',
      prompts: [{ name: 'menu', text: 'Press 1 or 2' }],
      bargeIn: true,
    });
    expect(r.transitions).toEqual([{ at: AT, from: null, to: 'start', reason: 'start' }]);
    expect(r.state.vars).toMatchObject({
      callerNumber: '+14255550199',
      dialledNumber: '+14255550100',
      callId: 'c1',
    });
    expect(JSON.parse(JSON.stringify(r.state))).toEqual(r.state);
  });
});

describe('menu', () => {
  it('starts the no-input timer when the prompt ends and takes an option key', () => {
    const f = menuFlow();
    const s0 = startCall(f, call);
    const s1 = handleEvent(
      f,
      s0.state,
      ev({ type: 'promptCompleted', commandId: 'start#2', status: 'completed' }),
    );
    const timer = cmd(s1, 'startTimer');
    expect(timer.durationMs).toBe(5000);
    const s2 = handleEvent(f, s1.state, ev({ type: 'tone', key: '1', sequenceId: 1 }));
    expect(s2.commands[0]).toEqual({ type: 'cancelTimer', name: timer.name });
    expect(s2.transitions[0]).toMatchObject({ from: 'start', to: 'one', reason: 'option:1', input: '1' });
    expect(cmd(s2, 'playPrompts').prompts[0]!.name).toBe('hello');
    expect(s2.state.vars.lastChoice).toBe('1');
  });

  it('barge-in cancels the prompt and acts on the key at once', () => {
    const f = menuFlow();
    const s0 = startCall(f, call);
    const s1 = handleEvent(f, s0.state, ev({ type: 'tone', key: '2', sequenceId: 7 }));
    expect(s1.commands[0]).toEqual({ type: 'cancelMedia', id: 'start#2' });
    expect(cmd(s1, 'transfer').target).toEqual({ kind: 'phone', number: '+14255550111' });
  });

  it('ignores a tone sequence id it already saw', () => {
    const f = menuFlow();
    const s0 = startCall(f, call);
    const s1 = handleEvent(
      f,
      s0.state,
      ev({ type: 'promptCompleted', commandId: 'start#2', status: 'completed' }),
    );
    const s2 = handleEvent(f, s1.state, ev({ type: 'tone', key: '9', sequenceId: 3 }));
    expect(s2.transitions[0]?.reason).toBe('noMatch:retry');
    const dup = handleEvent(f, s2.state, ev({ type: 'tone', key: '9', sequenceId: 3 }));
    expect(dup.commands).toEqual([]);
    expect(dup.state).toBe(s2.state);
  });

  it('no input reprompts with the noInput prompt, then takes noInput.next', () => {
    const f = menuFlow();
    let r = startCall(f, call);
    r = handleEvent(f, r.state, ev({ type: 'promptCompleted', commandId: 'start#2', status: 'completed' }));
    r = handleEvent(f, r.state, ev({ type: 'timerFired', name: cmd(r, 'startTimer').name }));
    expect(cmd(r, 'playPrompts').prompts.map((p) => p.name)).toEqual(['again', 'menu']);
    const playId = cmd(r, 'playPrompts').id;
    r = handleEvent(f, r.state, ev({ type: 'promptCompleted', commandId: playId, status: 'completed' }));
    r = handleEvent(f, r.state, ev({ type: 'timerFired', name: cmd(r, 'startTimer').name }));
    expect(r.transitions[0]).toMatchObject({ from: 'start', to: 'two', reason: 'noInput' });
  });

  it('ignores a timer that is not the current one (cancelled or stale)', () => {
    const f = menuFlow();
    const s0 = startCall(f, call);
    const r = handleEvent(f, s0.state, ev({ type: 'timerFired', name: 'start.noInput#99' }));
    expect(r.commands).toEqual([]);
    expect(r.state).toBe(s0.state);
  });
});

describe('failures never leave dead air', () => {
  it('a failed command without an error branch plays the apology then transfers to the fallback', () => {
    const f = menuFlow();
    const s0 = startCall(f, call);
    const s1 = handleEvent(
      f,
      s0.state,
      ev({ type: 'commandFailed', commandId: 'start#2', code: 'GRAPH.500', message: 'boom' }),
    );
    expect(s1.state.step).toBe('$recovery');
    expect(cmd(s1, 'playPrompts').prompts).toEqual([{ name: 'sorry', text: 'Sorry' }]);
    const s2 = handleEvent(
      f,
      s1.state,
      ev({ type: 'promptCompleted', commandId: cmd(s1, 'playPrompts').id, status: 'completed' }),
    );
    expect(cmd(s2, 'transfer').target).toEqual({ kind: 'phone', number: '+14255550100' });
    const s3 = handleEvent(f, s2.state, ev({ type: 'transferAccepted' }));
    expect(s3.commands.at(-1)).toEqual({
      type: 'end',
      outcome: { kind: 'transferred', target: { kind: 'phone', number: '+14255550100' } },
    });
  });

  it('without a fallback the call hangs up with outcome failed', () => {
    const f = menuFlow('');
    const s1 = handleEvent(
      f,
      startCall(f, call).state,
      ev({ type: 'commandFailed', commandId: 'start#1', code: 'GRAPH.403', message: 'x' }),
    );
    expect(cmd(s1, 'playPrompts').prompts[0]!.name).toBe('$apology');
    const s2 = handleEvent(
      f,
      s1.state,
      ev({ type: 'promptCompleted', commandId: cmd(s1, 'playPrompts').id, status: 'failed' }),
    );
    expect(s2.commands.map((c) => c.type)).toEqual(['hangup', 'end']);
    expect(s2.state.outcome).toEqual({ kind: 'failed', code: 'GRAPH.403' });
  });

  it('the fallback transfer failing hangs up (no loop)', () => {
    const f = menuFlow();
    let r = handleEvent(
      f,
      startCall(f, call).state,
      ev({ type: 'commandFailed', commandId: 'start#2', code: 'E', message: 'x' }),
    );
    r = handleEvent(
      f,
      r.state,
      ev({ type: 'promptCompleted', commandId: cmd(r, 'playPrompts').id, status: 'completed' }),
    );
    r = handleEvent(f, r.state, ev({ type: 'transferFailed', code: 'busy' }));
    expect(r.commands.map((c) => c.type)).toEqual(['hangup', 'end']);
    expect(r.state.status).toBe('ended');
  });

  it('a step error branch wins over the apology', () => {
    const f = flowFrom(
      flowYaml(`  start:
    type: play
    prompts: [hello]
    next: done
    error: done
  done:
    type: hangup
`),
    );
    const r = handleEvent(
      f,
      startCall(f, call).state,
      ev({ type: 'commandFailed', commandId: 'start#1', code: 'GRAPH.X', message: 'x' }),
    );
    expect(r.transitions[0]).toMatchObject({ from: 'start', to: 'done', reason: 'error', input: 'GRAPH.X' });
    expect(r.commands.map((c) => c.type)).toEqual(['hangup', 'end']);
  });

  it('ignores failures of commands that are not the current step’s', () => {
    const f = menuFlow();
    const s0 = startCall(f, call);
    const r = handleEvent(
      f,
      s0.state,
      ev({ type: 'commandFailed', commandId: 'elsewhere#1', code: 'E', message: 'x' }),
    );
    expect(r.commands).toEqual([]);
  });
});

describe('caller hang-up and ended calls', () => {
  it('records hungUpByCaller at the current step; later events are ignored', () => {
    const f = menuFlow();
    const r = handleEvent(f, startCall(f, call).state, ev({ type: 'callerHungUp' }));
    expect(r.commands).toEqual([{ type: 'end', outcome: { kind: 'hungUpByCaller', atStep: 'start' } }]);
    const after = handleEvent(f, r.state, ev({ type: 'tone', key: '1', sequenceId: 1 }));
    expect(after).toEqual({ state: r.state, commands: [], transitions: [] });
  });
});

describe('purity and determinism', () => {
  const events = fc.array(
    fc.oneof(
      fc.record({
        type: fc.constant('tone'),
        key: fc.constantFrom('1', '2', '9', '#'),
        sequenceId: fc.integer({ min: 0, max: 20 }),
      }),
      fc.record({
        type: fc.constant('promptCompleted'),
        commandId: fc.constantFrom('start#2', 'start#4', 'one#5', 'two#3'),
        status: fc.constantFrom('completed', 'failed', 'canceled'),
      }),
      fc.record({
        type: fc.constant('timerFired'),
        name: fc.constantFrom('start.noInput#3', 'start.noInput#5'),
      }),
      fc.record({ type: fc.constantFrom('transferAccepted', 'transferFailed', 'callerHungUp') }),
      fc.record({
        type: fc.constant('commandFailed'),
        commandId: fc.constantFrom('start#2', 'two#3', '$recovery#4'),
        code: fc.constant('E'),
        message: fc.constant('m'),
      }),
    ),
    { maxLength: 30 },
  );

  it('same inputs give the same outputs, the input state is never mutated, and `end` is always last', () => {
    const f = menuFlow();
    fc.assert(
      fc.property(events, (evs) => {
        const run = (): StepResult[] => {
          const out: StepResult[] = [startCall(f, call)];
          let state: CallState = out[0]!.state;
          for (const e of evs) {
            const frozen = JSON.stringify(state);
            const r = handleEvent(f, state, ev(e));
            expect(JSON.stringify(state)).toBe(frozen);
            const endAt = r.commands.findIndex((c) => c.type === 'end');
            if (endAt >= 0) expect(endAt).toBe(r.commands.length - 1);
            out.push(r);
            state = r.state;
          }
          return out;
        };
        expect(JSON.stringify(run())).toBe(JSON.stringify(run()));
      }),
      { numRuns: 200 },
    );
  });
});
