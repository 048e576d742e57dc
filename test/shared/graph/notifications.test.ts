import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  NotificationParseError,
  normalizeGraphId,
  parseNotificationCollection,
  sameGraphId,
  toneToKey,
  type CallEvent,
} from '../../../shared/graph/notifications.js';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/graph/', import.meta.url));

function load(name: string): unknown {
  return JSON.parse(fs.readFileSync(`${FIXTURES}${name}`, 'utf8'));
}

function one(name: string): CallEvent {
  const events = parseNotificationCollection(load(name));
  expect(events).toHaveLength(1);
  return events[0]!;
}

function parseError(body: unknown): NotificationParseError {
  try {
    parseNotificationCollection(body);
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationParseError);
    return err as NotificationParseError;
  }
  throw new Error('expected a NotificationParseError');
}

const CALL_57 = '57dab8b1-894c-409a-b240-bd8beae78896';
const CALL_341 = '341a0500-d4bf-4224-8b19-1581168d328b';

/** Expected reading of every notification fixture, one entry (and one test) per file. */
const expectations: Record<string, (e: CallEvent) => void> = {
  'notification-call-deleted-after-reject.json': (e) => {
    expect(e).toMatchObject({ kind: 'callTerminated', callId: CALL_57, changeType: 'deleted' });
    expect(e).not.toHaveProperty('resultInfo');
  },
  'notification-call-established.json': (e) => {
    expect(e).toMatchObject({
      kind: 'callEstablished',
      callId: CALL_57,
      rawCallId: '57DAB8B1894C409AB240BD8BEAE78896',
    });
  },
  'notification-call-establishing.json': (e) => {
    expect(e).toMatchObject({ kind: 'callEstablishing', callId: CALL_57 });
  },
  'notification-call-terminated.json': (e) => {
    expect(e).toMatchObject({
      kind: 'callTerminated',
      callId: CALL_57,
      resultInfo: { code: 200, subcode: 5001, message: 'The conversation has ended.' },
    });
  },
  'notification-call-terminating.json': (e) => {
    expect(e).toMatchObject({ kind: 'callTerminating', callId: CALL_57, changeType: 'updated' });
  },
  'notification-content-sharing-ended.json': (e) => {
    expect(e).toMatchObject({
      kind: 'unknown',
      callId: '421f4c00-4436-4c3a-9d9a-c4924cf98e67',
      changeType: 'deleted',
      reason: 'resource contentsharingsessions',
    });
  },
  'notification-content-sharing-started.json': (e) => {
    expect(e).toMatchObject({
      kind: 'unknown',
      changeType: 'created',
      reason: 'resource contentsharingsessions',
    });
  },
  'notification-incoming-call-app-hosted-media.json': (e) => {
    expect(e).toMatchObject({
      kind: 'incomingCall',
      callId: CALL_57,
      source: { kind: 'user', displayName: 'Test User' },
      dialled: { kind: 'application', displayName: 'Test BOT' },
      requestedModalities: ['audio'],
    });
  },
  'notification-incoming-call-audio-video.json': (e) => {
    expect(e.kind).toBe('incomingCall');
    if (e.kind !== 'incomingCall') return;
    expect(e.requestedModalities).toEqual(['audio', 'video']);
  },
  'notification-incoming-call-pstn-app-instance.json': (e) => {
    expect(e).toMatchObject({
      kind: 'incomingCall',
      callId: '491f0b00-ffff-4bc9-a43e-b226498ec22a',
      direction: 'incoming',
      tenantId: '632899f8-2ea1-4604-8413-27bd2892079f',
      callbackUri: 'https://bot.contoso.com/api/calls/24701998-1a73-4d42-8085-bf46ed0ae039',
      myParticipantId: 'c339cede-4bd6-4f20-ab9f-3a13e65f6d00',
      source: { kind: 'user', id: '8d1e6ab6-26c5-4e22-a1bc-06ea7343958e' },
      dialled: {
        kind: 'applicationInstance',
        id: '7629bdce-046c-4903-86b4-a8f718277e1a',
        displayName: 'PstnAppInstance',
        tenantId: '632899f8-2ea1-4604-8413-27bd2892079f',
      },
    });
  },
  'notification-incoming-call.json': (e) => {
    expect(e).toMatchObject({
      kind: 'incomingCall',
      callId: CALL_57,
      source: { kind: 'user', id: '8A34A46B-3D17-4ADC-8DCE-DC4E7D572698', displayName: 'Test User' },
      targets: [{ kind: 'application', displayName: 'Test BOT' }],
      requestedModalities: ['audio'],
    });
  },
  'notification-join-meeting-establishing.json': (e) => {
    expect(e).toMatchObject({
      kind: 'callEstablishing',
      callId: '2f1a1100-b174-40a0-aba7-0b405e01ed92',
      callbackUri: 'https://bot.contoso.com/callback',
    });
  },
  'notification-outgoing-call-established.json': (e) => {
    expect(e).toMatchObject({ kind: 'callEstablished', callId: '2e1a0b00-b3c5-4b0f-99b3-c133bc1e6116' });
  },
  'notification-outgoing-call-establishing.json': (e) => {
    expect(e).toMatchObject({
      kind: 'callEstablishing',
      callId: '2e1a0b00-2db4-4022-9570-243709c565ab',
      callbackUri: 'https://bot.contoso.com/callback',
    });
  },
  'notification-participants-invite-completed.json': (e) => {
    expect(e).toMatchObject({
      kind: 'operationCompleted',
      operationType: 'inviteParticipants',
      callId: 'ab6233a5-20b7-4c5e-bea2-ce56c9776429',
      operationId: 'eec3812a-fdc3-4fb4-825c-a06c9f35414e',
      clientContext: 'f2fa86af-3c51-4bc2-8fc0-475452d9764f',
      succeeded: true,
    });
  },
  'notification-participants-updated-added.json': (e) => {
    expect(e).toMatchObject({
      kind: 'participantsUpdated',
      participants: [
        {
          id: null,
          identity: { kind: 'application', id: '278405a3-f568-4b3e-b684-009193463064' },
          isMuted: false,
        },
      ],
    });
  },
  'notification-participants-updated-muted.json': (e) => {
    expect(e).toMatchObject({
      kind: 'participantsUpdated',
      callId: CALL_57,
      participants: [{ id: '2765eb15-01f8-47c6-b12b-c32111a4a86f', isMuted: true, mediaTypes: ['audio'] }],
    });
  },
  'notification-participants-updated-unmuted.json': (e) => {
    expect(e.kind).toBe('participantsUpdated');
    if (e.kind !== 'participantsUpdated') return;
    expect(e.participants.map((p) => p.isMuted)).toEqual([false]);
  },
  'notification-participants-updated.json': (e) => {
    expect(e.kind).toBe('participantsUpdated');
    if (e.kind !== 'participantsUpdated') return;
    expect(e.participants).toHaveLength(2);
    expect(e.participants[0]).toMatchObject({ identity: { kind: 'user', displayName: 'John' } });
    expect(e.participants[0]!.mediaTypes).toContain('video');
    expect(e.callbackUri).toBe('https://bot.contoso.com/callback');
  },
  'notification-playprompt-completed.json': (e) => {
    expect(e).toMatchObject({
      kind: 'operationCompleted',
      operationType: 'playPrompt',
      callId: CALL_57,
      operationId: '0fe0623f-d628-42ed-b4bd-8ac290072cc5',
      clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
      status: 'completed',
      resultInfo: { code: 200, subcode: 0 },
      succeeded: true,
    });
  },
  'notification-recordresponse-completed.json': (e) => {
    expect(e).toMatchObject({
      kind: 'operationCompleted',
      operationType: 'recordResponse',
      clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
      resultInfo: { code: 200, subcode: 8515 },
      recordingLocation: 'https://file.location/17e3b46c-f61d-4f4d-9635-c626ef18e6ad',
      recordingAccessToken: '<access-token>',
      succeeded: true,
    });
  },
  'notification-redirect-terminated.json': (e) => {
    expect(e).toMatchObject({ kind: 'callTerminated', callId: '491f0b00-ffff-4bc9-a43e-b226498ec22a' });
  },
  'notification-senddtmftones-completed.json': (e) => {
    expect(e).toMatchObject({
      kind: 'operationCompleted',
      operationType: 'sendDtmfTones',
      completionReason: 'completedSuccessfully',
      clientContext: 'e0be71f1-a14f-4cec-b65a-e7aba5db7c53',
      succeeded: true,
    });
  },
  'notification-tone-received.json': (e) => {
    expect(e).toMatchObject({ kind: 'tone', callId: CALL_57, tone: 'tone1', key: '1', sequenceId: 1 });
  },
  'notification-transfer-accepted.json': (e) => {
    expect(e).toMatchObject({ kind: 'transferAccepted', callId: CALL_341 });
  },
  'notification-transfer-completed.json': (e) => {
    expect(e).toMatchObject({
      kind: 'transferCompleted',
      callId: CALL_341,
      resultInfo: { code: 0, subcode: 7015 },
    });
  },
  'notification-transfer-failed-consultative.json': (e) => {
    expect(e).toMatchObject({
      kind: 'transferFailed',
      resultInfo: { code: 500, subcode: 7700 },
      replacesContext: '<replacesContext>',
    });
  },
  'notification-transfer-failed.json': (e) => {
    expect(e).toMatchObject({
      kind: 'transferFailed',
      callId: CALL_341,
      resultInfo: { code: 500, subcode: 7000 },
    });
  },
  'notification-transfer-transferring.json': (e) => {
    expect(e).toMatchObject({ kind: 'transferring', callId: CALL_341 });
  },
};

