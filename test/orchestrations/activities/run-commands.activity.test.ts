// runCommands with a recording Graph fake typed against the client's methods, the embedded store
// and a loopback HTTP server for httpRequest steps.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  createRunCommandsActivity,
  toInvitation,
  toMediaPrompt,
  type CommandsGraph,
} from '../../../orchestrations/activities/run-commands.activity.js';
import type { GraphCommand } from '../../../orchestrations/activity-contracts.js';
import { createEmbeddedStore } from '../../../local/store/embedded.store.js';
import { loadConfig } from '../../../shared/config/config.js';
import { GraphError } from '../../../shared/graph/errors.js';
import type { Store } from '../../../shared/store/index.js';

const CALL = 'call-1';

class RecordingGraph implements CommandsGraph {
  calls: [string, unknown][] = [];
  failOn: string | undefined;
  private record(name: string, params: unknown): Promise<never> | undefined {
    this.calls.push([name, params]);
    if (this.failOn === name)
      return Promise.reject(
        new GraphError('GRAPH.NOT_FOUND', `${name} failed: 404`, { status: 404 }, { retryable: false }),
      );
    return undefined;
  }
  playPrompt = ((_id: string, p: unknown) =>
    this.record('playPrompt', p) ?? Promise.resolve({})) as CommandsGraph['playPrompt'];
  subscribeToTone = ((_id: string, p: unknown) =>
    this.record('subscribeToTone', p) ?? Promise.resolve({})) as CommandsGraph['subscribeToTone'];
  cancelMediaProcessing = ((_id: string, p: unknown) =>
    this.record('cancelMediaProcessing', p) ?? Promise.resolve({})) as CommandsGraph['cancelMediaProcessing'];
  transfer = ((_id: string, p: unknown) =>
    this.record('transfer', p) ?? Promise.resolve()) as CommandsGraph['transfer'];
  redirect = ((_id: string, p: unknown) =>
    this.record('redirect', p) ?? Promise.resolve()) as CommandsGraph['redirect'];
  reject = ((_id: string, p: unknown) =>
    this.record('reject', p) ?? Promise.resolve()) as CommandsGraph['reject'];
  recordResponse = ((_id: string, p: unknown) =>
    this.record('recordResponse', p) ?? Promise.resolve({})) as CommandsGraph['recordResponse'];
  hangUp = ((_id: string) =>
    this.record('hangUp', undefined) ?? Promise.resolve()) as CommandsGraph['hangUp'];
}

let server: http.Server;
let apiHost = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/big') return res.end('x'.repeat(5000));
    if (req.url === '/slow') return setTimeout(() => res.end('{}'), 500);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end(
        JSON.stringify({ method: req.method, url: req.url, got: body === '' ? null : JSON.parse(body) }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  apiHost = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let store: Store;
let graph: RecordingGraph;
beforeEach(async () => {
  store = createEmbeddedStore({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'run-commands-')) });
  await store.calls.create({
    callId: CALL,
    from: '+14255550199',
    to: '+14255550100',
    startedAt: '2026-01-07T16:00:00.000Z',
  });
  graph = new RecordingGraph();
});
afterEach(() => store.close());

const config = loadConfig({
  SWITCHBOARD_BOT_APP_ID: 'bot',
  SWITCHBOARD_TENANT_ID: 't',
  SWITCHBOARD_CALLBACK_URL: 'https://bot.test/api/calling',
  PROMPT_BASE_URL: 'https://media.test/ivr/',
  HTTP_MAX_RESPONSE_BYTES: '1024',
});
const run = (commands: GraphCommand[], allowedHosts: string[] = ['127.0.0.1']) =>
  createRunCommandsActivity({ store, graph, config })({
    callId: CALL,
    commands,
    transitions: [
      { at: '2026-01-07T16:00:01.000Z', from: 'menu', to: 'sales', reason: 'option:1', input: '1' },
    ],
    allowedHosts,
  });

