/**
 * The CLI's client of Switchboard's HTTP API (functions/api/README.md) and of the local identity
 * provider (local/idp.ts). The host is at `SWITCHBOARD_URL` (default `http://127.0.0.1:7071`), the
 * identity provider at `SWITCHBOARD_IDP_URL` (default: the host's port + 2). A token in
 * `SWITCHBOARD_TOKEN` (e.g. from `az account get-access-token` against a deployed app) is used
 * as is instead of asking the local identity provider.
 */
import { AppError } from '../shared/errors/app-error.js';
import { ROLES, isRole, type Role } from '../shared/api/permissions.js';

/** Where the CLI sends requests. */
export interface ApiEndpoints {
  baseUrl: string;
  idpUrl: string;
  /** A token to use instead of asking the identity provider. */
  token?: string;
}

/** Default host URL (Core Tools' port). */
export const DEFAULT_SWITCHBOARD_URL = 'http://127.0.0.1:7071';

/** Reads `SWITCHBOARD_URL`, `SWITCHBOARD_IDP_URL` and `SWITCHBOARD_TOKEN`. Throws `CLI.BAD_URL` for a malformed URL. */
export function apiEndpoints(env: Readonly<Record<string, string | undefined>> = process.env): ApiEndpoints {
  const baseUrl = parseUrl('SWITCHBOARD_URL', env.SWITCHBOARD_URL?.trim() || DEFAULT_SWITCHBOARD_URL);
  let idpUrl = env.SWITCHBOARD_IDP_URL?.trim();
  if (!idpUrl) {
    const u = new URL(baseUrl);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    u.port = String(port + 2);
    idpUrl = u.origin;
  }
  const token = env.SWITCHBOARD_TOKEN?.trim();
  return {
    baseUrl,
    idpUrl: parseUrl('SWITCHBOARD_IDP_URL', idpUrl),
    ...(token ? { token } : {}),
  };
}

function parseUrl(name: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return u.origin + u.pathname.replace(/\/+$/, '');
  } catch {
    throw new AppError('CLI.BAD_URL', `${name} must be an http(s) URL like http://127.0.0.1:7071`);
  }
}

/**
 * Gets an access token for `role` from the local identity provider (`POST /token`). Throws
 * `CLI.BAD_ROLE` for an unknown role, `CLI.IDP_UNREACHABLE` when nothing answers, `CLI.IDP_REFUSED`
 * when it refuses.
 */
export async function requestToken(idpUrl: string, role: string, username?: string): Promise<string> {
  if (!isRole(role))
    throw new AppError('CLI.BAD_ROLE', `unknown role "${role}": use one of ${ROLES.join(', ')}`);
  let res: Response;
  try {
    res = await fetch(`${idpUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        roles: [role],
        ...(username ? { user: { preferred_username: username } } : {}),
      }),
    });
  } catch (err) {
    throw new AppError(
      'CLI.IDP_UNREACHABLE',
      `the local identity provider at ${idpUrl} does not answer: is "npm start" running? (or set SWITCHBOARD_IDP_URL / SWITCHBOARD_TOKEN)`,
      { cause: err },
    );
  }
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error_description?: string };
  if (!res.ok || typeof body.access_token !== 'string')
    throw new AppError(
      'CLI.IDP_REFUSED',
      `the identity provider refused: ${body.error_description ?? `HTTP ${res.status}`}`,
    );
  return body.access_token;
}

/** A small authenticated client of the API. */
export class ApiClient {
  #token: string | undefined;

  constructor(
    private readonly endpoints: ApiEndpoints,
    /** The role to ask the local identity provider for when no token was given. */
    private readonly role: Role,
  ) {
    this.#token = endpoints.token;
  }

  /**
   * `GET /api/<path>` with `query` (undefined values dropped). Resolves to the JSON body; an API
   * error becomes an `AppError` with the API's code and message (`CLI.HOST_UNREACHABLE` when the
   * host does not answer).
   */
  async get<T>(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<T> {
    const url = new URL(`${this.endpoints.baseUrl}/api/${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    this.#token ??= await requestToken(this.endpoints.idpUrl, this.role);
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json' },
      });
    } catch (err) {
      throw new AppError(
        'CLI.HOST_UNREACHABLE',
        `Switchboard at ${this.endpoints.baseUrl} does not answer: is "npm start" running? (or set SWITCHBOARD_URL)`,
        { cause: err },
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new AppError(
        e?.code ?? 'CLI.API_ERROR',
        e?.message ?? `HTTP ${res.status} from ${url.pathname}`,
        {
          metadata: { status: res.status },
        },
      );
    }
    return body as T;
  }
}
