// The pure CallEvent -> FlowEvent mapping of the call orchestration, table-driven.
import { describe, expect, it } from 'vitest';

import type { GraphEventPayload } from '../../orchestrations/activity-contracts.js';
import { cancelContext, mapGraphEvent } from '../../orchestrations/call-events.js';

const at = '2026-01-07T16:00:00.000Z';
const ctx = { at, canceled: ['menu#2'] };
const op = (extra: Record<string, unknown>): GraphEventPayload => ({
  kind: 'operationCompleted',
  callId: 'c1',
  operationType: 'playPrompt',
  succeeded: true,
  status: 'completed',
  ...extra,
});

describe('mapGraphEvent', () => {
  it.each([
    [
      'a completed prompt',
      op({ clientContext: 'play#1' }),
      { type: 'promptCompleted', commandId: 'play#1', status: 'completed' },
    ],
    [
      'a prompt failed by our barge-in cancel',
      op({
        kind: 'operationFailed',
        clientContext: 'menu#2',
        succeeded: false,
        resultInfo: { code: 400, subcode: 8508 },
      }),
      { type: 'promptCompleted', commandId: 'menu#2', status: 'canceled' },
    ],
    [
      'a prompt cancelled (subcode 8508) we did not track',
      op({
        kind: 'operationFailed',
        clientContext: 'x#9',
        succeeded: false,
        resultInfo: { code: 400, subcode: 8508 },
      }),
      { type: 'promptCompleted', commandId: 'x#9', status: 'canceled' },
    ],
    [
      'a prompt that failed to download',
      op({
        kind: 'operationFailed',
        clientContext: 'x#9',
        succeeded: false,
        resultInfo: { code: 400, subcode: 8536 },
      }),
      { type: 'promptCompleted', commandId: 'x#9', status: 'failed' },
    ],
    [
      'a failed recording',
      op({
        kind: 'operationFailed',
        operationType: 'recordResponse',
        clientContext: 'vm#4',
        succeeded: false,
      }),
      { type: 'recordingCompleted', commandId: 'vm#4', status: 'failed' },
    ],
    [
      'a failed subscribeToTone',
      op({
        kind: 'operationFailed',
        operationType: 'subscribeToTone',
        clientContext: 'menu#1',
        succeeded: false,
        resultInfo: { code: 500 },
      }),
      {
        type: 'commandFailed',
        commandId: 'menu#1',
        code: 'GRAPH.OPERATION_FAILED',
        message: 'subscribeToTone failed (500)',
      },
    ],
    [
      'a tone',
      { kind: 'tone', callId: 'c1', key: '#', tone: 'pound', sequenceId: 4 },
      { type: 'tone', key: '#', sequenceId: 4 },
    ],
    [
      'transfer completed',
      { kind: 'transferCompleted', callId: 'c1', resultInfo: { code: 0, subcode: 7015 } },
      { type: 'transferCompleted' },
    ],
    [
      'transfer failed',
      { kind: 'transferFailed', callId: 'c1', resultInfo: { code: 500, subcode: 7000 } },
      { type: 'transferFailed', code: 'TRANSFER.FAILED_500_7000' },
    ],
  ])('%s', (_name, event, expected) => {
    expect(mapGraphEvent(event, ctx)).toEqual({ kind: 'flow', event: { ...expected, at } });
  });

  it('asks for the recording to be saved when a recordResponse completed with a location and token', () => {
    const e = op({
      operationType: 'recordResponse',
      clientContext: 'vm#4',
      recordingLocation: 'https://r/1',
      recordingAccessToken: 'tok',
    });
    expect(mapGraphEvent(e, ctx)).toEqual({
      kind: 'saveRecording',
      commandId: 'vm#4',
      recordingLocation: 'https://r/1',
      recordingAccessToken: 'tok',
    });
  });

  it('reports media state, termination, and ignores what the interpreter does not need', () => {
    expect(mapGraphEvent({ kind: 'callEstablished', callId: 'c1', audioActive: true }, ctx)).toEqual({
      kind: 'established',
      audioActive: true,
    });
    expect(mapGraphEvent({ kind: 'callEstablished', callId: 'c1', audioActive: false }, ctx)).toEqual({
      kind: 'established',
      audioActive: false,
    });
    expect(mapGraphEvent({ kind: 'callEstablished', callId: 'c1' }, ctx)).toEqual({
      kind: 'established',
      audioActive: true,
    });
    expect(mapGraphEvent({ kind: 'callTerminated', callId: 'c1' }, ctx)).toEqual({ kind: 'terminated' });
    for (const e of [
      { kind: 'callEstablishing', callId: 'c1' },
      { kind: 'transferAccepted', callId: 'c1' },
      { kind: 'participantsUpdated', callId: 'c1' },
      { kind: 'tone', callId: 'c1', key: null, tone: 'flash' },
      op({ kind: 'operationUpdated', clientContext: 'p#1' }),
      op({ clientContext: undefined }),
      op({
        kind: 'operationFailed',
        operationType: 'cancelMediaProcessing',
        clientContext: cancelContext('menu#2'),
        succeeded: false,
      }),
    ])
      expect(mapGraphEvent(e, ctx).kind).toBe('ignore');
  });
});
