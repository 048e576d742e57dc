import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consoleCsp, createConsoleHandler } from '../../functions/web.http.js';

let root: string;
let handler: ReturnType<typeof createConsoleHandler>;

function get(p: string, headers: Record<string, string> = {}, host = '127.0.0.1:7071', method = 'GET') {
  return handler(
    new HttpRequest({
      method,
      url: `http://${host}/api/console/${p}`,
      params: p ? { path: p } : {},
      headers,
    }),
  );
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'web-http-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(
    path.join(root, 'index.html'),
    '<!doctype html><title>console</title><meta property="csp-nonce" nonce="__CSP_NONCE__"><script nonce="__CSP_NONCE__" src="x.js"></script>',
  );
  fs.writeFileSync(path.join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  fs.writeFileSync(path.join(root, 'assets', 'index-abc123.css'), 'body{}');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'not outside');
  fs.writeFileSync(path.join(path.dirname(root), `${path.basename(root)}-outside.txt`), 'outside');
  handler = createConsoleHandler(root);
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(path.join(path.dirname(root), `${path.basename(root)}-outside.txt`), { force: true });
});

describe('GET /api/console/{*path}', () => {
  it('serves index.html for the root and for screen paths, never stored, with a fresh CSP nonce', async () => {
    const nonces = new Set<string>();
    for (const p of ['', 'flows', 'calls/abc']) {
      const res = await get(p);
      expect(res.status).toBe(200);
      const headers = res.headers as Record<string, string>;
      expect(headers['Content-Type']).toBe('text/html; charset=utf-8');
      expect(headers['Cache-Control']).toBe('no-store');
      const html = res.body as string;
      expect(html).toContain('<title>console</title>');
      expect(html).not.toContain('__CSP_NONCE__');
      const nonce = /nonce="([^"]+)"/.exec(html)?.[1] as string;
      expect(headers['Content-Security-Policy']).toContain(`style-src 'self' 'nonce-${nonce}'`);
      nonces.add(nonce);
    }
    expect(nonces.size).toBe(3);
  });

  it('serves hashed assets with their content type, immutable for a year', async () => {
    const js = await get('assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect((js.headers as Record<string, string>)['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect((js.headers as Record<string, string>)['Cache-Control']).toBe(
      'public, max-age=31536000, immutable',
    );
    const css = await get('assets/index-abc123.css');
    expect((css.headers as Record<string, string>)['Content-Type']).toBe('text/css; charset=utf-8');
  });

  it('answers 304 to a matching If-None-Match and 200 to a stale one', async () => {
    const first = await get('assets/index-abc123.css');
    const etag = (first.headers as Record<string, string>).ETag as string;
    expect(etag).toMatch(/^".+"$/);
    expect((await get('assets/index-abc123.css', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('assets/index-abc123.css', { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('sends a strict CSP (no inline script or style, Trusted Types) and hardening headers', async () => {
    const res = await get('assets/index-abc123.js', {}, 'switchboard.example.net');
    const h = res.headers as Record<string, string>;
    expect(h['Content-Security-Policy']).toBe(consoleCsp(false));
    expect(h['Content-Security-Policy']).toContain("style-src 'self';");
    expect(h['Content-Security-Policy']).toContain("script-src 'self'");
    expect(h['Content-Security-Policy']).toContain("connect-src 'self';");
    expect(h['Content-Security-Policy']).toContain("require-trusted-types-for 'script'");
    expect(h['Content-Security-Policy']).not.toContain('unsafe');
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['X-Frame-Options']).toBe('DENY');
    // Served from loopback, the sign-in screen may reach the local identity provider on another port.
    const local = (await get('')).headers as Record<string, string>;
    expect(local['Content-Security-Policy']).toContain("connect-src 'self' http://127.0.0.1:*");
  });

  it('refuses paths that climb out of the console and answers 404 for missing files', async () => {
    expect((await get('../outside.txt')).status).toBe(400);
    expect((await get('assets/%2e%2e/%2e%2e/x.txt')).status).toBe(400);
    expect((await get('assets\\..\\secret.txt')).status).toBe(400);
    expect((await get('%E0%A4%A')).status).toBe(400);
    const missing = await get('assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.body as string).toContain('assets/nope.js');
  });

  it('HEAD answers headers without a body', async () => {
    const res = await get('assets/index-abc123.js', {}, '127.0.0.1:7071', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body).toBeUndefined();
  });

  it('answers 503 with the build command when the console is not built', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'web-http-empty-'));
    try {
      const res = await createConsoleHandler(empty)(
        new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/console/', params: {} }),
      );
      expect(res.status).toBe(503);
      expect(res.body as string).toContain('npm run build:web');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
