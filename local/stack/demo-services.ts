/**
 * The stand-ins for the web services the example flows call from `httpRequest` steps, served on
 * 127.0.0.1 by the local stack (requests reach it through `host-redirect.ts`, which puts the
 * original host name first in the path):
 *
 * | host                        | route                     | answers                                                          |
 * | --------------------------- | ------------------------- | ---------------------------------------------------------------- |
 * | `api.contoso.example`       | `GET /accounts/{n}`       | 123456 → `{tier: gold, name: Ann}`, 654321 → silver, else 404    |
 * | `rx.northwind.example`      | `POST /v1/refills`        | 201 `{status: accepted, readyBy}`                                |
 * | `rx.northwind.example`      | `GET /v1/refills/{rx}`    | 200 `{state: 'ready for pickup'}`                                |
 * | `outages.citypower.example` | `POST /v1/lookup`         | zip 98052 → `{active: true, customers: 1200, eta: '9 PM'}`, else `{active: false}` |
 *
 * Tests and the end-to-end runner can program answers with {@link DemoServices.program}: the first
 * matching rule wins over the built-in data. Every request is recorded.
 */
import Fastify, { type FastifyInstance } from 'fastify';

/** What a programmed rule answers. `status: 0` drops the connection (a network failure). */
export interface DemoAnswer {
  status: number;
  body?: unknown;
  /** Delay before answering, real ms. */
  delayMs?: number;
}

/** A programmed answer and the requests it applies to. */
export interface DemoRule {
  /** Host name the flow called (e.g. `api.contoso.example`). */
  host: string;
  method?: string;
  /** The request path must start with this (e.g. `/v1/refills`). */
  pathPrefix?: string;
  /** This text must appear in the path, a header value or the body (e.g. the caller's number). */
  contains?: string;
  answer: DemoAnswer;
  /** How many requests it answers (default: unlimited). */
  times?: number;
}

/** A request the demo services received. */
export interface DemoRequest {
  host: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Real epoch ms. */
  at: number;
  status: number;
}

/** The running demo services. */
export interface DemoServices {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Host names they answer for. */
  readonly hosts: readonly string[];
  /** Adds a rule (tried before earlier rules); returns a function that removes it. */
  program(rule: DemoRule): () => void;
  /** Requests so far, in order. */
  requests(): DemoRequest[];
  stop(): Promise<void>;
}

/** The hosts of the example flows. */
export const DEMO_HOSTS = ['api.contoso.example', 'rx.northwind.example', 'outages.citypower.example'];

function builtIn(host: string, method: string, path: string, body: unknown): DemoAnswer {
  const json = (body ?? {}) as Record<string, unknown>;
  if (host === 'api.contoso.example' && method === 'GET') {
    const m = /^\/accounts\/([0-9]+)$/.exec(path);
    if (m?.[1] === '123456') return { status: 200, body: { tier: 'gold', name: 'Ann' } };
    if (m?.[1] === '654321') return { status: 200, body: { tier: 'silver', name: 'Bo' } };
    return { status: 404, body: { error: 'no such account' } };
  }
  if (host === 'rx.northwind.example') {
    if (method === 'POST' && path === '/v1/refills')
      return { status: 201, body: { status: 'accepted', readyBy: 'tomorrow after 2 PM' } };
    if (method === 'GET' && /^\/v1\/refills\/[0-9]+$/.test(path))
      return { status: 200, body: { state: 'ready for pickup' } };
  }
  if (host === 'outages.citypower.example' && method === 'POST' && path === '/v1/lookup')
    return json.zip === '98052'
      ? { status: 200, body: { active: true, customers: 1200, eta: '9 PM' } }
      : { status: 200, body: { active: false } };
  return { status: 404, body: { error: 'not found' } };
}

/** Starts the demo services on 127.0.0.1 (`port` 0 = any free port). */
export async function startDemoServices(options: { port?: number } = {}): Promise<DemoServices> {
  const app: FastifyInstance = Fastify({ logger: false });
  const rules: (DemoRule & { left: number })[] = [];
  const seen: DemoRequest[] = [];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.get('/health', () => ({ ok: true }));
  app.all('/:host/*', async (req, reply) => {
    const { host } = req.params as { host: string };
    const url = new URL(req.url, 'http://x');
    const path = url.pathname.slice(host.length + 1) + url.search;
    const raw = typeof req.body === 'string' ? req.body : '';
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v ?? '')]),
    );
    const haystack = `${path}\n${Object.values(headers).join('\n')}\n${raw}`;
    const rule = rules.find(
      (r) =>
        r.left > 0 &&
        r.host === host &&
        (r.method === undefined || r.method.toUpperCase() === req.method) &&
        (r.pathPrefix === undefined || path.startsWith(r.pathPrefix)) &&
        (r.contains === undefined || haystack.includes(r.contains)),
    );
    let parsed: unknown;
    try {
      parsed = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (rule) rule.left -= 1;
    const answer = rule?.answer ?? builtIn(host, req.method, path, parsed);
    seen.push({ host, method: req.method, path, headers, body: raw, at: Date.now(), status: answer.status });
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (answer.status === 0) {
      req.raw.socket.destroy();
      return reply.hijack();
    }
    return reply.code(answer.status).send(answer.body ?? null);
  });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('demo services: no TCP address');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    hosts: DEMO_HOSTS,
    program(rule) {
      const entry = { ...rule, left: rule.times ?? Number.POSITIVE_INFINITY };
      rules.unshift(entry);
      return () => {
        const i = rules.indexOf(entry);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    requests: () => [...seen],
    stop: () => app.close(),
  };
}
