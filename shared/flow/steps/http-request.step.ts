/**
 * `httpRequest`: renders the URL, headers and body templates, asks the orchestration to call the
 * API (an activity), stores `{status, body}` in `into`, and branches `success` (2xx) / `error`
 * (anything else, a timeout, a failed activity). Only `http(s)` URLs whose host is written
 * literally and is on the allowlist; the activity enforces the deployment allowlist again.
 */
import { AppError } from '../../errors/app-error.js';
import { durationMs } from '../duration.js';
import type { Json } from '../model.js';
import type { StepHandler, StepProblem } from './step.js';

/** The literal host of a URL template, or an error when it is not `http(s)://host/...` with a literal host. */
export function templateHost(url: string): { host: string } | { error: string } {
  const m = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (!m) return { error: 'URL must start with http:// or https://' };
  const authority = m[2] ?? '';
  if (authority.includes('${'))
    return { error: 'the URL host must be written literally (templates only in path and query)' };
  if (authority.includes('@')) return { error: 'credentials in URLs are not allowed' };
  const host = authority.replace(/:[0-9]{1,5}$/, '').toLowerCase();
  if (!/^[a-z0-9.-]{1,253}$/.test(host) && !/^\[[0-9a-f:.]+\]$/.test(host))
    return { error: `"${host}" is not a host name` };
  return { host };
}

export const httpRequest: StepHandler<'httpRequest'> = {
  type: 'httpRequest',
  answers: false,
  terminal: () => false,
  edges: (s, name) => [
    { to: s.success, label: 'success', kind: 'result', path: ['steps', name, 'success'] },
    { to: s.error, label: 'error', kind: 'result', path: ['steps', name, 'error'] },
  ],
  refs(s, name) {
    const expressions: { path: (string | number)[]; source: string; kind: 'template' }[] = [
      { path: ['steps', name, 'url'], source: s.url, kind: 'template' },
    ];
    for (const [k, v] of Object.entries(s.headers ?? {}))
      expressions.push({ path: ['steps', name, 'headers', k], source: v, kind: 'template' });
    const walk = (v: unknown, path: (string | number)[]): void => {
      if (typeof v === 'string') expressions.push({ path, source: v, kind: 'template' });
      else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v !== null && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(s.body, ['steps', name, 'body']);
    return { prompts: [], expressions, writes: s.into === undefined ? [] : [s.into] };
  },
  check(s, name, flow) {
    const h = templateHost(s.url);
    const path = ['steps', name, 'url'];
    if ('error' in h) return [{ path, severity: 'error', code: 'FLOW.BAD_URL', message: h.error }];
    const out: StepProblem[] = [];
    // The deployment allowlist is merged in by the validator (options.allowedHosts).
    if (!(flow.allowedHosts ?? []).map((x) => x.toLowerCase()).includes(h.host))
      out.push({
        path,
        severity: 'error',
        code: 'FLOW.HOST_NOT_ALLOWED',
        message: `host "${h.host}" is not on the allowlist (allowedHosts)`,
      });
    return out;
  },
  enter(run, s) {
    let url: string;
    let headers: Record<string, string>;
    let body: Json | undefined;
    try {
      url = run.render(s.url);
      headers = Object.fromEntries(Object.entries(s.headers ?? {}).map(([k, v]) => [k, run.render(v)]));
      body = s.body === undefined ? undefined : run.renderJson(s.body as Json);
    } catch (err) {
      return run.goto(s.error, 'error', err instanceof AppError ? err.code : 'FLOW.EXPRESSION_FAILED');
    }
    const h = templateHost(url);
    const literal = templateHost(s.url);
    if ('error' in h || 'error' in literal || h.host !== literal.host)
      return run.goto(s.error, 'error', 'FLOW.HOST_NOT_ALLOWED');
    const id = run.newId();
    run.local.http = id;
    run.emit({
      type: 'httpRequest',
      id,
      method: s.method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: durationMs(s.timeout, 5000),
    });
    run.phase = 'waiting';
  },
  onEvent(run, s, e) {
    if (e.type !== 'httpResult' || e.commandId !== run.local.http) return;
    if (s.into !== undefined) run.setVar(s.into, { status: e.status, body: e.body });
    run.goto(
      e.status >= 200 && e.status < 300 ? s.success : s.error,
      e.status >= 200 && e.status < 300 ? 'success' : 'error',
      String(e.status),
    );
  },
  onFailed(run, s, e) {
    if (s.into !== undefined) run.setVar(s.into, { status: 0, body: null });
    run.goto(s.error, 'error', e.code);
  },
};
