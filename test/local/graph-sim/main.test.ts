// The standalone runner: prints its URLs as one JSON line, serves /sim, stops on SIGTERM, and
// reports bad options as one line with exit code 2.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'local/graph-sim/main.ts');

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

it('starts, serves /sim/health and stops cleanly on SIGTERM', async () => {
  const p = run(['--bot-app-id', 'app-1', '--speed', '10', '--port', '0']);
  const deadline = Date.now() + 20_000;
  while (!p.out().includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const info = JSON.parse(p.out().split('\n')[0]!) as {
    url: string;
    graphBaseUrl: string;
    authorityHost: string;
  };
  expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(info.graphBaseUrl).toBe(`${info.url}/v1.0`);
  const health = (await (await fetch(`${info.url}/sim/health`)).json()) as { ok: boolean; speed: number };
  expect(health).toMatchObject({ ok: true, speed: 10 });
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
});

it('reports bad options in one line with exit code 2', async () => {
  const p = run(['--bot-app-id', 'app-1', '--speed', 'fast']);
  expect(await p.exited).toBe(2);
  expect(p.err()).toMatch(/^graph-sim: error: .*--speed must be a number/);
  expect(p.err()).not.toMatch(/\n\s+at /);
});
