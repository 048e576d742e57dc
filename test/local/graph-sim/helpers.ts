/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is checked by assertions against the fixtures, not by types */
// Test helpers for the Graph simulator: a bot webhook that records what Graph posts, WAV files in
// a temp dir, and a poller. Shared by the files in this folder only.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wavefile from 'wavefile';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/fixtures/graph',
);

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
