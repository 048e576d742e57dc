// resolveFlow against the embedded store: pins the live published version, creates the call
// record once, tells a late duplicate apart, and refuses numbers and documents it cannot run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createResolveFlowActivity } from '../../../orchestrations/activities/resolve-flow.activity.js';
import { createEmbeddedStore } from '../../../local/store/embedded.store.js';
import { loadConfig } from '../../../shared/config/config.js';
import type { Store } from '../../../shared/store/index.js';

const config = loadConfig({
  SWITCHBOARD_BOT_APP_ID: 'bot',
  SWITCHBOARD_TENANT_ID: 't',
  SWITCHBOARD_CALLBACK_URL: 'https://bot.test/api/calling',
  CALL_KEEPALIVE_INTERVAL: '20m',
});
const doc = (greeting: string): { id: string; [k: string]: unknown } => ({
  id: 'main',
  version: 1,
  description: 'd',
  timezone: 'UTC',
  entry: 'ask',
  prompts: { hi: { text: greeting } },
  steps: {
    ask: { type: 'collectDigits', prompt: 'hi', into: 'account', maxDigits: 4, next: 'bye' },
    bye: { type: 'hangup' },
  },
});

let store: Store;
beforeEach(async () => {
  store = createEmbeddedStore({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'resolve-flow-')) });
  await store.flows.publish({ flowId: 'main', source: 'v1', document: doc('one'), by: 'test' });
  await store.flows.publish({ flowId: 'main', source: 'v2', document: doc('two'), by: 'test' });
  await store.numbers.bind({ number: '+14255550100', flowId: 'main', by: 'test' });
});
afterEach(() => store.close());

const input = (callId: string, to = '+14255550100') => ({
  callId,
  from: '+14255550199',
  to,
  receivedAt: '2026-01-07T16:00:00.000Z',
});

describe('resolveFlow', () => {
  it('pins the live published version, lists caller-input variables and creates the call record', async () => {
    const resolve = createResolveFlowActivity({ store, config });
    const out = await resolve(input('c1'));
    expect(out).toMatchObject({ kind: 'flow', flowId: 'main', flowVersion: 2, collect: ['account'] });
    expect(out.kind === 'flow' && out.flow.prompts.hi?.text).toBe('two');
    expect(out.kind === 'flow' && out.settings.keepAliveIntervalMs).toBe(20 * 60_000);
    expect(await store.calls.get('c1')).toMatchObject({ flowId: 'main', flowVersion: 2, status: 'active' });
    // A retried activity finds its own record and goes on.
    expect((await resolve(input('c1'))).kind).toBe('flow');
  });

  it('answers duplicate for a call whose record already ended', async () => {
    const resolve = createResolveFlowActivity({ store, config });
    await resolve(input('c2'));
    await store.calls.mutate('c2', () => ({ status: 'ended', endedAt: '2026-01-07T16:01:00.000Z' }));
    expect(await resolve(input('c2'))).toEqual({ kind: 'duplicate' });
  });

  it('answers noFlow for an unbound or non-E.164 number, and still records the call', async () => {
    const resolve = createResolveFlowActivity({ store, config });
    expect((await resolve(input('c3', '+14255550101'))).kind).toBe('noFlow');
    expect((await resolve(input('c4', 'b0t-app-id'))).kind).toBe('noFlow');
    expect(await store.calls.get('c4')).toMatchObject({ to: 'b0t-app-id' });
  });

  it('answers invalidFlow when the published document does not validate', async () => {
    await store.flows.publish({
      flowId: 'main',
      source: 'bad',
      document: { ...doc('x'), entry: 'nowhere' },
      by: 'test',
    });
    const out = await createResolveFlowActivity({ store, config })(input('c5'));
    expect(out).toEqual(expect.objectContaining({ kind: 'invalidFlow', flowId: 'main', flowVersion: 3 }));
  });
});
