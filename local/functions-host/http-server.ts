/**
 * The local Functions host's HTTP front end (fastify on 127.0.0.1): HTTP-triggered functions under
 * the host.json route prefix, and the Durable Functions HTTP API mounted at `/durabletask/` (what
 * `DurableClient` calls through `rpcBaseUrl`) and `/runtime/webhooks/durabletask/` (the public
 * webhook paths Azure serves). Behaviour copied from the Azure Functions host:
 * - a path that matches no route, or a route whose methods exclude the request's, answers 404
 *   (the host's router treats the method as a route constraint);
 * - `authLevel` `anonymous` is open; `function` accepts a function key or the master key, `admin`
 *   only the master key, from `?code=` or the `x-functions-key` header; otherwise 401. A binding
 *   without `authLevel` is treated as `function`, as the host does (`@azure/functions` v4 itself
 *   fills in `anonymous` when a registration omits it);
 * - bodies above `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (default 100 MiB) answer 413;
 * - an invocation over `functionTimeout` fails with 500; a request over the front-end timeout
 *   (Azure's load balancer: 230 s) answers 504;
 * - a handler that throws answers 500 with an empty body (the error goes to the host log only);
 * - no response from the handler answers 200 with an empty body (the host's `OkResult` fallback in
 *   `FunctionInvocationMiddleware`).
 * Requests and responses go through the library's `HttpRequest`/`HttpResponse` via RpcHttpData.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AppError, ensureError } from '../../shared/errors/app-error.js';
import type { DurableHubForHost, LocalHttpResponse } from '../host-contract.js';
import type { CoreHttpCookie, CoreHttpData, CoreTypedData } from './core-types.js';
import {
  compareRoutes,
  compileRoute,
  matchRoute,
  stripRoutePrefix,
  type CompiledRoute,
} from './http-routes.js';
import type { FunctionRegistry, RegisteredFunction } from './registry.js';

/** Azure Functions' default request body limit (`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`), bytes. */
export const DEFAULT_BODY_LIMIT_BYTES = 104_857_600;
/** Azure's front-end (load balancer) idle timeout for HTTP-triggered functions, ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 230_000;

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const;

/** Function and host keys for `authLevel` checks. */
export interface HostKeys {
  /** Keys accepted for `function` level (function keys and host keys). */
  functionKeys: string[];
  /** The master key: accepted for `function` and `admin` levels. */
  masterKey?: string | undefined;
}

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  registry: FunctionRegistry;
  /** host.json `extensions.http.routePrefix` (default `api`; `''` for none). */
  routePrefix?: string;
  keys?: HostKeys;
  /** Request body limit in bytes (default 100 MiB). */
  bodyLimitBytes?: number;
  /** host.json `functionTimeout` in ms (none when undefined). */
  functionTimeoutMs?: number | undefined;
  /** Front-end timeout in ms (default 230 000). */
  requestTimeoutMs?: number;
  /** The Durable task hub, when one is attached (read per request). */
  durableHub?: () => DurableHubForHost | undefined;
}

/** A running HTTP front end. */
export interface HttpServer {
  readonly fastify: FastifyInstance;
  /** Listens on `host:port` (port 0 picks a free one); resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections and waits for in-flight requests. */
  close(): Promise<void>;
}

interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: Set<string> | undefined;
  authLevel: string;
}

class TimeoutError extends Error {
  constructor(readonly status: number) {
    super(`timeout (${status})`);
  }
}

function keyMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Builds the HTTP trigger route table from the registry, most specific route first. */
export function buildHttpRoutes(registry: FunctionRegistry): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of registry.functions()) {
    const b = fn.trigger.binding;
    if (b.type.toLowerCase() !== 'httptrigger') continue;
    const template = typeof b.route === 'string' && b.route !== '' ? b.route : fn.name;
    const methods =
      Array.isArray(b.methods) && b.methods.length > 0
        ? new Set((b.methods as unknown[]).map((m) => String(m).toUpperCase()))
        : undefined;
    const authLevel = typeof b.authLevel === 'string' ? b.authLevel.toLowerCase() : 'function';
    routes.push({ fn, route: compileRoute(template), methods, authLevel });
  }
  return routes.sort((x, y) => compareRoutes(x.route, y.route));
}

function firstValues(search: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of search) if (!(k in out)) out[k] = v;
  return out;
}

function flatHeaders(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function decodePath(p: string): string {
  return p
    .split('/')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    })
    .join('/');
}

