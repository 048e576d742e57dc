import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../../shared/config/config.js';
import { AppError } from '../../../shared/errors/app-error.js';

const minimal = {
  SWITCHBOARD_BOT_APP_ID: 'bot-app',
  SWITCHBOARD_TENANT_ID: 'tenant-1',
  SWITCHBOARD_CALLBACK_URL: 'https://bot.example.test/api/calling',
};

describe('loadConfig', () => {
  it('applies the documented defaults and converts durations to ms', () => {
    const c = loadConfig(minimal);
    expect(c.graph.baseUrl).toBe('https://graph.microsoft.com/v1.0');
    expect(c.inbound.issuers).toEqual(['https://api.botframework.com', 'https://graph.microsoft.com']);
    expect(c.calls.keepAliveIntervalMs).toBe(30 * 60_000);
    expect(c.calls.maxDurationMs).toBe(60 * 60_000);
    expect(c.store.cosmos).toBeUndefined();
    expect(Object.isFrozen(c.calls)).toBe(true);
  });

  it('reads lists, durations and Cosmos settings', () => {
    const c = loadConfig({
      ...minimal,
      INBOUND_ALLOWED_TENANTS: ' t1, t2 ,',
      CALL_MEDIA_TIMEOUT: '2500ms',
      COSMOS_ENDPOINT: 'https://acct.documents.azure.com:443/',
      COSMOS_KEY: 'k',
    });
    expect(c.inbound.allowedTenants).toEqual(['t1', 't2']);
    expect(c.calls.mediaTimeoutMs).toBe(2500);
    expect(c.store.cosmos).toEqual({
      endpoint: 'https://acct.documents.azure.com:443/',
      key: 'k',
      databaseId: 'switchboard',
    });
  });

  it('reports every problem at once, by setting name, without echoing values', () => {
    let err: unknown;
    try {
      loadConfig({
        SWITCHBOARD_CALLBACK_URL: 'not a url',
        CALL_MAX_DURATION: '3600',
        GRAPH_AUTHORITY_METADATA: '{secret',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('CONFIG.INVALID');
    for (const name of [
      'SWITCHBOARD_BOT_APP_ID',
      'SWITCHBOARD_TENANT_ID',
      'SWITCHBOARD_CALLBACK_URL',
      'CALL_MAX_DURATION',
      'GRAPH_AUTHORITY_METADATA',
    ]) {
      expect(e.message).toContain(name);
    }
    expect(e.message).not.toContain('{secret');
  });
});

describe('loadConfig: call settings added for the call orchestration', () => {
  it('defaults the history bound, the http answer cap and leaves the prompt base unset', () => {
    const c = loadConfig(minimal);
    expect(c.calls.historyEventsBeforeContinue).toBe(100);
    expect(c.calls.httpMaxResponseBytes).toBe(256 * 1024);
    expect(c.prompts.baseUrl).toBeUndefined();
  });

  it('reads PROMPT_BASE_URL and refuses a bad one or a too small history bound', () => {
    expect(
      loadConfig({ ...minimal, PROMPT_BASE_URL: 'https://media.example.test/ivr/' }).prompts.baseUrl,
    ).toBe('https://media.example.test/ivr/');
    expect(() => loadConfig({ ...minimal, PROMPT_BASE_URL: 'ftp://x' })).toThrow(/PROMPT_BASE_URL/);
    expect(() => loadConfig({ ...minimal, CALL_HISTORY_EVENTS: '3' })).toThrow(/CALL_HISTORY_EVENTS/);
  });
});
