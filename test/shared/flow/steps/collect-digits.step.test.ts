import { describe, expect, it } from 'vitest';

import { handleEvent, startCall } from '../../../../shared/flow/interpreter.js';
import type { FlowEvent, StepResult } from '../../../../shared/flow/model.js';
import { AT, flowFrom, flowYaml } from '../helpers.js';

const flow = flowFrom(
  flowYaml(`  start:
    type: collectDigits
    prompt: hello
    into: account
    minDigits: 4
    maxDigits: 6
    pattern: "^[1-9]"
    retries: 1
    invalidPrompt: sorry
    noInputPrompt: again
    firstDigitTimeout: 4s
    interDigitTimeout: 2s
    next: ok
    failed: nope
  ok: { type: hangup }
  nope: { type: hangup, prompt: bye }
`),
);
const call = { callId: 'c', callerNumber: '+1', dialledNumber: '+2', at: AT };
let seq = 0;
const tone = (key: string): FlowEvent => ({ type: 'tone', key, sequenceId: ++seq, at: AT });
const press = (r: StepResult, keys: string): StepResult =>
  [...keys].reduce((acc, k) => handleEvent(flow, acc.state, tone(k)), r);

describe('collectDigits', () => {
  it('collects up to the terminator, stores into the variable and `digits`', () => {
    const r = press(startCall(flow, call), '1234#');
    expect(r.state.vars.account).toBe('1234');
    expect(r.state.vars.digits).toBe('1234');
    expect(r.transitions[0]).toMatchObject({ from: 'start', to: 'ok', reason: 'next', input: '1234' });
  });

  it('finishes on maxDigits without a terminator', () => {
    const r = press(startCall(flow, call), '123456');
    expect(r.state.step).toBe('ok');
    expect(r.state.status).toBe('ended');
  });

  it('the first key cancels the prompt (barge-in) and starts the inter-digit timer', () => {
    const s0 = startCall(flow, call);
    const r = handleEvent(flow, s0.state, tone('5'));
    expect(r.commands).toEqual([
      { type: 'cancelMedia', id: 'start#2' },
      expect.objectContaining({ type: 'startTimer', durationMs: 2000 }),
    ]);
  });

  it('the inter-digit timeout ends the entry', () => {
    let r = press(startCall(flow, call), '98765');
    const timer = r.commands.find((c) => c.type === 'startTimer');
    r = handleEvent(flow, r.state, {
      type: 'timerFired',
      name: timer && 'name' in timer ? timer.name : '',
      at: AT,
    });
    expect(r.state.vars.account).toBe('98765');
  });

  it('a short or non-matching entry re-asks with the invalid prompt, then goes to failed', () => {
    let r = press(startCall(flow, call), '12#');
    expect(r.transitions[0]).toMatchObject({ reason: 'invalid:retry', input: '12' });
    const play = r.commands.find((c) => c.type === 'playPrompts');
    expect(play && 'prompts' in play ? play.prompts.map((p) => p.name) : []).toEqual(['sorry', 'hello']);
    r = press(r, '0123#');
    expect(r.transitions[0]).toMatchObject({ from: 'start', to: 'nope', reason: 'failed', input: '0123' });
  });

  it('silence after the prompt is a no-input with its own prompt', () => {
    let r = startCall(flow, call);
    r = handleEvent(flow, r.state, {
      type: 'promptCompleted',
      commandId: 'start#2',
      status: 'completed',
      at: AT,
    });
    const timer = r.commands.find((c) => c.type === 'startTimer');
    expect(timer).toMatchObject({ durationMs: 4000 });
    r = handleEvent(flow, r.state, {
      type: 'timerFired',
      name: timer && 'name' in timer ? timer.name : '',
      at: AT,
    });
    expect(r.transitions[0]?.reason).toBe('noInput:retry');
    const play = r.commands.find((c) => c.type === 'playPrompts');
    expect(play && 'prompts' in play ? play.prompts[0]?.name : '').toBe('again');
  });
});
