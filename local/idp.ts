/**
 * A local identity provider for the embedded host: it plays Microsoft Entra ID for the flows and
 * ops API (functions/api/README.md), so that `npm start` and the tests run the very same bearer
 * check as production. It signs RS256 access tokens carrying Entra's claims (`iss`, `aud`, `oid`,
 * `preferred_username`, `name`, `roles`, `tid`, `ver: '2.0'`) and serves, on 127.0.0.1 only:
 *
 * - `GET /.well-known/openid-configuration`: issuer, `jwks_uri`, `token_endpoint`;
 * - `GET /discovery/v2.0/keys`: the public signing key (JWKS), as Entra's `…/discovery/v2.0/keys`;
 * - `POST /token`: JSON `{ roles?: string[], role?: string, user?: { oid?, preferred_username?,
 *   name? }, expiresInSeconds?: number }` → `{ access_token, token_type: 'Bearer', expires_in }`
 *   (what `switchboard login` and the web console use; refused unless from a loopback address).
 *
 * The key pair (and the issuer/audience chosen on first start) persist in
 * `<dataDir>/local-idp.json` (mode 0600), so tokens stay valid across restarts.
 *
 * ```ts
 * const idp = await startLocalIdp({ dataDir: '.data', port: 7073 });
 * const token = await idp.issueToken({ roles: ['FlowEditor'], user: { preferred_username: 'ann@contoso.com' } });
 * const host = await startLocalHost({ settings: localIdpSettings(idp) });
 * ```
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { isRole, ROLES, type Role } from '../shared/api/permissions.js';
import { AppError } from '../shared/errors/app-error.js';

/** Default issuer: an identifier only (nothing is fetched from it). */
export const DEFAULT_LOCAL_ISSUER = 'https://login.switchboard.local/local/v2.0';
/** Default audience (the API's app id URI). */
export const DEFAULT_LOCAL_AUDIENCE = 'api://switchboard';
/** Default lifetime of issued tokens, seconds. */
export const DEFAULT_TOKEN_LIFETIME_S = 3600;
/** Longest lifetime `POST /token` grants, seconds (one day). */
export const MAX_TOKEN_LIFETIME_S = 86_400;

/** Options for {@link startLocalIdp}. */
export interface LocalIdpOptions {
  /** Port on 127.0.0.1 (default 0 = any free port; `npm start` uses the host port + 2, 7073). */
  port?: number;
  /** Where the signing key is kept (`local-idp.json`). */
  dataDir: string;
  /** Token issuer (default: the one persisted in dataDir, else {@link DEFAULT_LOCAL_ISSUER}). */
  issuer?: string;
  /** Token audience (default: the one persisted in dataDir, else {@link DEFAULT_LOCAL_AUDIENCE}). */
  audience?: string;
}

/** Who a token is for; missing fields are derived from the first role. */
export interface LocalUser {
  oid?: string;
  preferred_username?: string;
  name?: string;
}

/** What {@link LocalIdp.issueToken} takes. */
export interface IssueTokenInput {
  /** One role or several (Reader, FlowEditor, FlowPublisher, Operator). */
  role?: Role;
  roles?: Role[];
  user?: LocalUser;
  /** Lifetime in seconds (default 3600, 1 – 86400). */
  expiresInSeconds?: number;
}

/** A running local identity provider. */
export interface LocalIdp {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly issuer: string;
  readonly audience: string;
  /** `${url}/discovery/v2.0/keys`. */
  readonly jwksUri: string;
  /**
   * Signs an access token. Throws `IDP.BAD_REQUEST` for an unknown or missing role or a lifetime
   * out of range.
   */
  issueToken(input: IssueTokenInput): Promise<string>;
  stop(): Promise<void>;
}

interface StoredIdp {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  issuer: string;
  audience: string;
}

/** The API auth settings that make the host trust `idp` (`API_AUTH_ISSUER`, `_AUDIENCE`, `_JWKS_URL`). */
export function localIdpSettings(
  idp: Pick<LocalIdp, 'issuer' | 'audience' | 'jwksUri'>,
): Record<string, string> {
  return { API_AUTH_ISSUER: idp.issuer, API_AUTH_AUDIENCE: idp.audience, API_AUTH_JWKS_URL: idp.jwksUri };
}

async function loadOrCreate(file: string, issuer?: string, audience?: string): Promise<StoredIdp> {
  if (fs.existsSync(file)) {
    let stored: StoredIdp;
    try {
      stored = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredIdp;
      if (typeof stored.kid !== 'string' || typeof stored.privateJwk !== 'object')
        throw new Error('missing key');
    } catch (err) {
      throw new AppError(
        'IDP.BAD_STATE',
        `${file} is not a local identity provider state file: ${(err as Error).message}`,
      );
    }
    const next = { ...stored, issuer: issuer ?? stored.issuer, audience: audience ?? stored.audience };
    if (next.issuer !== stored.issuer || next.audience !== stored.audience) write(file, next);
    return next;
  }
  const { privateKey, publicKey } = await generateKeyPair('RS256', {
    modulusLength: 2048,
    extractable: true,
  });
  const kid = randomUUID();
  const stored: StoredIdp = {
    kid,
    privateJwk: await exportJWK(privateKey),
    publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' },
    issuer: issuer ?? DEFAULT_LOCAL_ISSUER,
    audience: audience ?? DEFAULT_LOCAL_AUDIENCE,
  };
  write(file, stored);
  return stored;
}

