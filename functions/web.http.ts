/**
 * `GET /api/console/{*path}`: the web console (analysts' flow editor, ops console), the static
 * files Vite builds into `web/dist/` (`npm run build:web`).
 *
 * - `/api/console` and every path without a file extension (the console's own screens) answer
 *   `index.html`; a missing file with an extension answers 404; `..` or encoded separators 400.
 * - Cache: files under `assets/` carry a content hash in their name, so they are
 *   `public, max-age=31536000, immutable`; other files are `no-cache` with an ETag (`If-None-Match`
 *   answers 304). `index.html` is `no-store`: each load gets a fresh CSP nonce, written into the
 *   page where Vite left the `__CSP_NONCE__` placeholder (`html.cspNonce`), which the editor gives
 *   to the `<style>` element CodeMirror injects; no other inline style is allowed.
 * - Security headers on every answer: a strict Content-Security-Policy (only this origin's scripts,
 *   styles, images and API; no inline script or style, no eval, Trusted Types required so no
 *   string reaches an HTML sink), `X-Content-Type-Options: nosniff`, no framing, no referrer.
 *
 * Anonymous on purpose, like any single-page app signed in with MSAL.js: these files hold no data
 * and no secrets; every API the console calls requires a bearer token.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The Content-Security-Policy of the console. `connect-src` is this origin only; when the console
 * is served from loopback (the local host), it may also reach other loopback ports: the local
 * identity provider the sign-in screen gets its token from. (With MSAL.js in production, the
 * Entra ID authority, `https://login.microsoftonline.com`, would be added here.)
 */
export function consoleCsp(local: boolean, nonce?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    nonce === undefined ? "style-src 'self'" : `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    local ? "connect-src 'self' http://127.0.0.1:* http://localhost:*" : "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': consoleCsp(false),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Content types by file extension (anything else is served as `application/octet-stream`). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** What Vite writes where the per-response nonce goes (web/vite.config.ts `html.cspNonce`). */
export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

const IMMUTABLE = 'public, max-age=31536000, immutable';

function isLocal(request: HttpRequest): boolean {
  try {
    return LOOPBACK.has(new URL(request.url).hostname);
  } catch {
    return false;
  }
}

function text(status: number, message: string): HttpResponseInit {
  return {
    status,
    headers: {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
    },
    body: message,
  };
}

/**
 * Where the built console is: `web/dist` at the project root, found from this module's location
 * (`functions/web.http.ts` when run from source, `dist/functions/web.http.js` when built).
 */
export function defaultConsoleRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [resolve(here, '..', 'web', 'dist'), resolve(here, '..', '..', 'web', 'dist')];
  return candidates.find((c) => existsSync(join(c, 'index.html'))) ?? (candidates[0] as string);
}

/**
 * Builds the handler serving the files under `root` (an absolute directory holding `index.html`).
 * Never throws: a missing build answers 503 with the command that makes it.
 */
export function createConsoleHandler(root: string): (request: HttpRequest) => Promise<HttpResponseInit> {
  const base = resolve(root);
  return async (request) => {
    const raw = request.params.path ?? '';
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      return text(400, 'The console path is not valid URL encoding.');
    }
    const segments = path.split('/').filter((s) => s.length > 0);
    if (segments.some((s) => s === '..' || s === '.' || s.includes('\\') || s.includes('\0'))) {
      return text(400, 'The console path may not contain "..", "." or "\\" segments.');
    }
    const ext = extname(segments.at(-1) ?? '').toLowerCase();
    const file = ext === '' ? 'index.html' : segments.join('/');
    const full = resolve(base, file);
    if (full !== base && !full.startsWith(base + sep))
      return text(400, 'The console path leaves the console.');

    let info;
    try {
      info = await stat(full);
    } catch {
      if (file === 'index.html') {
        return text(503, 'The console is not built. Run `npm run build:web` and reload.');
      }
      return text(404, `No console file "${file}".`);
    }
    if (!info.isFile()) return text(404, `No console file "${file}".`);

    if (file === 'index.html') {
      const nonce = randomBytes(18).toString('base64');
      const html = (await readFile(full, 'utf8')).replaceAll(NONCE_PLACEHOLDER, nonce);
      return {
        status: 200,
        headers: {
          ...SECURITY_HEADERS,
          'Content-Security-Policy': consoleCsp(isLocal(request), nonce),
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
        },
        body: request.method === 'HEAD' ? undefined : html,
      };
    }
    const body = await readFile(full);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const hashed = segments[0] === 'assets' && ext !== '';
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'Content-Security-Policy': consoleCsp(isLocal(request)),
      'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Cache-Control': hashed ? IMMUTABLE : 'no-cache',
      ETag: etag,
    };
    const ifNoneMatch = request.headers.get('if-none-match');
    if (ifNoneMatch !== null && ifNoneMatch.split(',').some((t) => t.trim() === etag)) {
      return { status: 304, headers };
    }
    return { status: 200, headers, body: request.method === 'HEAD' ? undefined : body };
  };
}

app.http('webConsole', {
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  route: 'console/{*path}',
  // Resolved per request (an existsSync): a build made after start-up is found without a restart.
  handler: (request) => createConsoleHandler(defaultConsoleRoot())(request),
});
