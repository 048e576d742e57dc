// The production Graph layer (shared/graph) against the simulator: every notification the
// simulator posts in the scenarios below parses into the intended typed event (never `unknown`),
// and the production client's retry honours the simulator's 429 + Retry-After.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphCallsClient } from '../../../shared/graph/calls-client.js';
import { parseNotificationCollection } from '../../../shared/graph/notifications.js';
import type { CallEvent } from '../../../shared/graph/notifications.js';
import { createMsalTokenProvider } from '../../../shared/graph/token-provider.js';
import { startGraphSimulator } from '../../../local/graph-sim/index.js';
import type { GraphSimulator } from '../../../local/graph-sim/index.js';
import { BOT, SECRET, startTestSimulator, startWebhook, tempDir, waitFor, writeWav } from './helpers.js';
import type { Webhook } from './helpers.js';

let sim: GraphSimulator;
let hook: Webhook;
let client: GraphCallsClient;

beforeEach(async () => {
  hook = await startWebhook();
  sim = await startTestSimulator(hook.url);
  const tokenProvider = createMsalTokenProvider({
    tenantId: sim.tenantId,
    clientId: BOT,
    clientSecret: SECRET,
    authority: sim.authorityHost,
    authorityMetadata: sim.authorityMetadata,
  });
  client = new GraphCallsClient({ baseUrl: sim.graphBaseUrl, tokenProvider, retry: { baseDelayMs: 10 } });
});

afterEach(async () => {
  await sim.stop();
  await hook.close();
});

const media = { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } as const;
const eventsOf = (callId: string): CallEvent[] =>
  hook.received.flatMap((r) => parseNotificationCollection(r.body)).filter((e) => e.callId === callId);
const kinds = (callId: string): string[] =>
  eventsOf(callId).map((e) =>
    e.kind.startsWith('operation') && 'operationType' in e ? `${e.kind}:${e.operationType}` : e.kind,
  );