function write(file: string, stored: StoredIdp): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(stored, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** A stable GUID-shaped object id for a user name (the same name always gets the same `oid`). */
export function localOid(username: string): string {
  const h = createHash('sha256').update(`switchboard-local-idp:${username}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function idpError(message: string): AppError {
  return new AppError('IDP.BAD_REQUEST', message);
}

/** Starts the local identity provider on 127.0.0.1. */
export async function startLocalIdp(options: LocalIdpOptions): Promise<LocalIdp> {
  const stored = await loadOrCreate(
    path.join(options.dataDir, 'local-idp.json'),
    options.issuer,
    options.audience,
  );
  const privateKey = (await importJWK(stored.privateJwk, 'RS256')) as CryptoKey;

  const issueToken = async (input: IssueTokenInput): Promise<string> => {
    const roles = [...new Set([...(input.roles ?? []), ...(input.role === undefined ? [] : [input.role])])];
    if (roles.length === 0) throw idpError(`a role is required: one of ${ROLES.join(', ')}`);
    for (const r of roles as unknown[])
      if (!isRole(r)) throw idpError(`unknown role ${JSON.stringify(r)}: use one of ${ROLES.join(', ')}`);
    const lifetime = input.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_S;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TOKEN_LIFETIME_S)
      throw idpError(`expiresInSeconds must be a whole number from 1 to ${MAX_TOKEN_LIFETIME_S}`);
    const first = (roles[0] ?? 'Reader').toLowerCase();
    const username = input.user?.preferred_username ?? `${first}@switchboard.local`;
    const oid = input.user?.oid ?? localOid(username);
    const name = input.user?.name ?? `Local ${roles.join(' + ')}`;
    return new SignJWT({ oid, preferred_username: username, name, roles, tid: 'local', ver: '2.0' })
      .setProtectedHeader({ alg: 'RS256', kid: stored.kid, typ: 'JWT' })
      .setIssuer(stored.issuer)
      .setAudience(stored.audience)
      .setSubject(oid)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${lifetime}s`)
      .setJti(randomUUID())
      .sign(privateKey);
  };

  const server: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  let url = '';
  const loopback = (addr: string | undefined): boolean =>
    addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
  // The web console (served by the host on another port) fetches tokens from here: allow loopback origins.
  server.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (origin !== undefined && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(origin)) {
      void reply.header('access-control-allow-origin', origin);
      void reply.header('vary', 'origin');
      void reply.header('access-control-allow-headers', 'content-type');
      void reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
    }
    if (!loopback(req.socket.remoteAddress))
      return reply.code(403).send({
        error: 'access_denied',
        error_description: 'the local identity provider serves this machine only',
      });
    return undefined;
  });
  server.options('/*', (_req, reply) => reply.code(204).send());
  server.get('/.well-known/openid-configuration', () => ({
    issuer: stored.issuer,
    jwks_uri: `${url}/discovery/v2.0/keys`,
    token_endpoint: `${url}/token`,
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: [
      'iss',
      'aud',
      'exp',
      'nbf',
      'iat',
      'sub',
      'oid',
      'preferred_username',
      'name',
      'roles',
      'tid',
    ],
  }));
  const jwks = (): { keys: JWK[] } => ({ keys: [stored.publicJwk] });
  server.get('/discovery/v2.0/keys', jwks);
  server.get('/jwks', jwks);
  server.post('/token', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body))
      return reply
        .code(400)
        .send({ error: 'invalid_request', error_description: 'the body must be a JSON object' });
    const user = body.user;
    if (user !== undefined && (user === null || typeof user !== 'object' || Array.isArray(user)))
      return reply.code(400).send({ error: 'invalid_request', error_description: 'user must be an object' });
    const u: LocalUser = {};
    for (const k of ['oid', 'preferred_username', 'name'] as const) {
      const v = (user as Record<string, unknown> | undefined)?.[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v.trim() === '' || v.length > 200)
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: `user.${k} must be a short string` });
      u[k] = v;
    }
    const roles = body.roles;
    if (roles !== undefined && !Array.isArray(roles))
      return reply
        .code(400)
        .send({ error: 'invalid_request', error_description: 'roles must be an array of role names' });
    const lifetime = body.expiresInSeconds;
    if (lifetime !== undefined && typeof lifetime !== 'number')
      return reply
        .code(400)
        .send({ error: 'invalid_request', error_description: 'expiresInSeconds must be a number' });
    try {
      const token = await issueToken({
        roles: (roles ?? []) as Role[],
        ...(body.role === undefined ? {} : { role: body.role as Role }),
        ...(Object.keys(u).length > 0 ? { user: u } : {}),
        ...(lifetime === undefined ? {} : { expiresInSeconds: lifetime }),
      });
      return {
        access_token: token,
        token_type: 'Bearer',
        expires_in: lifetime ?? DEFAULT_TOKEN_LIFETIME_S,
      };
    } catch (err) {
      if (err instanceof AppError)
        return reply.code(400).send({ error: 'invalid_request', error_description: err.message });
      throw err;
    }
  });

  await server.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    issuer: stored.issuer,
    audience: stored.audience,
    jwksUri: `${url}/discovery/v2.0/keys`,
    issueToken,
    stop: async () => {
      await server.close();
    },
  };
}
