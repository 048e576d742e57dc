/**
 * HTTP trigger routes as Azure Functions understands them: ASP.NET Core route templates
 * (https://learn.microsoft.com/aspnet/core/fundamentals/routing#route-templates) below the
 * `extensions.http.routePrefix` of host.json (default `api`). Supported: literal segments (matched
 * case-insensitively), `{name}`, optional `{name?}`, defaults `{name=value}`, catch-all `{*name}`,
 * inline constraints `{id:int}`, `{id:int:min(1)}`, and complex segments such as `{file}.{ext}`.
 * The default route is the function name. Pure functions; the server is in `http-server.ts`.
 */
import { AppError } from '../../shared/errors/app-error.js';

/** One route parameter in a template. */
export interface RouteParameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string | undefined;
  constraints: { name: string; args: string[] }[];
}

/** A compiled route: the template, its regex and parameters, and a sort key (most specific first). */
export interface CompiledRoute {
  template: string;
  regex: RegExp;
  parameters: RouteParameter[];
  /** Per-segment precedence, compared lexicographically: lower is more specific. */
  precedence: number[];
}

const KNOWN_CONSTRAINTS = new Set([
  'int',
  'long',
  'bool',
  'guid',
  'alpha',
  'double',
  'float',
  'decimal',
  'datetime',
  'min',
  'max',
  'range',
  'minlength',
  'maxlength',
  'length',
  'regex',
  'required',
]);

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function invalid(template: string, why: string): AppError {
  return new AppError('HOST.INVALID_ROUTE', `Route template "${template}": ${why}`, {
    metadata: { template },
  });
}

function parseParameter(token: string, template: string): RouteParameter {
  let body = token;
  let catchAll = false;
  if (body.startsWith('**')) {
    catchAll = true;
    body = body.slice(2);
  } else if (body.startsWith('*')) {
    catchAll = true;
    body = body.slice(1);
  }
  let defaultValue: string | undefined;
  // Split name from constraints: constraints may contain ':' inside regex(...) parentheses.
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  let name = parts[0] ?? '';
  let optional = false;
  const constraintTokens = parts.slice(1);
  const lastIndex = constraintTokens.length - 1;
  // `?` and `=default` come after the last constraint (or the name).
  const fixTail = (s: string): string => {
    const eq = s.indexOf('=');
    if (eq >= 0 && !s.slice(0, eq).includes('(')) {
      defaultValue = s.slice(eq + 1);
      s = s.slice(0, eq);
    }
    if (s.endsWith('?')) {
      optional = true;
      s = s.slice(0, -1);
    }
    return s;
  };
  if (lastIndex >= 0) constraintTokens[lastIndex] = fixTail(constraintTokens[lastIndex] ?? '');
  else name = fixTail(name);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(template, `bad parameter name "${name}".`);
  const constraints = constraintTokens.map((c) => {
    const m = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(c);
    if (!m || !KNOWN_CONSTRAINTS.has((m[1] ?? '').toLowerCase()))
      throw invalid(template, `unknown constraint "${c}" on {${name}}.`);
    const cname = (m[1] ?? '').toLowerCase();
    const args = m[2] === undefined ? [] : cname === 'regex' ? [m[2]] : m[2].split(',').map((a) => a.trim());
    return { name: cname, args };
  });
  return { name, optional: optional || catchAll, catchAll, defaultValue, constraints };
}