describe('parseNotificationCollection on the Graph reference fixtures', () => {
  it('has an expectation for every notification fixture on disk', () => {
    const onDisk = fs
      .readdirSync(FIXTURES)
      .filter((f) => f.startsWith('notification-') && f.endsWith('.json'));
    expect(onDisk.length).toBeGreaterThan(0);
    expect(Object.keys(expectations).sort()).toEqual(onDisk.sort());
  });

  for (const [file, check] of Object.entries(expectations)) {
    it(`reads ${file}`, () => {
      const body = load(file) as { value: unknown[] };
      const event = one(file);
      check(event);
      expect(event.raw).toEqual(body.value[0]);
    });
  }
});

describe('quirks of real bodies (fixtures README)', () => {
  it('1: resourceData as an object, an array, or absent', () => {
    expect(one('notification-call-established.json').kind).toBe('callEstablished');
    expect(one('notification-participants-updated-muted.json').kind).toBe('participantsUpdated');
    const absent = one('notification-content-sharing-started.json');
    expect(absent.kind).toBe('unknown');
    // A participant roster sent as a single object is read as a one-element roster.
    const single = parseNotificationCollection({
      value: [
        {
          changeType: 'updated',
          resourceUrl: '/communications/calls/c1/participants',
          resourceData: { id: 'p1', isMuted: true },
        },
      ],
    });
    expect(single[0]).toMatchObject({
      kind: 'participantsUpdated',
      participants: [{ id: 'p1', isMuted: true }],
    });
    // A call deleted with no resourceData at all still ends the call.
    const gone = parseNotificationCollection({
      value: [{ changeType: 'deleted', resourceUrl: '/communications/calls/c2' }],
    });
    expect(gone[0]).toMatchObject({ kind: 'callTerminated', callId: 'c2' });
  });

  it('2: codes as numbers or strings, subcode spelled subCode', () => {
    const asStrings = one('notification-call-terminated.json');
    expect(asStrings.kind === 'callTerminated' && asStrings.resultInfo).toEqual({
      code: 200,
      subcode: 5001,
      message: 'The conversation has ended.',
    });
    const capitalC = one('notification-transfer-failed.json');
    expect(capitalC.kind === 'transferFailed' && capitalC.resultInfo.subcode).toBe(7000);
  });

  it('3: operation status casing (Running) is normalised', () => {
    const body = load('response-participants-invite-operation.json') as Record<string, unknown>;
    const events = parseNotificationCollection({
      value: [
        {
          changeType: 'updated',
          resourceUrl: `/communications/calls/c1/operations/${String(body.id)}`,
          resourceData: body,
        },
      ],
    });
    expect(events[0]).toMatchObject({ kind: 'operationUpdated', status: 'running', succeeded: false });
  });

  it('4: completed is not success: completionReason and resultInfo are checked', () => {
    const canceled = parseNotificationCollection({
      value: [
        {
          changeType: 'deleted',
          resourceUrl: '/communications/calls/c1/operations/o1',
          resourceData: {
            '@odata.type': '#microsoft.graph.playPromptOperation',
            status: 'completed',
            completionReason: 'mediaOperationCanceled',
            clientContext: 'ctx',
          },
        },
        {
          changeType: 'deleted',
          resourceUrl: '/communications/calls/c1/operations/o2',
          resourceData: {
            '@odata.type': '#microsoft.graph.recordOperation',
            status: 'failed',
            resultInfo: { code: 400, subcode: 8508, message: 'canceled' },
          },
        },
        {
          changeType: 'deleted',
          resourceUrl: '/communications/calls/c1/operations/o3',
          resourceData: {
            '@odata.type': '#microsoft.graph.playPromptOperation',
            status: 'completed',
            resultInfo: { code: 404, subcode: 9999 },
          },
        },
      ],
    });
    expect(canceled.map((e) => [e.kind, 'succeeded' in e ? e.succeeded : undefined])).toEqual([
      ['operationCompleted', false],
      ['operationFailed', false],
      ['operationCompleted', false],
    ]);
  });

  it('5: DTMF arrives as a call update with toneInfo, not as an operation', () => {
    const e = one('notification-tone-received.json');
    expect(e.kind).toBe('tone');
    expect(['0', '5', '9', '*', '#', 'A', 'D', null].map((k) => k)).toEqual(
      ['tone0', 'tone5', 'tone9', 'star', 'pound', 'a', 'd', 'flash'].map(toneToKey),
    );
    expect(toneToKey('toString')).toBeNull();
  });

  it('6: legacy /app/calls/ resource and a resourceUrl without the leading /', () => {
    const legacyOnly = parseNotificationCollection({
      value: [
        {
          changeType: 'updated',
          resource: '/app/calls/ab6233a5-20b7-4c5e-bea2-ce56c9776429/participants',
          resourceData: [],
        },
        {
          changeType: 'updated',
          resourceUrl: 'communications/calls/57DAB8B1894C409AB240BD8BEAE78896',
          resourceData: { state: 'established' },
        },
      ],
    });
    expect(legacyOnly[0]).toMatchObject({
      kind: 'participantsUpdated',
      callId: 'ab6233a5-20b7-4c5e-bea2-ce56c9776429',
      resourceUrl: '/communications/calls/ab6233a5-20b7-4c5e-bea2-ce56c9776429/participants',
    });
    expect(legacyOnly[1]).toMatchObject({ kind: 'callEstablished', callId: CALL_57 });
    const both = one('notification-participants-invite-completed.json');
    expect(both.resourceUrl.startsWith('/communications/calls/')).toBe(true);
  });

  it('7: a notification-level callbackUri is carried when the call has none', () => {
    expect(one('notification-outgoing-call-establishing.json').callbackUri).toBe(
      'https://bot.contoso.com/callback',
    );
    expect(one('notification-participants-updated.json').callbackUri).toBe(
      'https://bot.contoso.com/callback',
    );
  });

  it('8: ids in several forms compare equal; operations correlate by clientContext', () => {
    const completion = one('notification-playprompt-completed.json');
    const started = load('response-playprompt-operation.json') as { id: string; clientContext: string };
    expect(completion.kind === 'operationCompleted' && completion.clientContext).toBe(started.clientContext);
    expect(completion.kind === 'operationCompleted' && completion.operationId).toBe(
      normalizeGraphId(started.id),
    );
    expect(sameGraphId('57DAB8B1894C409AB240BD8BEAE78896', CALL_57)).toBe(true);
    expect(normalizeGraphId('491f0b00-ffff-4bc9-a43e-b226498ec22a')).toBe(
      '491f0b00-ffff-4bc9-a43e-b226498ec22a',
    );
    expect(normalizeGraphId('not-a-guid')).toBe('not-a-guid');
    expect(one('notification-incoming-call.json').callId).toBe(one('notification-tone-received.json').callId);
  });

  it('9: placeholder values are kept verbatim, and unknown fields survive in raw', () => {
    const e = one('notification-transfer-failed-consultative.json');
    expect(e.kind === 'transferFailed' && e.resultInfo.message).toBe('<message>');
    const withExtra = parseNotificationCollection({
      value: [
        {
          changeType: 'updated',
          resourceUrl: '/communications/calls/c1',
          futureField: { x: 1 },
          resourceData: { state: 'hold', alsoNew: true },
        },
      ],
    });
    expect(withExtra[0]).toMatchObject({ kind: 'callUpdated', state: 'hold' });
    expect(withExtra[0]!.raw).toMatchObject({ futureField: { x: 1 }, resourceData: { alsoNew: true } });
  });
});

