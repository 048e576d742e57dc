/**
 * Expressions and templates: CEL (Common Expression Language, https://github.com/google/cel-spec)
 * through `@marcbachmann/cel-js`. CEL is non-Turing-complete (no loops, no recursion, bounded
 * macros), has no `eval` and sees only the variables we pass: the call's variables. Templates
 * are strings with `${ cel }` parts (`https://api.example.com/accounts/${account}`).
 *
 * Numbers: CEL distinguishes int and double; flow variables are JSON, so whole numbers are
 * passed as CEL ints and results are turned back into JSON (ints -> numbers, maps -> objects).
 */
import { Environment } from '@marcbachmann/cel-js';

import { AppError } from '../errors/app-error.js';
import type { Json } from './model.js';

/** Variables every flow has (beside its own): see the README "Variables" section. */
export const BUILTIN_VARIABLES = [
  'callerNumber',
  'dialledNumber',
  'callId',
  'digits',
  'lastChoice',
  'now',
] as const;

const LIMITS = {
  maxAstNodes: 500,
  maxDepth: 32,
  maxListElements: 100,
  maxMapEntries: 100,
  maxCallArguments: 8,
};

/** A CEL environment declaring `names` (all `dyn`). */
export function celEnvironment(names: Iterable<string>): Environment {
  const env = new Environment({
    limits: LIMITS,
    homogeneousAggregateLiterals: false,
    unlistedVariablesAreDyn: false,
  });
  for (const n of new Set(names)) env.registerVariable(n, 'dyn');
  return env;
}

/** The result of checking one expression. */
export type ExpressionProblem = {
  code: 'FLOW.EXPRESSION_SYNTAX' | 'FLOW.UNDECLARED_VARIABLE' | 'FLOW.EXPRESSION_TYPE';
  message: string;
};

/** Checks `expr` against `env` (syntax, declared variables, types; `expectBool` for conditions). `undefined` when fine. */
export function checkExpression(
  env: Environment,
  expr: string,
  expectBool = false,
): ExpressionProblem | undefined {
  let res: { valid: boolean; type?: string; error?: { name?: string; message?: string } };
  try {
    res = env.check(expr);
  } catch (err) {
    return {
      code: 'FLOW.EXPRESSION_SYNTAX',
      message: firstLine(err instanceof Error ? err.message : String(err)),
    };
  }
  if (res.valid) {
    if (expectBool && res.type !== undefined && res.type !== 'bool' && res.type !== 'dyn')
      return {
        code: 'FLOW.EXPRESSION_TYPE',
        message: `a condition must be true or false, this is ${res.type}`,
      };
    return undefined;
  }
  const msg = firstLine(res.error?.message ?? 'invalid expression');
  if (res.error?.name === 'ParseError') return { code: 'FLOW.EXPRESSION_SYNTAX', message: msg };
  if (/^Unknown variable/i.test(msg)) return { code: 'FLOW.UNDECLARED_VARIABLE', message: msg };
  return { code: 'FLOW.EXPRESSION_TYPE', message: msg };
}

function firstLine(s: string): string {
  return (s.split('\n')[0] ?? s).slice(0, 300);
}

/** Splits a template into literal text and `${ expr }` parts. Unclosed `${` is an error. */
export function templateParts(tpl: string): { parts: (string | { expr: string })[]; error?: string } {
  const parts: (string | { expr: string })[] = [];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('${', i);
    if (open < 0) {
      parts.push(tpl.slice(i));
      break;
    }
    if (open > i) parts.push(tpl.slice(i, open));
    const close = tpl.indexOf('}', open + 2);
    if (close < 0) return { parts, error: 'unclosed "${" in template' };
    parts.push({ expr: tpl.slice(open + 2, close).trim() });
    i = close + 1;
  }
  return { parts };
}

function toCel(v: Json): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toCel(x);
    return o;
  }
  return v;
}

/** Turns a CEL result into JSON (bigint -> number, Map -> object, bytes -> base64-free string). */
export function fromCel(v: unknown): Json {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) {
    const o: Record<string, Json> = {};
    for (const [k, x] of v) o[String(k)] = fromCel(x);
    return o;
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = fromCel(x);
    return o;
  }
  return null;
}

/**
 * Evaluates `expr` with `vars`. Throws `AppError('FLOW.EXPRESSION_FAILED')` (message without
 * variable values) when evaluation fails, e.g. a missing map key.
 */
export function evaluate(env: Environment, expr: string, vars: Record<string, Json>): Json {
  const ctx: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars)) ctx[k] = toCel(v);
  try {
    return fromCel(env.evaluate(expr, ctx));
  } catch (err) {
    throw new AppError(
      'FLOW.EXPRESSION_FAILED',
      `expression failed: ${firstLine(err instanceof Error ? err.message : String(err))}`,
    );
  }
}

/** Renders a template: each `${expr}` is evaluated and stringified (null -> ''). */
export function renderTemplate(env: Environment, tpl: string, vars: Record<string, Json>): string {
  if (!tpl.includes('${')) return tpl;
  const { parts, error } = templateParts(tpl);
  if (error) throw new AppError('FLOW.EXPRESSION_FAILED', error);
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = evaluate(env, p.expr, vars);
      out += v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
  }
  return out;
}

/** Renders every string inside a JSON value as a template. */
export function renderJson(env: Environment, value: Json, vars: Record<string, Json>): Json {
  if (typeof value === 'string') return renderTemplate(env, value, vars);
  if (Array.isArray(value)) return value.map((v) => renderJson(env, v, vars));
  if (value !== null && typeof value === 'object') {
    const o: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) o[k] = renderJson(env, v, vars);
    return o;
  }
  return value;
}
