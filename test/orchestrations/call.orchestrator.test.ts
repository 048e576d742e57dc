// Orchestration `call` end to end through the real local stack (local/stack.ts): the Graph
// simulator places calls, the calling webhook starts/raises into the orchestration on the local
// Durable task hub, activities talk to the simulator, the embedded store and Azurite. Asserts the
// Graph requests the simulator saw, the call record and the instance.

import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Stack } from '../../local/stack.js';
import { startFlowStack, type FlowStack } from '../support/flow-stack.js';
import type { CallRecord } from '../../shared/store/index.js';

const FLOW = `id: ivr-test
version: 1
description: Test line for the call orchestration tests.
timezone: UTC
entry: menu
fallback:
  phone: '+14255550999'
prompts:
  welcome:
    text: Welcome to the test line. Press one for sales or two to leave a message.
  leave:
    text: Please leave a message after the tone.
  account:
    text: Enter your account number, then press pound.
steps:
  menu:
    type: menu
    prompt: welcome
    timeout: 1s
    options:
      '1': sales
      '2': voicemail
      '3': account
  account:
    type: collectDigits
    prompt: account
    into: accountNumber
    maxDigits: 6
    next: sales
  sales:
    type: transfer
    target:
      phone: '+14255550111'
  voicemail:
    type: record
    prompt: leave
    maxDuration: 20s
    maxSilenceTimeout: 1s
`;
const NUMBER = '+14255550101';
const REDIRECTED = '+14255550106';
const REDIRECT_FLOW = `id: redirect-test
version: 1
description: Sends every call straight to the front desk, unanswered.
timezone: UTC
entry: desk
prompts: {}
steps:
  desk:
    type: redirect
    target:
      phone: '+14255550122'
`;
const UNBOUND = '+14255550102';
const CALLER = '+14255550199';

let running: FlowStack;
let stack: Stack;

beforeAll(async () => {
  running = await startFlowStack({
    flows: { 'ivr-test': FLOW, 'redirect-test': REDIRECT_FLOW },
    numbers: { [NUMBER]: 'ivr-test', [REDIRECTED]: 'redirect-test' },
    clockScale: 10,
  });
  stack = running.stack;
});

afterAll(async () => {
  await running?.stop();
});

async function until<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ended = (callId: string): Promise<CallRecord> =>
  until(`call ${callId} ended`, async () => {
    const r = await stack.store.calls.get(callId);
    return r?.status === 'ended' ? r : undefined;
  });

async function instance(callId: string): Promise<Record<string, unknown>> {
  return until(`instance ${callId} completed`, async () => {
    const res = await fetch(`${stack.url}/runtime/webhooks/durabletask/instances/${callId}`);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as Record<string, unknown>;
    return body.runtimeStatus === 'Completed' || body.runtimeStatus === 'Failed' ? body : undefined;
  });
}

/** The bot's Graph requests for the call as `METHOD action` (keepAlive left out). */
function actions(callId: string): string[] {
  return stack.sim
    .requests(callId)
    .map((r) => `${r.method} ${r.path.split('/').pop() ?? ''}`)
    .filter((a) => !a.endsWith('keepAlive'));
}

