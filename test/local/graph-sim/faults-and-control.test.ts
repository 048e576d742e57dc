/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- wire JSON is checked by assertions, not by types */
// Fault injection (requests and notifications), notification retries, the /sim control API used
// by CLIs in another process, and the small pure parts (clock, key strings).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimClock, parseKeys, toneOf } from '../../../local/graph-sim/index.js';
import type { GraphSimulator } from '../../../local/graph-sim/index.js';
import {
  BOT,
  SECRET,
  graphFor,
  notificationsFor,
  startTestSimulator,
  startWebhook,
  tempDir,
  waitFor,
  writeWav,
} from './helpers.js';
import type { Webhook, graph } from './helpers.js';

let sim: GraphSimulator;
let hook: Webhook;
let g: ReturnType<typeof graph>;

beforeEach(async () => {
  hook = await startWebhook();
  sim = await startTestSimulator(hook.url, { notificationRetry: { retryBaseMs: 100 } });
  g = await graphFor(sim);
});

afterEach(async () => {
  await sim.stop();
  await hook.close();
});

const answerBody = () => ({
  callbackUri: hook.url,
  acceptedModalities: ['audio'],
  mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
});
const forCall = (id: string) => notificationsFor(hook, id);

describe('request faults', () => {
  it('answers 429 with Retry-After, 503 and 504 for the next matching requests, then normally', async () => {
    const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    sim.faults.request({ kind: 'throttle', method: 'POST', path: '/answer$', retryAfterSeconds: 7 });
    sim.faults.request({ kind: 'unavailable', path: /answer/ });
    sim.faults.request({ kind: 'gatewayTimeout', path: 'answer', count: 1 });
    const r1 = await g('POST', `/communications/calls/${call.id}/answer`, answerBody());
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('7');
    expect(r1.body.error.code).toBe('TooManyRequests');
    expect((await g('POST', `/communications/calls/${call.id}/answer`, answerBody())).status).toBe(503);
    expect((await g('POST', `/communications/calls/${call.id}/answer`, answerBody())).status).toBe(504);
    // A GET does not match the POST-only throttle (already used up anyway) and passes.
    expect((await g('GET', `/communications/calls/${call.id}`)).status).toBe(200);
    expect((await g('POST', `/communications/calls/${call.id}/answer`, answerBody())).status).toBe(202);
    expect(sim.requests(call.id).map((r) => r.status)).toEqual([429, 503, 504, 200, 202]);
    expect(() => sim.faults.request({ kind: 'explode' as 'slow' })).toThrow(/unknown kind 'explode'/);
  });

  it('delays a slow request by the given simulated time', async () => {
    const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    sim.faults.request({ kind: 'slow', path: '/calls/[^/]+$', delayMs: 5000 });
    const t0 = sim.clock.now();
    expect((await g('GET', `/communications/calls/${call.id}`)).status).toBe(200);
    expect(sim.clock.now() - t0).toBeGreaterThanOrEqual(5000);
  });
});

