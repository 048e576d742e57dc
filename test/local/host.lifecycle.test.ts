import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFunctionTimeout, resolveDefaultEntry, startLocalHost } from '../../local/host.js';

const entry = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/apps/http-basic/index.ts',
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'host-life-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('local host lifecycle', () => {
  it('finishes an in-flight request on stop, then refuses new connections', async () => {
    const host = await startLocalHost({ entry, port: 0, dataDir: tmp });
    const inFlight = fetch(`${host.url}/api/slow?ms=300`);
    // Stop only once the request is being handled (a fixed sleep may be too short under load).
    const deadline = Date.now() + 10_000;
    while (host.registry.inFlightCount === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(host.registry.inFlightCount).toBe(1);
    await host.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('finally');
    await expect(fetch(`${host.url}/api/hello`)).rejects.toThrow();
    expect(host.registry.inFlightCount).toBe(0);
  });

  it('lets two hosts run side by side on different ports and data folders', async () => {
    const a = await startLocalHost({ entry, port: 0, dataDir: path.join(tmp, 'a') });
    const b = await startLocalHost({ entry, port: 0, dataDir: path.join(tmp, 'b') });
    try {
      expect(a.port).not.toBe(b.port);
      expect(a.functionListing()).toContain(`hello: [GET] ${a.url}/api/hello/{name?}`);
      expect(a.functionListing()).toContain(`defaultRoute: [GET] ${a.url}/api/defaultRoute`);
      expect((await fetch(`${a.url}/api/hello/a`)).status).toBe(200);
      expect((await fetch(`${b.url}/api/hello/b`)).status).toBe(200);
      expect(fs.existsSync(path.join(tmp, 'a', 'bus.sqlite'))).toBe(true);
      expect(fs.existsSync(path.join(tmp, 'b', 'bus.sqlite'))).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('parses functionTimeout and maps package.json main to its TypeScript source', () => {
    expect(parseFunctionTimeout('00:05:00')).toBe(300_000);
    expect(parseFunctionTimeout('1.00:00:00')).toBe(86_400_000);
    expect(parseFunctionTimeout('-1')).toBeUndefined();
    expect(() => parseFunctionTimeout('5 minutes')).toThrow(
      expect.objectContaining({ code: 'HOST.INVALID_HOST_JSON' }),
    );
    const proj = path.join(tmp, 'proj');
    fs.mkdirSync(proj, { recursive: true });
    fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ main: 'dist/index.js' }));
    fs.writeFileSync(path.join(proj, 'index.ts'), '');
    expect(resolveDefaultEntry(proj)).toBe(path.join(proj, 'index.ts'));
  });

  it('rejects a missing entry with HOST.ENTRY_NOT_FOUND', async () => {
    await expect(
      startLocalHost({ entry: path.join(tmp, 'nope.ts'), port: 0, dataDir: path.join(tmp, 'c') }),
    ).rejects.toMatchObject({ code: 'HOST.ENTRY_NOT_FOUND' });
  });
});