describe('orchestration call (local stack + Graph simulator)', () => {
  it('answers, plays the menu, acts on a keypress at once (barge-in) and transfers', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, { type: 'wait', ms: 500 }, '1'],
    });
    const outcome = await call.ended();
    expect(outcome.reason).toBe('transferred');
    expect(actions(call.id)).toEqual([
      'POST answer',
      'POST subscribeToTone',
      'POST playPrompt',
      'POST cancelMediaProcessing',
      'POST transfer',
    ]);
    const transfer = stack.sim.requests(call.id).find((r) => r.path.endsWith('/transfer'));
    expect(transfer?.body).toMatchObject({ transferTarget: { identity: { phone: { id: '+14255550111' } } } });
    const record = await ended(call.id);
    expect(record).toMatchObject({
      flowId: 'ivr-test',
      flowVersion: 1,
      from: CALLER,
      to: NUMBER,
      path: ['menu', 'sales'],
      outcome: { kind: 'transferred', target: '+14255550111' },
    });
    expect(record.answeredAt).toBeDefined();
    const inst = await instance(call.id);
    expect(inst.runtimeStatus).toBe('Completed');
    expect(inst.customStatus).toEqual({
      step: null,
      lastEvent: 'end:transferred',
      flowId: 'ivr-test',
      flowVersion: 1,
    });

    // Figures for the report: receipt of the keypress / incoming notification → next Graph request.
    const timeline = await stack.store.timelines.list(call.id);
    const at = (e: { at: string }): number => Date.parse(e.at);
    const tone = timeline.find((e) => e.kind === 'notification' && e.data.eventKind === 'tone');
    const incoming = timeline.find((e) => e.kind === 'notification' && e.data.eventKind === 'incomingCall');
    const cancel = timeline.find((e) => e.kind === 'graphRequest' && e.data.request === 'cancelMedia');
    const answer = timeline.find((e) => e.kind === 'graphRequest' && e.data.request === 'answer');
    expect(tone && incoming && cancel && answer).toBeTruthy();
    console.log(
      `[figures] keypress notification -> next Graph request: ${at(cancel!) - at(tone!)} ms; incoming notification -> answer request: ${at(answer!) - at(incoming!)} ms`,
    );
    expect(timeline.some((e) => e.kind === 'step' && e.data.to === 'sales' && e.data.input === '1')).toBe(
      true,
    );
    expect(timeline.some((e) => e.kind === 'outcome')).toBe(true);
  });

  it('reprompts after the no-input timer and still acts on the key pressed during the reprompt', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 2, phase: 'start' }, '1'],
    });
    expect((await call.ended()).reason).toBe('transferred');
    expect(actions(call.id)).toEqual([
      'POST answer',
      'POST subscribeToTone',
      'POST playPrompt',
      'POST playPrompt',
      'POST cancelMediaProcessing',
      'POST transfer',
    ]);
    const timeline = await stack.store.timelines.list(call.id);
    expect(timeline.some((e) => e.kind === 'step' && e.data.reason === 'noInput:retry')).toBe(true);
    expect((await ended(call.id)).path).toEqual(['menu', 'sales']);
  });

  it('records the digits a caller entered on the call record, marked as PII', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [
        { type: 'waitForPrompt', n: 1, phase: 'start' },
        '3',
        { type: 'waitForPrompt', n: 2, phase: 'start' },
        '1234#',
      ],
    });
    expect((await call.ended()).reason).toBe('transferred');
    const record = await ended(call.id);
    expect(record.path).toEqual(['menu', 'account', 'sales']);
    expect(record.collected).toEqual({ accountNumber: { value: '1234', pii: true } });
    const inst = await instance(call.id);
    expect(JSON.stringify(inst.customStatus)).not.toContain('1234');
  });

  it('rejects a call to a number with no flow, and records it', async () => {
    const call = await stack.sim.placeCall({ from: CALLER, to: UNBOUND, steps: [] });
    const outcome = await call.ended();
    expect(outcome.reason).toBe('rejected');
    expect(actions(call.id)).toEqual(['POST reject']);
    expect(stack.sim.requests(call.id)[0]?.body).toMatchObject({ reason: 'none' });
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'rejected', reason: 'noFlowBound' });
    expect(record.flowId).toBeUndefined();
    expect((await instance(call.id)).output).toEqual({
      outcome: { kind: 'rejected', reason: 'none' },
      reason: 'noFlowBound',
    });
  });

  it('redirects an unanswered call when the flow starts with a redirect (no answer, no hang-up)', async () => {
    const call = await stack.sim.placeCall({ from: CALLER, to: REDIRECTED, steps: [] });
    expect((await call.ended()).reason).toBe('redirected');
    expect(actions(call.id)).toEqual(['POST redirect']);
    expect(stack.sim.requests(call.id)[0]?.body).toMatchObject({
      targets: [{ identity: { phone: { id: '+14255550122' } } }],
    });
    expect((await ended(call.id)).outcome).toMatchObject({ kind: 'redirected', target: '+14255550122' });
  });

  it('ends without hanging up when the caller hangs up during the prompt', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'hangUp', when: 'duringNextPrompt', afterMs: 300 }],
    });
    expect((await call.ended()).reason).toBe('callerHungUp');
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'hungUpByCaller', step: 'menu' });
    await instance(call.id);
    expect(actions(call.id)).not.toContain('DELETE ' + call.id);
    expect(stack.sim.requests(call.id).some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('records a caller who hangs up while the call is still ringing', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'hangUp', when: 'now' }],
    });
    expect((await call.ended()).reason).toBe('callerHungUp');
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'hungUpByCaller', step: 'menu' });
    expect(
      stack.sim.requests(call.id).some((r) => r.method === 'DELETE' || r.path.endsWith('/playPrompt')),
    ).toBe(false);
  });

  it('recovers from a Graph 503 on playPrompt (retried) and the call goes on', async () => {
    stack.sim.faults.request({ kind: 'unavailable', method: 'POST', path: /playPrompt$/, count: 1 });
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, '1'],
    });
    expect((await call.ended()).reason).toBe('transferred');
    const plays = stack.sim.requests(call.id).filter((r) => r.path.endsWith('/playPrompt'));
    expect(plays.map((r) => r.status)).toEqual([503, 200]);
    expect((await ended(call.id)).outcome).toMatchObject({ kind: 'transferred', target: '+14255550111' });
  });

  it('takes the failure path on a permanent Graph failure: apology, then the fallback transfer', async () => {
    // 4 attempts for the menu prompt and 4 for the apology: both fail for good.
    stack.sim.faults.request({ kind: 'unavailable', method: 'POST', path: /playPrompt$/, count: 8 });
    const call = await stack.sim.placeCall({ from: CALLER, to: NUMBER, steps: [] });
    expect((await call.ended()).reason).toBe('transferred');
    const transfer = stack.sim.requests(call.id).find((r) => r.path.endsWith('/transfer'));
    expect(transfer?.body).toMatchObject({ transferTarget: { identity: { phone: { id: '+14255550999' } } } });
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'transferred', target: '+14255550999' });
    const timeline = await stack.store.timelines.list(call.id);
    expect(timeline.some((e) => e.kind === 'step' && e.data.to === '$recovery')).toBe(true);
  });

  it('saves a voicemail to Blob Storage at once and links it from the call record', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, '2', { type: 'say', ms: 1500 }],
    });
    await call.ended();
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'voicemail' });
    expect(record.voicemail?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/voicemail\//);
    const blobPath = new URL(record.voicemail!.url).pathname.split('/').slice(3).join('/');
    const connection = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=${stack.blobUrl};`;
    const blob = BlobServiceClient.fromConnectionString(connection)
      .getContainerClient('voicemail')
      .getBlobClient(decodeURIComponent(blobPath));
    const props = await blob.getProperties();
    expect(props.contentLength).toBeGreaterThan(44);
    const stored = JSON.stringify(await stack.store.timelines.list(call.id));
    expect(stored).not.toMatch(/recordingAccessToken":"(?!\[redacted\])/);
  });

  it('recovers from Graph throttling (429 + Retry-After) on transfer', async () => {
    stack.sim.faults.request({
      kind: 'throttle',
      method: 'POST',
      path: /transfer$/,
      count: 1,
      retryAfterSeconds: 1,
    });
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, '1'],
    });
    expect((await call.ended()).reason).toBe('transferred');
    const transfers = stack.sim.requests(call.id).filter((r) => r.path.endsWith('/transfer'));
    expect(transfers.map((r) => r.status)).toEqual([429, 202]);
    expect((await ended(call.id)).outcome).toMatchObject({ kind: 'transferred', target: '+14255550111' });
  });

  it('records a caller who hangs up during the transfer, without hanging up', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [
        { type: 'transferTarget', outcome: 'accept', afterMs: 5000 },
        { type: 'waitForPrompt', n: 1, phase: 'start' },
        '1',
        { type: 'hangUp', when: 'duringTransfer' },
      ],
    });
    expect((await call.ended()).reason).toBe('callerHungUp');
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'hungUpByCaller', step: 'sales' });
    expect(stack.sim.requests(call.id).some((r) => r.method === 'DELETE')).toBe(false);
  });

  it('takes the failure path when the transfer fails after the target accepted', async () => {
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [
        { type: 'transferTarget', outcome: 'fail', afterMs: 500 },
        { type: 'waitForPrompt', n: 1, phase: 'start' },
        '1',
      ],
    });
    expect((await call.ended()).reason).toBe('transferred');
    const targets = stack.sim
      .requests(call.id)
      .filter((r) => r.path.endsWith('/transfer'))
      .map(
        (r) =>
          (r.body as { transferTarget: { identity: { phone: { id: string } } } }).transferTarget.identity
            .phone.id,
      );
    expect(targets).toEqual(['+14255550111', '+14255550999']);
    const record = await ended(call.id);
    expect(record.outcome).toMatchObject({ kind: 'transferred', target: '+14255550999' });
  });

  it('waits for established audio even when establishing and established arrive swapped', async () => {
    stack.sim.faults.notification({
      kind: 'reorder',
      changeType: 'updated',
      resource: /\/communications\/calls\/[^/]+$/,
      count: 1,
    });
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, '1'],
    });
    expect((await call.ended()).reason).toBe('transferred');
    const kinds = (await stack.store.timelines.list(call.id))
      .filter((e) => e.kind === 'notification')
      .map((e) => e.data.eventKind);
    expect(kinds.indexOf('callEstablished')).toBeLessThan(kinds.indexOf('callEstablishing'));
    expect((await ended(call.id)).outcome).toMatchObject({ kind: 'transferred' });
  });

  it('starts one instance for a duplicated incoming-call notification', async () => {
    stack.sim.faults.notification({ kind: 'duplicate', changeType: 'created', count: 1 });
    const call = await stack.sim.placeCall({
      from: CALLER,
      to: NUMBER,
      steps: [{ type: 'waitForPrompt', n: 1, phase: 'start' }, '1'],
    });
    expect((await call.ended()).reason).toBe('transferred');
    expect(
      call.deliveries().filter((d) => JSON.stringify(d).includes('incoming')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(actions(call.id).filter((a) => a === 'POST answer')).toHaveLength(1);
    expect((await ended(call.id)).outcome).toMatchObject({ kind: 'transferred' });
  });
});