describe('notification faults and retries', () => {
  it('drops, duplicates and reorders notifications as armed', async () => {
    sim.faults.notification({ kind: 'duplicate', changeType: 'created' });
    sim.faults.notification({
      kind: 'reorder',
      odataType: 'call',
      changeType: 'updated',
      resource: '^/communications/calls/[^/]+$',
    });
    const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => forCall(call.id).length >= 2, 5000, 'duplicate incoming');
    expect(forCall(call.id).map((n) => n.changeType)).toEqual(['created', 'created']);
    expect((await g('POST', `/communications/calls/${call.id}/answer`, answerBody())).status).toBe(202);
    await call.waitForState('established');
    await sim.notificationsIdle(call.id);
    // establishing was held back behind established.
    expect(forCall(call.id).map((n) => n.resourceData.state)).toEqual([
      'incoming',
      'incoming',
      'established',
      'establishing',
    ]);
    expect(sim.deliveries(call.id).filter((d) => d.duplicate)).toHaveLength(1);
    expect(sim.deliveries(call.id).filter((d) => d.reordered)).toHaveLength(1);

    sim.faults.notification({ kind: 'drop', resource: '/operations/' });
    await g('POST', `/communications/calls/${call.id}/playPrompt`, {
      clientContext: 'p',
      prompts: [{ text: 'hello' }],
    });
    await waitFor(() => sim.deliveries(call.id).some((d) => d.outcome === 'dropped'), 5000, 'dropped');
    expect(forCall(call.id).some((n) => n.resourceData.clientContext === 'p')).toBe(false);
  });

  it('retries a notification answered 500 and records every attempt', async () => {
    hook.answers.push(500, 503);
    const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => forCall(call.id).length === 1, 10_000, 'retried delivery');
    // The webhook has the body before the simulator has recorded the 202 it answered.
    await waitFor(() => sim.deliveries(call.id)[0]?.outcome === 'delivered', 5_000, 'delivery recorded');
    const [d] = sim.deliveries(call.id);
    expect(d!.attempts.map((a) => a.status)).toEqual([500, 503, 202]);
    expect(d!.outcome).toBe('delivered');
    expect(d!.attempts[1]!.at - d!.attempts[0]!.at).toBeGreaterThanOrEqual(100);
  });

  it('never posts beyond this machine', async () => {
    const call = await sim.placeCall({
      from: '+14255550100',
      to: '+18005550199',
      callbackUri: 'https://bot.contoso.com/api/calls',
    });
    await sim.notificationsIdle(call.id);
    const [d] = sim.deliveries(call.id);
    expect(d!.outcome).toBe('failed');
    expect(d!.attempts[0]!.error).toMatch(/not on this machine/);
  });
});

