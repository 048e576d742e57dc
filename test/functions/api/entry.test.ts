import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from './harness.js';

/** The app's real entry point registers the API next to everything else. */
const ROOT_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../index.ts');

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi(ROOT_ENTRY);
});
afterAll(async () => {
  await api?.stop();
});

describe('the API in the app entry point (index.ts)', () => {
  it('lists every API route among the host functions', () => {
    const listing = api.host.functionListing().join('\n');
    for (const route of [
      'api/flows',
      'api/flows/{flowId}/draft',
      'api/flows/{flowId}/publish',
      'api/numbers/{number}',
      'api/calls/{callId}/terminate',
      'api/metrics',
      'api/me',
    ])
      expect(listing).toContain(`${api.host.url}/${route}`);
  });

  it('keeps health open and everything else behind a token', async () => {
    expect((await api.call('GET', 'health', { as: null })).status).toBe(200);
    expect((await api.call('GET', 'flows', { as: null })).status).toBe(401);
    expect((await api.call('GET', 'flows', { as: 'Reader' })).status).toBe(200);
    expect((await api.call('GET', 'calls', { as: 'Operator' })).body).toEqual({ items: [] });
  });
});