describe('malformed bodies', () => {
  it.each([
    ['not an object', 'nope', 'body'],
    ['no value', {}, 'value'],
    ['value not an array', { value: {} }, 'value'],
    ['item not an object', { value: [3] }, 'value[0]'],
    ['no changeType', { value: [{ resourceUrl: '/communications/calls/c1' }] }, 'value[0].changeType'],
    ['no resource path', { value: [{ changeType: 'updated' }] }, 'value[0].resourceUrl'],
    [
      'resourceData a string',
      { value: [{ changeType: 'updated', resourceUrl: '/communications/calls/c', resourceData: 'x' }] },
      'value[0].resourceData',
    ],
    [
      'state a number',
      {
        value: [
          { changeType: 'updated', resourceUrl: '/communications/calls/c', resourceData: {} },
          { changeType: 'updated', resourceUrl: '/communications/calls/c', resourceData: {} },
          { changeType: 'updated', resourceUrl: '/communications/calls/c', resourceData: { state: 5 } },
        ],
      },
      'value[2].resourceData.state',
    ],
    [
      'code not numeric',
      {
        value: [
          {
            changeType: 'deleted',
            resourceUrl: '/communications/calls/c',
            resourceData: { state: 'terminated', resultInfo: { code: 'ok' } },
          },
        ],
      },
      'value[0].resourceData.resultInfo.code',
    ],
    [
      'tone missing',
      {
        value: [
          {
            changeType: 'updated',
            resourceUrl: '/communications/calls/c',
            resourceData: { state: 'established', toneInfo: { sequenceId: 1 } },
          },
        ],
      },
      'value[0].resourceData.toneInfo.tone',
    ],
    [
      'participant not an object',
      {
        value: [
          { changeType: 'updated', resourceUrl: '/communications/calls/c/participants', resourceData: [1] },
        ],
      },
      'value[0].resourceData[0]',
    ],
  ])('%s → GRAPH.BAD_NOTIFICATION at the offending path', (_label, body, path) => {
    const err = parseError(body);
    expect(err.code).toBe('GRAPH.BAD_NOTIFICATION');
    expect(err.path).toBe(path);
    expect(err.message.startsWith(`${path}: expected`)).toBe(true);
  });

  it('never throws anything but NotificationParseError, whatever the JSON (fast-check)', () => {
    const callPaths = fc.constantFrom(
      '/communications/calls/c1',
      'communications/calls/57DAB8B1894C409AB240BD8BEAE78896/operations/o',
      '/app/calls/x/participants',
      '/communications/calls/',
      '/other',
    );
    const item = fc.record(
      {
        changeType: fc.oneof(fc.constantFrom('created', 'updated', 'deleted'), fc.anything()),
        resourceUrl: fc.oneof(callPaths, fc.anything()),
        resource: fc.oneof(callPaths, fc.anything()),
        callbackUri: fc.anything(),
        resourceData: fc.oneof(
          fc.anything(),
          fc.record(
            {
              '@odata.type': fc.oneof(
                fc.constantFrom('#microsoft.graph.recordOperation', 'x'),
                fc.anything(),
              ),
              state: fc.oneof(fc.constantFrom('incoming', 'established', 'terminated'), fc.anything()),
              status: fc.anything(),
              toneInfo: fc.oneof(
                fc.record({ tone: fc.anything(), sequenceId: fc.anything() }),
                fc.anything(),
              ),
              resultInfo: fc.oneof(fc.record({ code: fc.anything(), subCode: fc.anything() }), fc.anything()),
              source: fc.anything(),
              targets: fc.oneof(fc.array(fc.record({ identity: fc.anything() })), fc.anything()),
              requestedModalities: fc.anything(),
              mediaState: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          fc.array(fc.anything()),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(fc.anything(), fc.record({ value: fc.oneof(fc.array(item), fc.anything()) }));
    fc.assert(
      fc.property(body, (b) => {
        try {
          const events = parseNotificationCollection(b);
          for (const e of events) expect(typeof e.kind).toBe('string');
        } catch (err) {
          if (!(err instanceof NotificationParseError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
