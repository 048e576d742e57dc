import { Command } from 'commander';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEndpoints } from '../../cli/api-client.js';
import { registerApiCommands } from '../../cli/commands/api.js';
import { main } from '../../cli/main.js';
import { startApi, type ApiHarness } from '../functions/api/harness.js';

let api: ApiHarness;
const saved = {
  url: process.env.SWITCHBOARD_URL,
  idp: process.env.SWITCHBOARD_IDP_URL,
  token: process.env.SWITCHBOARD_TOKEN,
};

beforeAll(async () => {
  api = await startApi();
  process.env.SWITCHBOARD_URL = api.host.url;
  process.env.SWITCHBOARD_IDP_URL = api.idp.url;
  delete process.env.SWITCHBOARD_TOKEN;
  await api.store.flows.publish({
    flowId: 'main',
    source: 'id: main',
    document: { id: 'main' },
    by: 'seed',
  });
  await api.store.numbers.bind({ number: '+14255550100', flowId: 'main', by: 'pat@contoso.test' });
  await api.store.calls.create({
    callId: 'call-1',
    from: '+14255550001',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 1,
    startedAt: '2026-11-20T09:00:00.000Z',
    answeredAt: '2026-11-20T09:00:01.000Z',
    endedAt: '2026-11-20T09:00:31.500Z',
    status: 'ended',
    outcome: { kind: 'completed' },
    path: ['start', 'news'],
  });
  await api.store.calls.create({
    callId: 'call-2',
    from: '+14255550002',
    to: '+14255550100',
    flowId: 'main',
    flowVersion: 1,
    startedAt: '2026-11-20T10:00:00.000Z',
  });
  await api.store.timelines.appendMany([
    {
      callId: 'call-1',
      seq: 1,
      at: '2026-11-20T09:00:01.000Z',
      kind: 'graphRequest',
      durationMs: 85,
      data: { request: 'POST answer', status: 202 },
    },
    {
      callId: 'call-1',
      seq: 2,
      at: '2026-11-20T09:00:02.000Z',
      kind: 'step',
      data: { from: 'start', to: 'news', reason: 'option:1', input: '1', pii: true },
    },
  ]);
});
afterAll(async () => {
  for (const [k, v] of [
    ['SWITCHBOARD_URL', saved.url],
    ['SWITCHBOARD_IDP_URL', saved.idp],
    ['SWITCHBOARD_TOKEN', saved.token],
  ] as const)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  await api?.stop();
});

/** Runs the API commands on a fresh program, collecting stdout lines. */
async function run(...args: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = new Command('switchboard').exitOverride();
  registerApiCommands(program, { out: (t) => out.push(t) });
  await program.parseAsync(['node', 'switchboard', ...args]);
  return out;
}

describe('switchboard login / numbers / calls', () => {
  it('login prints the token alone, with the role and user asked for', async () => {
    const out = await run('login', '--role', 'Operator', '--user', 'olga@contoso.test');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeJwt(out[0]!)).toMatchObject({
      roles: ['Operator'],
      preferred_username: 'olga@contoso.test',
    });
    await expect(run('login', '--role', 'Admin')).rejects.toMatchObject({ code: 'CLI.BAD_ROLE' });
  });

  it('numbers prints a table, or the JSON answer', async () => {
    const text = await run('numbers');
    expect(text[0]).toMatch(/^NUMBER\s+FLOW\s+BOUND BY\s+BOUND AT$/);
    expect(text[1]).toMatch(/^\+14255550100\s+main\s+pat@contoso\.test\s+\d{4}-/);
    const json = JSON.parse((await run('numbers', '--json')).join('\n'));
    expect(json.items[0]).toMatchObject({ number: '+14255550100', flowId: 'main' });
  });

  it('calls list filters and pages like the API', async () => {
    const all = await run('calls', 'list');
    expect(all[0]).toMatch(/^STARTED\s+CALL ID\s+TO\s+FLOW\s+STATUS\s+OUTCOME\s+LENGTH$/);
    expect(all.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['call-2', 'call-1']);
    expect(all[2]).toMatch(/main@1\s+ended\s+completed\s+31\.5s$/);
    const active = JSON.parse((await run('calls', 'list', '--active', '--json')).join('\n'));
    expect(active.items.map((c: { callId: string }) => c.callId)).toEqual(['call-2']);
    const page = await run('calls', 'list', '--limit', '1');
    expect(page.at(-1)).toMatch(/^More calls: add --continuation '.+'$/);
    const token = /--continuation '(.+)'$/.exec(page.at(-1)!)![1]!;
    const next = await run('calls', 'list', '--limit', '1', '--continuation', token);
    expect(next[1]).toMatch(/call-1/);
  });

  it('calls show prints the record, the timeline with durations and the orchestration', async () => {
    const out = await run('calls', 'show', 'call-1', '--history');
    expect(out[0]).toBe('Call call-1');
    expect(out).toContain('  path start > news');
    expect(out.find((l) => l.includes('graphRequest'))).toMatch(
      /^\s+\+1\.000s\s+graphRequest\s+request=POST answer status=202\s+\[85 ms\]$/,
    );
    expect(out.find((l) => l.includes(' step '))).toMatch(/start --option:1--> news \(input\)$/);
    expect(out).not.toContain('1 (input)');
    expect(out.at(-1)).toBe('Orchestration: none in the task hub');
    const json = JSON.parse((await run('calls', 'show', 'call-1', '--json')).join('\n'));
    expect(json.call.callId).toBe('call-1');
    await expect(run('calls', 'show', 'nope')).rejects.toMatchObject({ code: 'API.NOT_FOUND' });
  });

  it('main() reports errors as one line and exit code 2 (no stack)', async () => {
    process.env.SWITCHBOARD_URL = 'http://127.0.0.1:9';
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string) => {
      writes.push(String(chunk));
      return true;
    };
    try {
      expect(await main(['node', 'switchboard', 'numbers'])).toBe(2);
    } finally {
      process.stderr.write = orig;
      process.env.SWITCHBOARD_URL = api.host.url;
    }
    expect(writes.join('')).toMatch(
      /^switchboard: error: CLI\.HOST_UNREACHABLE: Switchboard at http:\/\/127\.0\.0\.1:9 does not answer/,
    );
    expect(writes.join('')).not.toMatch(/\n\s+at /);
  });
});

describe('apiEndpoints', () => {
  it('defaults to 127.0.0.1:7071 with the identity provider two ports up, and takes a token as is', () => {
    expect(apiEndpoints({})).toEqual({ baseUrl: 'http://127.0.0.1:7071', idpUrl: 'http://127.0.0.1:7073' });
    expect(apiEndpoints({ SWITCHBOARD_URL: 'http://127.0.0.1:8000/', SWITCHBOARD_TOKEN: 't' })).toEqual({
      baseUrl: 'http://127.0.0.1:8000',
      idpUrl: 'http://127.0.0.1:8002',
      token: 't',
    });
    expect(() => apiEndpoints({ SWITCHBOARD_URL: 'ftp://x' })).toThrow(
      /SWITCHBOARD_URL must be an http\(s\) URL/,
    );
  });
});
