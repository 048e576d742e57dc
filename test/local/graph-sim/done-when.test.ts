// Issue 3, "Done when": MSAL (for real) obtains a token from the simulator, the production Graph
// calls client answers an incoming call placed by a scripted caller and plays a prompt, and the
// simulator posts the completion notification to a small bot webhook, whose production
// notification parser and inbound token validator accept it. Only base URLs differ from Azure.
import http from 'node:http';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { GraphCallsClient } from '../../../shared/graph/calls-client.js';
import { createInboundTokenValidator } from '../../../shared/graph/inbound-auth.js';
import { parseNotificationCollection } from '../../../shared/graph/notifications.js';
import type { CallEvent } from '../../../shared/graph/notifications.js';
import { createMsalTokenProvider } from '../../../shared/graph/token-provider.js';
import { createSimClock } from '../../../local/graph-sim/index.js';
import type { GraphSimulator } from '../../../local/graph-sim/index.js';
import { BOT, SECRET, startTestSimulator, tempDir, waitFor, writeWav } from './helpers.js';

let sim: GraphSimulator;
let server: http.Server;
let webhookUrl: string;
const events: CallEvent[] = [];
const refusals: string[] = [];

beforeEach(async () => {
  events.length = 0;
  refusals.length = 0;
  // The bot's webhook: validate the bearer token, parse the collection, answer 202 (401 if refused).
  let validate: (h: string | undefined) => Promise<unknown> = () => Promise.reject(new Error('not ready'));
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      validate(req.headers.authorization).then(
        () => {
          events.push(...parseNotificationCollection(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
          res.statusCode = 202;
          res.end();
        },
        (err: unknown) => {
          refusals.push(err instanceof Error ? err.message : String(err));
          res.statusCode = 401;
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/calling`;
  sim = await startTestSimulator(webhookUrl, { clock: createSimClock({ speed: 20 }) });
  const validator = createInboundTokenValidator({
    openIdConfigurationUrl: sim.openIdConfigurationUrl,
    issuers: [sim.notificationIssuer],
    audience: BOT,
    allowedTenants: [sim.tenantId],
  });
  validate = (h) => validator.validate(h);
});

afterEach(async () => {
  await sim.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('MSAL token → answer → playPrompt → signed completion notification accepted by parser and validator', async () => {
  const tokenProvider = createMsalTokenProvider({
    tenantId: sim.tenantId,
    clientId: BOT,
    clientSecret: SECRET,
    authority: sim.authorityHost,
    authorityMetadata: sim.authorityMetadata,
  });
  const accessToken = await tokenProvider.getToken();
  expect(decodeJwt(accessToken)).toMatchObject({
    aud: 'https://graph.microsoft.com',
    tid: sim.tenantId,
    appid: BOT,
  });
  const client = new GraphCallsClient({ baseUrl: sim.graphBaseUrl, tokenProvider });

  const wav = writeWav(tempDir(), 'welcome.wav', 1500);
  const call = await sim.placeCall({
    from: '+14255550100',
    to: '+18005550199',
    steps: [{ type: 'waitForPrompt', n: 1, phase: 'end' }],
  });

  const incoming = await waitFor(
    () => events.find((e) => e.kind === 'incomingCall'),
    10_000,
    'incomingCall event',
  );
  expect(incoming.callId).toBe(call.id);

  await client.answer(incoming.callId, {
    callbackUri: webhookUrl,
    acceptedModalities: ['audio'],
    mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
  });
  await waitFor(() => events.find((e) => e.kind === 'callEstablished'), 10_000, 'callEstablished event');

  const op = await client.playPrompt(incoming.callId, {
    clientContext: 'welcome-1',
    prompts: [
      { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: wav, resourceId: 'welcome' } },
    ],
  });
  expect(op.status).toBe('running');

  const done = await waitFor(
    () => events.find((e) => e.kind === 'operationCompleted'),
    10_000,
    'operationCompleted event',
  );
  expect(done).toMatchObject({
    kind: 'operationCompleted',
    callId: call.id,
    operationType: 'playPrompt',
    clientContext: 'welcome-1',
    succeeded: true,
  });
  expect(refusals).toEqual([]);
  await call.scriptDone();
  expect(call.transcript.find((e) => e.type === 'promptFinished')).toMatchObject({
    n: 1,
    uri: wav,
    interrupted: false,
  });

  // Every Graph request carried MSAL's token and succeeded; every notification was delivered.
  expect(sim.requests(call.id).map((r) => `${r.method} ${r.path.split('/').at(-1)} ${r.status}`)).toEqual([
    'POST answer 202',
    'POST playPrompt 200',
  ]);
  await sim.notificationsIdle(call.id);
  expect(sim.deliveries(call.id).every((d) => d.outcome === 'delivered')).toBe(true);

  // Negative control: the same validator refuses a tampered notification token.
  const token = await fetchNotificationToken(sim);
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), tid: 'someone-else' })).toString(
    'base64url',
  );
  const res = await fetch(webhookUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${h}.${forged}.${s}` },
    body: '{"value":[]}',
  });
  expect(res.status).toBe(401);
  expect(p).not.toBe(forged);
});

/** Captures a real notification token by pointing one incoming call at a one-shot listener. */
async function fetchNotificationToken(s: GraphSimulator): Promise<string> {
  let seen: string | undefined;
  const once = http.createServer((req, res) => {
    seen = req.headers.authorization?.replace(/^Bearer /, '');
    res.statusCode = 202;
    res.end();
  });
  await new Promise<void>((resolve) => once.listen(0, '127.0.0.1', resolve));
  const port = (once.address() as { port: number }).port;
  await s.placeCall({ from: '+14255550100', to: '+18005550199', callbackUri: `http://127.0.0.1:${port}/cb` });
  const token = await waitFor(() => seen, 10_000, 'notification token');
  await new Promise<void>((resolve) => once.close(() => resolve()));
  return token;
}