function serializeCookie(c: CoreHttpCookie): string | undefined {
  if (!c.name) return undefined;
  let s = `${c.name}=${c.value ?? ''}`;
  if (c.domain?.value) s += `; Domain=${c.domain.value}`;
  if (c.path?.value) s += `; Path=${c.path.value}`;
  const secs = c.expires?.value?.seconds;
  if (typeof secs === 'number') s += `; Expires=${new Date(secs * 1000).toUTCString()}`;
  if (typeof c.maxAge?.value === 'number') s += `; Max-Age=${Math.floor(c.maxAge.value)}`;
  if (c.secure?.value) s += '; Secure';
  if (c.httpOnly?.value) s += '; HttpOnly';
  if (c.sameSite === 'lax') s += '; SameSite=Lax';
  else if (c.sameSite === 'strict') s += '; SameSite=Strict';
  else if (c.sameSite === 'explicitNone') s += '; SameSite=None';
  return s;
}

function bodyBytes(body: CoreTypedData | null | undefined): Buffer | undefined {
  if (!body) return undefined;
  if (body.bytes) return Buffer.from(body.bytes);
  if (body.stream) return Buffer.from(body.stream);
  if (typeof body.string === 'string') return Buffer.from(body.string);
  if (typeof body.json === 'string') return Buffer.from(body.json);
  if (typeof body.int === 'number') return Buffer.from(String(body.int));
  if (typeof body.double === 'number') return Buffer.from(String(body.double));
  return undefined;
}

async function sendHttpResult(reply: FastifyReply, http: CoreHttpData | undefined): Promise<void> {
  if (!http) {
    await reply.code(200).send();
    return;
  }
  const status = http.statusCode ? Number.parseInt(http.statusCode, 10) : 200;
  reply.code(Number.isFinite(status) && status >= 100 && status <= 599 ? status : 200);
  for (const [k, v] of Object.entries(http.headers ?? {})) {
    const key = k.toLowerCase();
    if (key === 'content-length' || key === 'transfer-encoding' || key === 'connection') continue;
    reply.header(k, v);
  }
  const cookies = (http.cookies ?? []).map(serializeCookie).filter((c): c is string => c !== undefined);
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  const bytes = bodyBytes(http.body);
  await reply.send(bytes && bytes.length > 0 ? bytes : undefined);
}

async function sendLocalResponse(reply: FastifyReply, res: LocalHttpResponse): Promise<void> {
  reply.code(res.status);
  const headers = res.headers ?? {};
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  const hasType = Object.keys(headers).some((k) => k.toLowerCase() === 'content-type');
  if (res.body === undefined) {
    await reply.send();
  } else if (typeof res.body === 'string') {
    if (!hasType) reply.header('content-type', 'text/plain; charset=utf-8');
    await reply.send(res.body);
  } else {
    if (!hasType) reply.header('content-type', 'application/json; charset=utf-8');
    await reply.send(JSON.stringify(res.body));
  }
}

function withTimeouts<T>(
  work: Promise<T>,
  functionTimeoutMs: number | undefined,
  requestTimeoutMs: number,
): Promise<T> {
  const timers: NodeJS.Timeout[] = [];
  const races: Promise<T>[] = [work];
  // Whichever fires first wins: the function timeout (500) or the front-end timeout (504).
  if (functionTimeoutMs !== undefined && functionTimeoutMs > 0) {
    races.push(
      new Promise<T>((_, reject) =>
        timers.push(setTimeout(() => reject(new TimeoutError(500)), functionTimeoutMs)),
      ),
    );
  }
  if (requestTimeoutMs > 0) {
    races.push(
      new Promise<T>((_, reject) =>
        timers.push(setTimeout(() => reject(new TimeoutError(504)), requestTimeoutMs)),
      ),
    );
  }
  return Promise.race(races).finally(() => timers.forEach(clearTimeout));
}

