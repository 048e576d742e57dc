import { describe, expect, it } from 'vitest';

import { handleEvent, startCall } from '../../../../shared/flow/interpreter.js';
import { AT, flowFrom, flowYaml } from '../helpers.js';

const flow = flowFrom(
  flowYaml(`  start:
    type: transfer
    prompt: hello
    target: { user: 6f1c2d3e-aaaa }
    failed: vm
  vm:
    type: record
    prompt: bye
    maxDuration: 30s
    stopKeys: ["#", "*"]
    into: msg
`),
);
const call = { callId: 'c', callerNumber: '+1', dialledNumber: '+2', at: AT };

describe('transfer and record', () => {
  it('plays the prompt, then transfers; accepted ends with outcome transferred', () => {
    const s0 = startCall(flow, call);
    expect(s0.commands.map((c) => c.type)).toEqual(['playPrompts']);
    const s1 = handleEvent(flow, s0.state, {
      type: 'promptCompleted',
      commandId: 'start#1',
      status: 'completed',
      at: AT,
    });
    expect(s1.commands).toEqual([
      { type: 'transfer', id: 'start#2', target: { kind: 'user', aadId: '6f1c2d3e-aaaa' } },
    ]);
    const s2 = handleEvent(flow, s1.state, { type: 'transferAccepted', at: AT });
    expect(s2.state.outcome).toEqual({
      kind: 'transferred',
      target: { kind: 'user', aadId: '6f1c2d3e-aaaa' },
    });
  });

  it('a failed prompt still transfers; a failed transfer goes to `failed` and records voicemail', () => {
    const s0 = startCall(flow, call);
    const s1 = handleEvent(flow, s0.state, {
      type: 'promptCompleted',
      commandId: 'start#1',
      status: 'failed',
      at: AT,
    });
    expect(s1.commands[0]?.type).toBe('transfer');
    const s2 = handleEvent(flow, s1.state, { type: 'transferFailed', code: 'declined', at: AT });
    expect(s2.transitions[0]).toMatchObject({ from: 'start', to: 'vm', reason: 'failed', input: 'declined' });
    expect(s2.commands).toEqual([
      {
        type: 'record',
        id: 'vm#3',
        prompt: { name: 'bye', text: 'Bye' },
        maxDurationMs: 30000,
        playBeep: true,
        stopTones: ['#', '*'],
        initialSilenceTimeoutMs: 5000,
        maxSilenceTimeoutMs: 5000,
      },
    ]);
    const s3 = handleEvent(flow, s2.state, {
      type: 'recordingCompleted',
      commandId: 'vm#3',
      status: 'completed',
      recordingLocation: 'https://r/1.wav',
      at: AT,
    });
    expect(s3.commands.map((c) => c.type)).toEqual(['hangup', 'end']);
    expect(s3.state.outcome).toEqual({ kind: 'voicemail', recordingLocation: 'https://r/1.wav' });
    expect(s3.state.vars.msg).toBe('https://r/1.wav');
  });
});
