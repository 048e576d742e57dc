// answerCall, keepAlive, finishCall and saveRecording with fakes typed against their ports (Graph
// client methods, RecordingStore), the embedded store and a loopback recording server.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createAnswerCallActivity } from '../../../orchestrations/activities/answer-call.activity.js';
import {
  createFinishCallActivity,
  toCallOutcome,
} from '../../../orchestrations/activities/finish-call.activity.js';
import { createKeepAliveActivity } from '../../../orchestrations/activities/keep-alive.activity.js';
import { createSaveRecordingActivity } from '../../../orchestrations/activities/save-recording.activity.js';
import { createEmbeddedStore } from '../../../local/store/embedded.store.js';
import { loadConfig } from '../../../shared/config/config.js';
import { GraphError, TokenAcquisitionError } from '../../../shared/graph/errors.js';
import type { RecordingStore, SaveRecordingInput } from '../../../shared/recordings/recordings.port.js';
import type { Store } from '../../../shared/store/index.js';

const CALL = 'call-9';
const config = loadConfig({
  SWITCHBOARD_BOT_APP_ID: 'bot',
  SWITCHBOARD_TENANT_ID: 't',
  SWITCHBOARD_CALLBACK_URL: 'https://bot.test/api/calling',
});

let store: Store;
beforeEach(async () => {
  store = createEmbeddedStore({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'call-activities-')) });
  await store.calls.create({
    callId: CALL,
    from: '+14255550199',
    to: '+14255550100',
    startedAt: '2026-01-07T16:00:00.000Z',
  });
});
afterEach(() => store.close());

const notFound = (): GraphError =>
  new GraphError('GRAPH.NOT_FOUND', 'gone', { status: 404 }, { retryable: false });

describe('answerCall', () => {
  it('answers with service-hosted audio on the configured callback and stamps answeredAt', async () => {
    const sent: unknown[] = [];
    const answer = createAnswerCallActivity({
      store,
      config,
      graph: { answer: (id, params) => (sent.push([id, params]), Promise.resolve()) },
    });
    const out = await answer({ callId: CALL });
    expect(out.ok).toBe(true);
    expect(sent).toEqual([
      [
        CALL,
        {
          callbackUri: 'https://bot.test/api/calling',
          acceptedModalities: ['audio'],
          mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
        },
      ],
    ]);
    expect((await store.calls.get(CALL))?.answeredAt).toBe(out.sentAt);
  });

  it('returns a token failure as a value (the orchestration then records the failure)', async () => {
    const answer = createAnswerCallActivity({
      store,
      config,
      graph: {
        answer: () => Promise.reject(new TokenAcquisitionError('no token', { msalCode: 'invalid_client' })),
      },
    });
    expect(await answer({ callId: CALL })).toMatchObject({ ok: false, code: 'GRAPH.TOKEN_FAILED' });
    expect((await store.calls.get(CALL))?.answeredAt).toBeUndefined();
  });
});

describe('keepAlive', () => {
  it('says gone on 404 and ok otherwise', async () => {
    expect(
      await createKeepAliveActivity({ graph: { keepAlive: () => Promise.resolve() } })({ callId: CALL }),
    ).toEqual({
      ok: true,
      gone: false,
    });
    expect(
      await createKeepAliveActivity({ graph: { keepAlive: () => Promise.reject(notFound()) } })({
        callId: CALL,
      }),
    ).toEqual({
      ok: false,
      gone: true,
    });
  });
});