it('every simulated notification parses into the intended CallEvent', async () => {
  const dir = tempDir();
  const wav = writeWav(dir, 'menu.wav', 1000);

  // 1) prompt, tone, record, roster, bot hang-up
  const c1 = await sim.placeCall({
    from: '+14255550100',
    to: '+18005550199',
    steps: [{ type: 'waitForPrompt', n: 1, phase: 'end' }, '5', { type: 'say', ms: 500 }],
  });
  await waitFor(() => eventsOf(c1.id).length === 1, 5000, 'incoming');
  await client.answer(c1.id, { callbackUri: hook.url, acceptedModalities: ['audio'], mediaConfig: media });
  await c1.waitForState('established');
  await client.subscribeToTone(c1.id, { clientContext: 'tones' });
  await client.playPrompt(c1.id, {
    clientContext: 'menu',
    prompts: [{ '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: wav, resourceId: 'm' } }],
  });
  await client.recordResponse(c1.id, {
    clientContext: 'rec',
    maxSilenceTimeoutInSeconds: 1,
    initialSilenceTimeoutInSeconds: 5,
    maxRecordDurationInSeconds: 10,
  });
  await waitFor(() => kinds(c1.id).includes('operationCompleted:recordResponse'), 10_000, 'record done');
  await client.mute(c1.id, { clientContext: 'mute' });
  await client.hangUp(c1.id);
  await c1.ended();
  await sim.notificationsIdle(c1.id);
  expect(kinds(c1.id)).toEqual([
    'incomingCall',
    'callEstablishing',
    'callEstablished',
    'operationCompleted:playPrompt',
    'tone',
    'operationCompleted:recordResponse',
    'participantsUpdated',
    'callTerminating',
    'callTerminated',
  ]);
  const incoming = eventsOf(c1.id)[0]!;
  expect(incoming.kind === 'incomingCall' && incoming.dialled).toMatchObject({
    kind: 'phone',
    id: '+18005550199',
  });
  expect(incoming.kind === 'incomingCall' && incoming.source).toMatchObject({
    kind: 'phone',
    id: '+14255550100',
  });
  const rec = eventsOf(c1.id).find(
    (e) => e.kind === 'operationCompleted' && e.operationType === 'recordResponse',
  );
  expect(rec).toMatchObject({ succeeded: true, clientContext: 'rec' });
  expect(rec && 'recordingLocation' in rec && rec.recordingLocation).toMatch(
    /^http:\/\/127\.0\.0\.1:\d+\/sim\/recordings\//,
  );
  const tone = eventsOf(c1.id).find((e) => e.kind === 'tone');
  expect(tone).toMatchObject({ key: '5', sequenceId: 1 });

  // 2) transfer fails, then completes
  const c2 = await sim.placeCall({
    from: { userId: 'u-2' },
    to: BOT,
    steps: [{ type: 'transferTarget', outcome: 'fail', afterMs: 200 }],
  });
  await waitFor(() => eventsOf(c2.id).length === 1, 5000, 'incoming 2');
  await client.answer(c2.id, { callbackUri: hook.url, acceptedModalities: ['audio'], mediaConfig: media });
  await c2.waitForState('established');
  const target = { identity: { phone: { '@odata.type': '#microsoft.graph.identity', id: '+12345678901' } } };
  await client.transfer(c2.id, { transferTarget: target });
  await waitFor(() => kinds(c2.id).includes('transferFailed'), 10_000, 'transfer failed');
  await client.transfer(c2.id, { transferTarget: target });
  await c2.ended();
  await sim.notificationsIdle(c2.id);
  expect(kinds(c2.id)).toEqual([
    'incomingCall',
    'callEstablishing',
    'callEstablished',
    'transferring',
    'transferAccepted',
    'transferFailed',
    'transferring',
    'transferAccepted',
    'transferCompleted',
  ]);

  // 3) a failed prompt, cancel, caller hang-up
  const c3 = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
  await waitFor(() => eventsOf(c3.id).length === 1, 5000, 'incoming 3');
  await client.answer(c3.id, { callbackUri: hook.url, acceptedModalities: ['audio'], mediaConfig: media });
  await c3.waitForState('established');
  await client.playPrompt(c3.id, {
    clientContext: 'bad',
    prompts: [
      {
        '@odata.type': '#microsoft.graph.mediaPrompt',
        mediaInfo: { uri: 'https://cdn.contoso.com/x.wav', resourceId: 'x' },
      },
    ],
  });
  await waitFor(() => kinds(c3.id).includes('operationFailed:playPrompt'), 10_000, 'failed prompt');
  const failed = eventsOf(c3.id).find((e) => e.kind === 'operationFailed');
  expect(failed).toMatchObject({
    succeeded: false,
    clientContext: 'bad',
    resultInfo: { code: 400, subcode: 8536 },
  });
  await fetch(`${sim.url}/sim/calls/${c3.id}/hangup`, { method: 'POST' });
  await c3.ended();
  await sim.notificationsIdle(c3.id);
  expect(kinds(c3.id).at(-1)).toBe('callTerminated');

  // 4) rejected and unanswered calls end with callTerminated
  const c4 = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
  await waitFor(() => eventsOf(c4.id).length === 1, 5000, 'incoming 4');
  await client.reject(c4.id, { reason: 'busy' });
  await c4.ended();
  await sim.notificationsIdle(c4.id);
  expect(kinds(c4.id)).toEqual(['incomingCall', 'callTerminated']);

  expect(
    hook.received.flatMap((r) => parseNotificationCollection(r.body)).filter((e) => e.kind === 'unknown'),
  ).toEqual([]);
});

it('the production client retries the simulated 429 after Retry-After and then succeeds', async () => {
  const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
  await waitFor(() => eventsOf(call.id).length === 1, 5000, 'incoming');
  sim.faults.request({ kind: 'throttle', method: 'POST', path: '/answer$', retryAfterSeconds: 1 });
  await client.answer(call.id, { callbackUri: hook.url, acceptedModalities: ['audio'], mediaConfig: media });
  expect(sim.requests(call.id).map((r) => r.status)).toEqual([429, 202]);
  const times = sim.requests(call.id).map((r) => r.time);
  // Retry-After is in real seconds for the client; on the 50x simulated clock that is >= 50 s.
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
  await call.waitForState('established');
});

it('MSAL with a certificate credential: the signed client_assertion is verified against the configured key', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await sim.stop();
  sim = await startGraphSimulator({
    botAppId: BOT,
    botCertificatePem: good.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    defaultCallbackUri: hook.url,
  });
  const provider = (key: typeof good) =>
    createMsalTokenProvider({
      tenantId: sim.tenantId,
      clientId: BOT,
      certificate: {
        thumbprintSha256: 'ab'.repeat(32),
        privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      authority: sim.authorityHost,
      authorityMetadata: sim.authorityMetadata,
    });
  const token = await provider(good).getToken();
  expect(token.split('.')).toHaveLength(3);
  await expect(provider(other).getToken()).rejects.toThrow(/700027|invalid_client/);
});
