/**
 * The API's one registration path (after the Functions library's `generic()`): every route of the
 * flows and ops API goes through {@link apiRoute}, which authenticates the bearer token, checks the
 * route's permission, runs the handler and turns any error into `{ error: { code, message,
 * details? } }` with the right status (never a stack). Routes are `authLevel: 'anonymous'` at the
 * Functions level because the API does its own Entra ID token check (functions/api/README.md).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { loadApiAuthConfig } from '../../shared/api/api-auth-config.js';
import {
  authorize,
  createBearerValidator,
  type BearerValidator,
  type Principal,
} from '../../shared/api/bearer-auth.js';
import type { Permission } from '../../shared/api/permissions.js';
import { AppError } from '../../shared/errors/app-error.js';
import { getServices, type Services } from '../../shared/services.js';

/** What a route handler gets. */
export interface ApiContext {
  req: HttpRequest;
  context: InvocationContext;
  principal: Principal;
  services: Services;
  /** The Durable client (only for routes registered with `durableClient: true`). */
  durable: () => df.DurableClient;
}

/** A route of the API. */
export interface ApiRouteOptions {
  methods: ('GET' | 'POST' | 'PUT' | 'DELETE')[];
  /** Route template below `/api` (ASP.NET Core syntax, e.g. `flows/{flowId}/versions/{version:int}`). */
  route: string;
  /** The permission the caller's roles must grant; `null` = any authenticated caller. */
  permission: Permission | null;
  /** Adds the Durable client input binding (`df.input.durableClient()`). */
  durableClient?: boolean;
  handler: (ctx: ApiContext) => Promise<HttpResponseInit>;
}

let validator: BearerValidator | undefined;

/** The validator, built from the settings on first use (a failed build is retried on the next request). */
function bearerValidator(): BearerValidator {
  validator ??= createBearerValidator(loadApiAuthConfig());
  return validator;
}

/** Registers an API route as an HTTP function named `name`. */
export function apiRoute(name: string, options: ApiRouteOptions): void {
  app.http(name, {
    methods: options.methods,
    route: options.route,
    authLevel: 'anonymous',
    ...(options.durableClient ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: async (req, context) => {
      try {
        const principal = await bearerValidator().authenticate(req.headers.get('authorization'));
        if (options.permission !== null) authorize(principal, options.permission);
        const services = await getServices();
        return await options.handler({
          req,
          context,
          principal,
          services,
          durable: () => df.getClient(context),
        });
      } catch (err) {
        return errorResponse(err, context);
      }
    },
  });
}

const STATUS: Record<string, number> = {
  'API.BAD_REQUEST': 400,
  'API.FLOW_ID_MISMATCH': 400,
  'API.UNAUTHENTICATED': 401,
  'API.FORBIDDEN': 403,
  'API.NOT_FOUND': 404,
  'API.CONFLICT': 409,
  'API.PRECONDITION_FAILED': 412,
  'API.TOO_LARGE': 413,
  'FLOW.INVALID': 422,
  'FLOW.TESTS_FAILED': 422,
  'API.AUTH_NOT_CONFIGURED': 500,
  'CONFIG.INVALID': 500,
  'APP.NO_STORE': 500,
  'STORE.NOT_FOUND': 404,
  'STORE.CONFLICT': 412,
  'STORE.IMMUTABLE': 409,
  'STORE.INVALID': 400,
  'STORE.UNAVAILABLE': 503,
};

/** Codes whose metadata is safe and useful to return as `details`. */
const DETAILED = /^(API\.|FLOW\.|STORE\.INVALID$)/;

/**
 * The error answer for `err`: known `AppError` codes map to their status with their message
 * (and details for API/FLOW codes); Graph failures map to 502 (503 when retryable); anything else
 * is logged and answered `500 API.INTERNAL` without its message.
 */
export function errorResponse(err: unknown, context?: InvocationContext): HttpResponseInit {
  if (err instanceof AppError) {
    let status = STATUS[err.code];
    if (status === undefined && err.code.startsWith('GRAPH.')) status = err.retryable ? 503 : 502;
    if (status !== undefined) {
      if (status >= 500) context?.warn(`api: ${err.code}: ${err.message}`);
      const details =
        DETAILED.test(err.code) && Object.keys(err.metadata).length > 0
          ? { details: { ...err.metadata } }
          : {};
      const headers: Record<string, string> =
        status === 401
          ? // RFC 6750 section 3: a quoted string; the message must not break the quoting.
            {
              'www-authenticate': `Bearer error="invalid_token", error_description="${err.message.replace(/["\\]/g, "'")}"`,
            }
          : {};
      return {
        status,
        headers,
        jsonBody: { error: { code: err.code, message: err.message, ...details } },
      };
    }
  }
  context?.error('api: unexpected error', err);
  return {
    status: 500,
    jsonBody: { error: { code: 'API.INTERNAL', message: 'internal error; the details are in the host log' } },
  };
}

/** A JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers };
}

/** `API.BAD_REQUEST` naming where (`query`, `body`, `path`, `header`), which field, and what is wrong. */
export function badRequest(
  where: 'query' | 'body' | 'path' | 'header',
  field: string,
  problem: string,
): AppError {
  return new AppError('API.BAD_REQUEST', `${where} ${field}: ${problem}`, {
    metadata: { where, field, problem },
  });
}

/** `API.NOT_FOUND` for `what` (`flow`, `draft`, `version`, `number`, `call`) with id `id`. */
export function notFound(what: string, id: string): AppError {
  return new AppError('API.NOT_FOUND', `${what} "${id}" was not found`, { metadata: { what, id } });
}

/** The request body as JSON: `{}` when empty; `API.BAD_REQUEST` when it is not a JSON object. */
export async function readJsonObject(req: HttpRequest): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('body', '(json)', 'is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw badRequest('body', '(json)', 'must be a JSON object');
  return value as Record<string, unknown>;
}

/** An optional string field of a JSON body (`API.BAD_REQUEST` when present and not a string, or too long). */
export function optionalString(
  body: Record<string, unknown>,
  field: string,
  maxLength = 500,
): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest('body', field, 'must be a string');
  if (v.length > maxLength) throw badRequest('body', field, `must be at most ${maxLength} characters`);
  return v;
}

/** A route parameter (present by construction of the route). */
export function param(req: HttpRequest, name: string): string {
  const v = req.params[name];
  if (v === undefined || v === '') throw badRequest('path', name, 'is required');
  return v;
}

/**
 * The `If-Match` ETag in the store's form (a quoted string, as the `ETag` header carries it; a weak
 * `W/` prefix is dropped and missing quotes added), or undefined; `*` and lists are refused.
 */
export function ifMatch(req: HttpRequest): string | undefined {
  let v = req.headers.get('if-match')?.trim();
  if (!v) return undefined;
  if (v === '*' || v.includes(','))
    throw badRequest('header', 'If-Match', 'must be the one ETag you read (not * or a list)');
  if (v.startsWith('W/')) v = v.slice(2);
  return v.startsWith('"') ? v : `"${v}"`;
}