describe('finishCall', () => {
  it('hangs up when asked (tolerating a call already gone) and records outcome, end and collected input', async () => {
    let hangUps = 0;
    const finish = createFinishCallActivity({
      store,
      graph: { hangUp: () => (hangUps++, Promise.reject(notFound())) },
    });
    const out = await finish({
      callId: CALL,
      outcome: { kind: 'failed', code: 'CALL.MEDIA_TIMEOUT' },
      step: 'menu',
      endedAt: '2026-01-07T16:02:00.000Z',
      hangUp: true,
      transitions: [],
      collected: { account: { value: '1234', pii: true } },
    });
    expect(out).toEqual({ hungUp: false });
    expect(hangUps).toBe(1);
    expect(await store.calls.get(CALL)).toMatchObject({
      status: 'ended',
      endedAt: '2026-01-07T16:02:00.000Z',
      outcome: {
        kind: 'failed',
        reason: 'CALL.MEDIA_TIMEOUT',
        step: 'menu',
        rendered: 'failed (CALL.MEDIA_TIMEOUT)',
      },
      collected: { account: { value: '1234', pii: true } },
    });
    expect((await store.timelines.list(CALL)).map((e) => e.kind)).toEqual(['outcome']);
  });

  it('maps interpreter outcomes to call record outcomes', () => {
    expect(
      toCallOutcome({ kind: 'transferred', target: { kind: 'phone', number: '+14255550111' } }, 'sales'),
    ).toEqual({
      kind: 'transferred',
      rendered: 'transferred to +14255550111',
      step: 'sales',
      target: '+14255550111',
    });
    expect(toCallOutcome({ kind: 'hungUpByCaller', atStep: 'menu' }, 'menu')).toMatchObject({ step: 'menu' });
    expect(toCallOutcome({ kind: 'rejected', reason: 'busy' }, undefined)).toEqual({
      kind: 'rejected',
      rendered: 'rejected (busy)',
      reason: 'busy',
    });
  });
});

describe('saveRecording', () => {
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer good-token') return void res.writeHead(401).end();
      if (req.url === '/busy') return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'audio/wav' }).end(Buffer.from('RIFF....WAVEfmt '));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  class MemoryRecordings implements RecordingStore {
    saved: SaveRecordingInput[] = [];
    save(input: SaveRecordingInput): Promise<{ url: string; bytes: number }> {
      this.saved.push(input);
      return Promise.resolve({
        url: `https://blob.test/voicemail/${input.callId}/${input.name}.wav`,
        bytes: input.data.byteLength,
      });
    }
  }

  it('downloads with the access token, stores the audio and links it from the call record', async () => {
    const recordings = new MemoryRecordings();
    const save = createSaveRecordingActivity({ store, recordings });
    const out = await save({
      callId: CALL,
      commandId: 'vm#3',
      recordingLocation: `${base}/rec`,
      recordingAccessToken: 'good-token',
    });
    expect(out).toEqual({ ok: true, url: `https://blob.test/voicemail/${CALL}/vm#3.wav`, bytes: 16 });
    expect(recordings.saved[0]).toMatchObject({ callId: CALL, name: 'vm#3', contentType: 'audio/wav' });
    expect((await store.calls.get(CALL))?.voicemail).toEqual({
      url: out.ok ? out.url : '',
      contentType: 'audio/wav',
    });
    expect(JSON.stringify(await store.timelines.list(CALL))).not.toContain('good-token');
  });

  it('returns refusals as values and throws retryable faults for a Durable retry', async () => {
    const save = createSaveRecordingActivity({ store, recordings: new MemoryRecordings() });
    const base0 = { callId: CALL, commandId: 'vm#3' };
    expect(
      await save({ ...base0, recordingLocation: `${base}/rec`, recordingAccessToken: 'wrong' }),
    ).toMatchObject({
      ok: false,
      code: 'RECORDINGS.DOWNLOAD_FAILED',
    });
    expect(
      await save({
        ...base0,
        recordingLocation: 'http://media.example.test/rec',
        recordingAccessToken: 'good-token',
      }),
    ).toMatchObject({
      ok: false,
      code: 'RECORDINGS.BAD_LOCATION',
    });
    await expect(
      save({ ...base0, recordingLocation: `${base}/busy`, recordingAccessToken: 'good-token' }),
    ).rejects.toMatchObject({
      code: 'RECORDINGS.DOWNLOAD_UNAVAILABLE',
      retryable: true,
    });
  });
});