describe('runCommands', () => {
  it('sends the Graph requests in order with the command id as clientContext, then writes timeline and path', async () => {
    const out = await run([
      { type: 'cancelMedia', id: 'menu#2' },
      {
        type: 'playPrompts',
        id: 'sales#3',
        prompts: [{ name: 'hold', audioUri: 'prompts/hold.wav' }],
        bargeIn: false,
      },
      { type: 'transfer', id: 'sales#4', target: { kind: 'phone', number: '+14255550111' } },
    ]);
    expect(out.results.map((r) => [r.id, r.ok])).toEqual([
      ['menu#2', true],
      ['sales#3', true],
      ['sales#4', true],
    ]);
    expect(graph.calls.map(([n]) => n)).toEqual(['cancelMediaProcessing', 'playPrompt', 'transfer']);
    expect(graph.calls[0]?.[1]).toEqual({ clientContext: 'menu#2:cancel' });
    expect(graph.calls[1]?.[1]).toEqual({
      clientContext: 'sales#3',
      prompts: [
        {
          '@odata.type': '#microsoft.graph.mediaPrompt',
          mediaInfo: { uri: 'https://media.test/ivr/prompts/hold.wav' },
        },
      ],
    });
    expect(graph.calls[2]?.[1]).toMatchObject({
      clientContext: 'sales#4',
      transferTarget: { identity: { phone: { id: '+14255550111' } } },
    });
    const timeline = await store.timelines.list(CALL);
    expect(timeline.filter((e) => e.kind === 'graphRequest').map((e) => e.data.request)).toEqual([
      'cancelMedia',
      'playPrompts',
      'transfer',
    ]);
    expect(timeline.find((e) => e.kind === 'step')?.data).toEqual({
      from: 'menu',
      to: 'sales',
      reason: 'option:1',
      input: '1',
      pii: true,
    });
    expect((await store.calls.get(CALL))?.path).toEqual(['sales']);
  });

  it('reports a Graph failure as a value and skips the rest of the batch', async () => {
    graph.failOn = 'subscribeToTone';
    const out = await run([
      { type: 'subscribeTones', id: 'menu#1' },
      { type: 'playPrompts', id: 'menu#2', prompts: [{ name: 'w', text: 'Hello' }], bargeIn: true },
    ]);
    expect(out.results).toMatchObject([
      { id: 'menu#1', ok: false, code: 'GRAPH.NOT_FOUND' },
      { id: 'menu#2', ok: false, code: 'CALL.SKIPPED', skipped: true },
    ]);
    expect(graph.calls.map(([n]) => n)).toEqual(['subscribeToTone']);
  });

  it('goes on after a failed barge-in cancel: the next prompt must still play', async () => {
    graph.failOn = 'cancelMediaProcessing';
    const out = await run([
      { type: 'cancelMedia', id: 'menu#2' },
      { type: 'playPrompts', id: 'next#3', prompts: [{ name: 'w', text: 'Hi' }], bargeIn: true },
    ]);
    expect(out.results.map((r) => r.ok)).toEqual([false, true]);
    expect(graph.calls[1]?.[1]).toMatchObject({ prompts: [{ mediaInfo: { uri: '' }, text: 'Hi' }] });
  });

  it('calls allowlisted HTTP APIs and returns their answer; refuses other hosts; caps answers; times out', async () => {
    const req = (id: string, url: string, timeoutMs = 2000): GraphCommand => ({
      type: 'httpRequest',
      id,
      method: 'POST',
      url,
      headers: {},
      body: { account: '123' },
      timeoutMs,
    });
    const ok = await run([req('h#1', `http://${apiHost}/accounts`)]);
    expect(ok.results[0]).toMatchObject({
      ok: true,
      http: { status: 200, body: { method: 'POST', got: { account: '123' } } },
    });
    const missing = await run([req('h#2', `http://${apiHost}/missing`)]);
    expect(missing.results[0]).toMatchObject({ ok: true, http: { status: 404 } });
    const refused = await run([req('h#3', `http://${apiHost}/accounts`)], []);
    expect(refused.results[0]).toMatchObject({ ok: false, code: 'HTTP.HOST_NOT_ALLOWED' });
    const big = await run([req('h#4', `http://${apiHost}/big`)]);
    expect(big.results[0]).toMatchObject({
      ok: true,
      http: { status: 0, body: { error: 'HTTP.RESPONSE_TOO_LARGE' } },
    });
    const slow = await run([req('h#5', `http://${apiHost}/slow`, 100)]);
    expect(slow.results[0]).toMatchObject({ ok: true, http: { status: 0, body: { error: 'HTTP.TIMEOUT' } } });
  });
});

describe('runCommands: recordResponse', () => {
  it("keeps record durations within Graph's documented 1-120 s", async () => {
    await run([
      {
        type: 'record',
        id: 'vm#1',
        prompt: { name: 'leave', text: 'Leave a message.' },
        maxDurationMs: 180_000,
        playBeep: true,
        stopTones: ['#'],
        initialSilenceTimeoutMs: 200,
        maxSilenceTimeoutMs: 5000,
      },
    ]);
    expect(graph.calls[0]).toEqual([
      'recordResponse',
      {
        prompts: [
          { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: '' }, text: 'Leave a message.' },
        ],
        bargeInAllowed: true,
        initialSilenceTimeoutInSeconds: 1,
        maxSilenceTimeoutInSeconds: 5,
        maxRecordDurationInSeconds: 120,
        playBeep: true,
        stopTones: ['#'],
        clientContext: 'vm#1',
      },
    ]);
  });
});

describe('Graph shapes', () => {
  it('keeps absolute prompt URIs and builds identities per target kind', () => {
    expect(
      toMediaPrompt({ name: 'a', audioUri: 'https://x.test/a.wav', text: 'A' }, 'https://b.test/'),
    ).toEqual({
      '@odata.type': '#microsoft.graph.mediaPrompt',
      mediaInfo: { uri: 'https://x.test/a.wav' },
    });
    expect(toMediaPrompt({ name: 'a', audioUri: 'a.wav' }, undefined).mediaInfo.uri).toBe('a.wav');
    expect(toInvitation({ kind: 'user', aadId: 'u-1' }).identity).toMatchObject({ user: { id: 'u-1' } });
    expect(toInvitation({ kind: 'application', appId: 'app-1' }).identity).toMatchObject({
      application: { id: 'app-1' },
    });
  });
});