describe('/sim control API over HTTP', () => {
  it('places a scripted call, reports state, transcript and requests, arms faults and reports health', async () => {
    const dir = tempDir();
    const wav = writeWav(dir, 'menu.wav', 1000);
    const placed = await fetch(`${sim.url}/sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        from: '+14255550100',
        to: '+18005550199',
        steps: [{ type: 'waitForPrompt', n: 1 }, '3', { type: 'hangUp', when: 'now', afterMs: 2000 }],
      }),
    });
    expect(placed.status).toBe(201);
    const { id } = (await placed.json()) as { id: string };
    await g('POST', `/communications/calls/${id}/answer`, answerBody());
    await waitFor(() => sim.call(id)?.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${id}/subscribeToTone`, {});
    await g('POST', `/communications/calls/${id}/playPrompt`, { prompts: [{ mediaInfo: { uri: wav } }] });
    await sim.call(id)!.ended();

    const state = (await (await fetch(`${sim.url}/sim/calls/${id}`)).json()) as any;
    expect(state).toMatchObject({ id, state: 'terminated', outcome: { reason: 'callerHungUp' } });
    expect(state.transcript.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['promptStarted', 'keyPressed', 'promptFinished', 'hangUp']),
    );
    const reqs = (await (await fetch(`${sim.url}/sim/calls/${id}/requests`)).json()) as any;
    expect(reqs.value.map((r: { path: string }) => r.path.split('/').at(-1))).toEqual([
      'answer',
      'subscribeToTone',
      'playPrompt',
    ]);

    const armed = await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        requests: [{ kind: 'throttle', path: 'playPrompt', count: 2 }],
        notifications: [{ kind: 'drop' }],
      }),
    });
    expect(armed.status).toBe(200);
    const health = (await (await fetch(`${sim.url}/sim/health`)).json()) as any;
    expect(health).toMatchObject({ ok: true, calls: 1, speed: 50 });
    expect(health.faults.requests[0]).toMatchObject({ kind: 'throttle', path: 'playPrompt', remaining: 2 });
    const cleared = (await (
      await fetch(`${sim.url}/sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"clear":true}',
      })
    ).json()) as any;
    expect(cleared).toEqual({ requests: [], notifications: [] });
  });

  it('runs interactive caller steps on a live call and hangs up on request', async () => {
    const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    await g('POST', `/communications/calls/${call.id}/answer`, answerBody());
    await call.waitForState('established');
    await g('POST', `/communications/calls/${call.id}/subscribeToTone`, {});
    const res = await fetch(`${sim.url}/sim/calls/${call.id}/steps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps: ['9 w 8'], wait: true }),
    });
    expect(res.status).toBe(202);
    await sim.notificationsIdle(call.id);
    expect(
      forCall(call.id)
        .filter((n) => n.resourceData.toneInfo)
        .map((n) => n.resourceData.toneInfo.tone),
    ).toEqual(['tone9', 'tone8']);
    await sim.runSteps(call.id, [{ type: 'press', keys: '7' }]);
    expect(call.transcript.filter((e) => e.type === 'keyPressed')).toHaveLength(3);
    const bad = await fetch(`${sim.url}/sim/calls/${call.id}/steps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"steps":[{"type":"dance"}]}',
    });
    expect(bad.status).toBe(400);
    sim.callerHangsUp(call.id);
    expect((await call.ended()).reason).toBe('callerHungUp');
  });

  it('answers bad input with a coded error, never a stack trace', async () => {
    const bad = await fetch(`${sim.url}/sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+1', to: '+2', steps: ['12x'] }),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as any;
    expect(body.error.code).toBe('SIM.BAD_REQUEST');
    expect(body.error.message).toMatch(/character 3 \('x'\)/);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
    const missing = await fetch(`${sim.url}/sim/calls/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('SIM.CALL_NOT_FOUND');
    const badFault = await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [{ kind: 'throttle', path: '(' }] }),
    });
    expect(badFault.status).toBe(400);
  });
});

describe('token endpoint', () => {
  it('issues tokens for the right secret and refuses others like Entra', async () => {
    const post = (form: Record<string, string>) =>
      fetch(sim.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
    const ok = await post({
      grant_type: 'client_credentials',
      client_id: BOT,
      client_secret: SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const wrong = await post({
      grant_type: 'client_credentials',
      client_id: BOT,
      client_secret: 'nope',
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(wrong.status).toBe(401);
    const wb = (await wrong.json()) as any;
    expect(wb.error).toBe('invalid_client');
    expect(wb.error_codes).toEqual([7000215]);
    expect(wb.error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    const unknown = await post({
      grant_type: 'client_credentials',
      client_id: 'other',
      client_secret: SECRET,
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(((await unknown.json()) as any).error_codes).toEqual([700016]);
    const scope = await post({
      grant_type: 'client_credentials',
      client_id: BOT,
      client_secret: SECRET,
      scope: 'Calls.Initiate.All',
    });
    expect(((await scope.json()) as any).error).toBe('invalid_scope');
    const oidc = (await (
      await fetch(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)
    ).json()) as any;
    expect(oidc.token_endpoint).toBe(sim.tokenEndpoint);
    expect(JSON.parse(sim.authorityMetadata)).toEqual(oidc);
    const jwks = (await (await fetch(oidc.jwks_uri)).json()) as any;
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
  });
});

describe('pure parts', () => {
  it('parses compact key strings and maps keys to Graph tones', () => {
    expect(parseKeys('w 2 w 12#', 500)).toEqual([
      { pauseMs: 500 },
      { key: '2' },
      { pauseMs: 500 },
      { key: '1' },
      { key: '2' },
      { key: '#' },
    ]);
    expect(() => parseKeys('12a')).toThrow(/character 3 \('a'\)/);
    expect(['0', '9', '*', '#'].map((k) => toneOf(k as '0'))).toEqual(['tone0', 'tone9', 'star', 'pound']);
  });

  it('a sleep longer than a Node timer can hold (2^31 ms) waits instead of firing at once', async () => {
    const clock = createSimClock({ speed: 1 });
    const ac = new AbortController();
    let resolved = false;
    const long = clock.sleep(3_000_000_000, ac.signal).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(resolved).toBe(false);
    ac.abort(new Error('stop'));
    await expect(long).rejects.toThrow('stop');
  });

  it('a scaled clock runs simulated time faster and rejects bad speeds', async () => {
    const clock = createSimClock({ speed: 1000, startMs: 0 });
    const realStart = Date.now();
    await clock.sleep(100_000);
    // 100 s of simulated time take ~100 ms; a stall on a loaded machine cannot make it 50 s.
    expect(Date.now() - realStart).toBeLessThan(50_000);
    expect(clock.now()).toBeGreaterThanOrEqual(100_000);
    expect(() => createSimClock({ speed: 0 })).toThrow(RangeError);
    const ac = new AbortController();
    const pending = clock.sleep(1_000_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
