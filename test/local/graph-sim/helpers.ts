/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- wire JSON is checked by assertions against the fixtures, not by types */
// Test helpers for the Graph simulator: a bot webhook that records what Graph posts, WAV files in
// a temp dir, and a poller. Shared by the files in this folder only.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wavefile from 'wavefile';
import { createSimClock, startGraphSimulator } from '../../../local/graph-sim/index.js';
import type { GraphSimulator, GraphSimulatorOptions } from '../../../local/graph-sim/index.js';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/fixtures/graph',
);

/** The bot's app id and client secret that the simulator under test knows. */
export const BOT = 'b0b0b0b0-1111-4222-8333-444444444444';
export const SECRET = 'sim-secret';

/**
 * Starts a simulator for {@link BOT} posting to `callbackUri`, with a 50x clock and a ringing
 * timeout of an hour (simulated), so answering never races it on a busy machine. `overrides` win.
 */
export function startTestSimulator(
  callbackUri: string,
  overrides: Partial<GraphSimulatorOptions> = {},
): Promise<GraphSimulator> {
  return startGraphSimulator({
    botAppId: BOT,
    botClientSecret: SECRET,
    defaultCallbackUri: callbackUri,
    clock: createSimClock({ speed: 50 }),
    ringingTimeoutMs: 3_600_000,
    ...overrides,
  });
}

/** A Graph caller for `sim` holding a token obtained with {@link BOT}'s secret. */
export async function graphFor(sim: GraphSimulator): Promise<ReturnType<typeof graph>> {
  return graph(sim.graphBaseUrl, await getToken(sim.tokenEndpoint, BOT, SECRET));
}

export function fixture(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));
}

export interface Received {
  authorization: string | undefined;
  body: any;
  /** The single notification in value[]. */
  n: any;
}

export interface Webhook {
  url: string;
  received: Received[];
  /** Next responses to give (status codes); 202 when empty. */
  answers: number[];
  close(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const received: Received[] = [];
  const answers: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answers.shift() ?? 202;
      if (status < 300) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        received.push({ authorization: req.headers.authorization, body, n: body.value?.[0] });
      }
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}/api/calling`,
    received,
    answers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The notifications `hook` received about one call (its id in `resourceUrl`), in arrival order. */
export function notificationsFor(hook: Webhook, callId: string): any[] {
  return hook.received.map((r) => r.n).filter((n) => String(n.resourceUrl).includes(callId));
}

/** Waits for the first notification about `callId` whose `resourceData` is of `odataType`. */
export function waitForNotificationOf(
  hook: Webhook,
  callId: string,
  odataType: string,
  timeoutMs = 10_000,
): Promise<any> {
  return waitFor(
    () => notificationsFor(hook, callId).find((n) => n.resourceData?.['@odata.type'] === odataType),
    timeoutMs,
    odataType,
  );
}

/** Polls `fn` until it returns a truthy value (real ms timeout). */
export async function waitFor<T>(
  fn: () => T | undefined | false | null,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'graph-sim-'));
}

/** Writes a WAV (default 16 kHz 16-bit mono) of `ms` and returns its file: URI. */
export function writeWav(dir: string, name: string, ms: number, rate = 16000, channels = 1): string {
  const wav = new wavefile.WaveFile();
  const frames = Math.round((ms / 1000) * rate);
  if (channels === 1) wav.fromScratch(1, rate, '16', new Int16Array(frames));
  else
    wav.fromScratch(
      channels,
      rate,
      '16',
      Array.from({ length: channels }, () => new Int16Array(frames)),
    );
  const file = path.join(dir, name);
  fs.writeFileSync(file, wav.toBuffer());
  return pathToFileURL(file).href;
}

/** Keys of an object, sorted (for shape comparisons with fixtures). */
export function keys(o: object): string[] {
  return Object.keys(o).sort();
}

/** Obtains a Graph access token from the simulator with plain fetch (client credentials). */
export async function getToken(tokenEndpoint: string, clientId: string, secret: string): Promise<string> {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A tiny Graph caller with a bearer token. */
export function graph(base: string, token: string) {
  return async (
    method: string,
    p: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Headers }> => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
  };
}