/** Splits one segment into literal text and `{parameter}` tokens; `{{` and `}}` escape braces. */
function tokenizeSegment(segment: string, template: string): { param: boolean; text: string }[] {
  const out: { param: boolean; text: string }[] = [];
  let literal = '';
  let i = 0;
  while (i < segment.length) {
    const ch = segment[i];
    const next = segment[i + 1];
    if (ch === '{' && next === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && next === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '}') {
      throw invalid(template, `unbalanced braces in "${segment}".`);
    } else if (ch === '{') {
      if (literal) out.push({ param: false, text: literal });
      literal = '';
      let body = '';
      i++;
      for (;;) {
        if (i >= segment.length) throw invalid(template, `unbalanced braces in "${segment}".`);
        const c = segment[i];
        if ((c === '{' || c === '}') && segment[i + 1] === c) {
          body += c;
          i += 2;
        } else if (c === '}') {
          i++;
          break;
        } else {
          body += c;
          i++;
        }
      }
      out.push({ param: true, text: body });
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) out.push({ param: false, text: literal });
  return out;
}

/** Compiles a route template. Errors: `HOST.INVALID_ROUTE` (bad syntax, unknown constraint, repeated parameter). */
export function compileRoute(template: string): CompiledRoute {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const parameters: RouteParameter[] = [];
  const precedence: number[] = [];
  let pattern = '';
  segments.forEach((segment, index) => {
    if (segment === '') throw invalid(template, 'empty segment.');
    const tokens = tokenizeSegment(segment, template);
    const params = tokens.filter((t) => t.param);
    if (params.length === 1 && tokens.length === 1) {
      const p = parseParameter(tokens[0]?.text ?? '', template);
      if (p.catchAll && index !== segments.length - 1)
        throw invalid(template, 'a catch-all parameter must be the last segment.');
      parameters.push(p);
      precedence.push(p.catchAll ? 5 : p.constraints.length > 0 ? 3 : 4);
      const group = p.catchAll ? '(.*)' : '([^/]+)';
      pattern += p.optional || p.defaultValue !== undefined ? `(?:/${group})?` : `/${group}`;
      return;
    }
    let seg = '/';
    for (const t of tokens) {
      if (t.param) {
        const p = parseParameter(t.text, template);
        if (p.catchAll) throw invalid(template, 'a catch-all parameter must be a whole segment.');
        parameters.push(p);
        seg += '([^/]+?)';
      } else {
        seg += escapeRegex(t.text);
      }
    }
    precedence.push(params.length === 0 ? 1 : 2);
    pattern += seg;
  });
  const names = parameters.map((p) => p.name.toLowerCase());
  if (new Set(names).size !== names.length) throw invalid(template, 'a parameter name is repeated.');
  return { template, regex: new RegExp(`^${pattern}/?$`, 'i'), parameters, precedence };
}

/** Orders routes most specific first (literal before constrained before plain parameters before catch-all). */
export function compareRoutes(a: CompiledRoute, b: CompiledRoute): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const x = a.precedence[i] ?? 0;
    const y = b.precedence[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

function decodeLenient(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function satisfies(value: string, c: { name: string; args: string[] }): boolean {
  const n = (i: number): number => Number(c.args[i]);
  switch (c.name) {
    case 'int':
      return /^-?\d+$/.test(value) && Number(value) >= -2147483648 && Number(value) <= 2147483647;
    case 'long':
      return /^-?\d+$/.test(value);
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'guid':
      return /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    case 'double':
    case 'float':
    case 'decimal':
      return value.trim() !== '' && Number.isFinite(Number(value));
    case 'datetime':
      return !Number.isNaN(Date.parse(value));
    case 'min':
      return /^-?\d+$/.test(value) && Number(value) >= n(0);
    case 'max':
      return /^-?\d+$/.test(value) && Number(value) <= n(0);
    case 'range':
      return /^-?\d+$/.test(value) && Number(value) >= n(0) && Number(value) <= n(1);
    case 'minlength':
      return value.length >= n(0);
    case 'maxlength':
      return value.length <= n(0);
    case 'length':
      return c.args.length > 1 ? value.length >= n(0) && value.length <= n(1) : value.length === n(0);
    case 'regex':
      return new RegExp(c.args[0] ?? '', 'i').test(value);
    case 'required':
      return value !== '';
    default:
      return false;
  }
}

/**
 * Matches `path` (below the route prefix, starting with `/`, not decoded) against a route.
 * Returns the decoded parameter values (absent optional ones are left out; defaults filled in),
 * or undefined when the path or a constraint does not match.
 */
export function matchRoute(route: CompiledRoute, path: string): Record<string, string> | undefined {
  const m = route.regex.exec(path === '' ? '/' : path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.parameters.length; i++) {
    const p = route.parameters[i];
    if (!p) continue;
    const raw = m[i + 1];
    const value =
      raw === undefined || raw === ''
        ? p.defaultValue
        : p.catchAll
          ? raw.split('/').map(decodeLenient).join('/')
          : decodeLenient(raw);
    if (value === undefined) {
      if (!p.optional) return undefined;
      continue;
    }
    if (!p.constraints.every((c) => satisfies(value, c))) return undefined;
    params[p.name] = value;
  }
  return params;
}

/** Splits a request path into the part below `/<routePrefix>`, or undefined when it is not under the prefix. */
export function stripRoutePrefix(path: string, routePrefix: string): string | undefined {
  const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
  if (prefix === '') return path === '' ? '/' : path;
  const head = `/${prefix}`;
  if (path.toLowerCase() === head.toLowerCase()) return '/';
  if (path.toLowerCase().startsWith(`${head.toLowerCase()}/`)) return path.slice(head.length);
  return undefined;
}