/**
 * Creates the HTTP front end for the registry's HTTP triggers and the Durable mounts. Routes are
 * built once, from the registrations present at creation. Errors: `HOST.INVALID_ROUTE` for a route
 * template the host cannot compile.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const registry = options.registry;
  const routePrefix = options.routePrefix ?? 'api';
  const keys = options.keys ?? { functionKeys: [] };
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const routes = buildHttpRoutes(registry);
  let boundPort = 0;

  const fastify = Fastify({
    logger: false,
    bodyLimit,
    exposeHeadRoutes: false,
    forceCloseConnections: 'idle',
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  fastify.setErrorHandler(async (err: { statusCode?: number }, _req, reply) => {
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    if (status === 500) registry.log('error', 'system', `HTTP request failed: ${ensureError(err).message}`);
    await reply.code(status).send();
  });

  const authorized = (level: string, req: FastifyRequest, query: URLSearchParams): boolean => {
    if (level === 'anonymous') return true;
    const header = req.headers['x-functions-key'];
    const given = query.get('code') ?? (Array.isArray(header) ? header[0] : header);
    if (!given) return false;
    if (keys.masterKey && keyMatches(given, keys.masterKey)) return true;
    if (level === 'admin') return false;
    return keys.functionKeys.some((k) => k !== '' && keyMatches(given, k));
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const rawUrl = req.raw.url ?? '/';
    const qIndex = rawUrl.indexOf('?');
    const rawPath = qIndex >= 0 ? rawUrl.slice(0, qIndex) : rawUrl;
    const search = new URLSearchParams(qIndex >= 0 ? rawUrl.slice(qIndex + 1) : '');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const hostHeader = typeof req.headers.host === 'string' ? req.headers.host : `127.0.0.1:${boundPort}`;
    const origin = `http://${hostHeader}`;

    // Durable Functions HTTP API mounts.
    for (const [prefix, mount] of [
      ['/runtime/webhooks/durabletask', 'public'],
      ['/durabletask', 'rpc'],
    ] as const) {
      const lower = rawPath.toLowerCase();
      if (lower === prefix || lower.startsWith(`${prefix}/`)) {
        const hub = options.durableHub?.();
        if (!hub) {
          await reply.code(404).send();
          return;
        }
        const res = await hub.handleHttp(
          mount,
          {
            method: req.method,
            path: decodePath(rawPath.slice(prefix.length).replace(/^\/+/, '')),
            query: firstValues(search),
            headers: flatHeaders(req),
            body,
          },
          origin,
        );
        await sendLocalResponse(reply, res);
        return;
      }
    }

    const below = stripRoutePrefix(rawPath, routePrefix);
    if (below === undefined) {
      await reply.code(404).send();
      return;
    }
    let matched: { r: HttpRoute; params: Record<string, string> } | undefined;
    for (const r of routes) {
      if (r.methods && !r.methods.has(req.method)) continue;
      const params = matchRoute(r.route, below);
      if (params) {
        matched = { r, params };
        break;
      }
    }
    if (!matched) {
      await reply.code(404).send();
      return;
    }
    if (!authorized(matched.r.authLevel, req, search)) {
      await reply.code(401).send();
      return;
    }

    const http: CoreHttpData = {
      method: req.method,
      url: `${origin}${rawUrl}`,
      headers: flatHeaders(req),
      params: matched.params,
      ...(body.length > 0 ? { body: { bytes: body } } : {}),
    };
    try {
      const result = await withTimeouts(
        registry.invoke(matched.r.fn.name, { http }),
        options.functionTimeoutMs,
        requestTimeoutMs,
      );
      const rv = result.returnValue as CoreTypedData | undefined;
      await sendHttpResult(reply, rv?.http ?? undefined);
    } catch (err) {
      if (err instanceof TimeoutError) {
        registry.log(
          'error',
          'system',
          `Function "${matched.r.fn.name}" timed out (${err.status === 504 ? 'front-end request timeout' : 'functionTimeout'}).`,
        );
        await reply.code(err.status).send();
        return;
      }
      const e = ensureError(err);
      registry.log('error', 'system', `Function "${matched.r.fn.name}" failed: ${e.stack ?? e.message}`);
      await reply.code(500).send();
    }
  };

  fastify.route({ method: [...ALL_METHODS], url: '/', handler: handle });
  fastify.route({ method: [...ALL_METHODS], url: '/*', handler: handle });

  return {
    fastify,
    async listen(port: number, host = '127.0.0.1'): Promise<number> {
      await fastify.listen({ port, host });
      const address = fastify.server.address();
      if (!address || typeof address === 'string')
        throw new AppError('HOST.LISTEN_FAILED', `Could not read the bound address of the HTTP server.`);
      boundPort = address.port;
      return boundPort;
    },
    async close(): Promise<void> {
      // Keep-alive connections that finish their request after close() began would hold the
      // server open until their idle timeout; close them as soon as they go idle.
      const sweeper = setInterval(() => fastify.server.closeIdleConnections(), 25);
      try {
        await fastify.close();
      } finally {
        clearInterval(sweeper);
      }
    },
  };
}
