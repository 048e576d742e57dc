/**
 * Both directions of authentication the Graph simulator plays:
 * - as Microsoft Entra ID (the STS MSAL talks to): issues app-only access tokens for client
 *   credentials (`POST /{tenant}/oauth2/v2.0/token`, https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)
 *   and checks them on every Graph request;
 * - as the Skype/Bot Framework signer of Graph's notifications: signs a bearer token for each
 *   notification POST (issuer `https://api.botframework.com`, audience = the bot's app id, `tid`)
 *   and serves the matching OpenID configuration + JWKS like `https://api.aps.skype.com`.
 * Two separate RSA key pairs are used, so a Graph access token never validates as a notification
 * token and vice versa. Token lifetimes use real time (MSAL and validators read the real clock).
 */
import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importX509,
  importSPKI,
  jwtVerify,
  errors as joseErrors,
} from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** Audience of the access tokens the simulator issues: Graph's resource id. */
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** Graph's well-known application id, accepted as an audience too (Entra emits either form). */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Issuer of the notification tokens, as on real Graph notifications. */
export const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function makeKeyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256', kty: 'RSA' };
  return { kid, privateKey, publicKey, jwk };
}

/** A token-endpoint refusal, shaped like Entra's OAuth 2.0 error body. */
export interface TokenError {
  status: number;
  body: {
    error: string;
    error_description: string;
    error_codes: number[];
    timestamp: string;
    trace_id: string;
    correlation_id: string;
    error_uri: string;
  };
}

/** Result of checking a Graph request's `Authorization` header. */
export type AccessCheck = { ok: true; appId: string; tenantId: string } | { ok: false; message: string };

/** Settings for {@link createSimAuth}. */
export interface SimAuthOptions {
  tenantId: string;
  botAppId: string;
  /** When set, the token endpoint requires exactly this `client_secret`; else any secret is accepted. */
  botClientSecret?: string | undefined;
  /** PEM (certificate or SPKI public key) that verifies `client_assertion`s; without it assertions are checked by claims only. */
  botCertificatePem?: string | undefined;
  /** Lifetime of issued access tokens, seconds (Entra: 3599). */
  accessTokenLifetimeSec?: number;
  /** Lifetime of notification tokens, seconds (default 3600). */
  notificationTokenLifetimeSec?: number;
}

/** The simulator's authority and signer. Create with {@link createSimAuth}. */
export interface SimAuth {
  /** JWKS of the STS key (served at `/{tenant}/discovery/v2.0/keys`). */
  stsJwks(): { keys: JWK[] };
  /** JWKS of the notification signing key (served at `/keys` and `/v1/keys`). */
  notificationJwks(): { keys: JWK[] };
  /**
   * Handles a client-credentials token request (form fields as parsed). Returns the JSON body and
   * status Entra would send: 200 with `{token_type, expires_in, ext_expires_in, access_token}`, or
   * an {@link TokenError} (`invalid_client` AADSTS7000215 for a wrong secret, `unauthorized_client`
   * AADSTS700016 for an unknown client id, `unsupported_grant_type` AADSTS70003, `invalid_scope` AADSTS1002012...).
   */
  issueToken(
    tenant: string,
    tokenEndpoint: string,
    form: Record<string, string | undefined>,
  ): Promise<{ status: number; body: unknown }>;
  /** Verifies a Graph request's `Authorization: Bearer` header (signature, issuer, audience, lifetime). */
  checkAccessToken(authorization: string | undefined): Promise<AccessCheck>;
  /** Signs a bearer token for one notification POST to the bot. */
  signNotificationToken(): Promise<string>;
}

function tokenError(status: number, error: string, code: number, text: string): TokenError {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

/** Creates fresh key pairs and the token logic. Rejects only if key generation fails. */
export async function createSimAuth(options: SimAuthOptions): Promise<SimAuth> {
  const sts = await makeKeyPair(`sim-sts-${randomUUID().slice(0, 8)}`);
  const notif = await makeKeyPair(`sim-bf-${randomUUID().slice(0, 8)}`);
  const accessLifetime = options.accessTokenLifetimeSec ?? 3599;
  const notifLifetime = options.notificationTokenLifetimeSec ?? 3600;
  const stsIssuer = (tenant: string): string => `https://sts.windows.net/${tenant}/`;
  // Entra accepts RS256 and PS256 assertions (MSAL signs PS256 when given a SHA-256 thumbprint).
  const assertionKeys = new Map<string, CryptoKey>();
  const pem = options.botCertificatePem;
  const assertionKey = async (alg: string): Promise<CryptoKey | undefined> => {
    if (pem === undefined) return undefined;
    if (alg !== 'RS256' && alg !== 'PS256') throw new Error(`unsupported assertion algorithm ${alg}`);
    let key = assertionKeys.get(alg);
    if (!key) {
      key = pem.includes('BEGIN CERTIFICATE') ? await importX509(pem, alg) : await importSPKI(pem, alg);
      assertionKeys.set(alg, key);
    }
    return key;
  };

  async function checkAssertion(
    assertion: string,
    tokenEndpoint: string,
    clientId: string,
  ): Promise<string | undefined> {
    try {
      const key = await assertionKey(decodeProtectedHeader(assertion).alg ?? 'none');
      const claims = key
        ? (await jwtVerify(assertion, key, { audience: tokenEndpoint, clockTolerance: 300 })).payload
        : decodeJwt(assertion);
      if (claims.iss !== clientId || claims.sub !== clientId) return 'iss and sub must be the client id.';
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (
        !aud.some((a) => a === tokenEndpoint || (typeof a === 'string' && a.endsWith('/oauth2/v2.0/token')))
      ) {
        return 'aud must be the token endpoint.';
      }
      if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now() - 300_000)
        return 'the assertion has expired.';
      return undefined;
    } catch (err) {
      return `the assertion could not be verified (${err instanceof Error ? err.message : String(err)}).`;
    }
  }

  return {
    stsJwks: () => ({ keys: [sts.jwk] }),
    notificationJwks: () => ({ keys: [notif.jwk] }),

    async issueToken(tenant, tokenEndpoint, form) {
      if (form.grant_type !== 'client_credentials') {
        const e = tokenError(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${form.grant_type ?? ''}'.`,
        );
        return e;
      }
      if (tenant !== options.tenantId && tenant !== 'organizations' && tenant !== 'common') {
        return tokenError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
      }
      const clientId = form.client_id;
      if (clientId !== options.botAppId) {
        return tokenError(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${clientId ?? ''}' was not found in the directory '${tenant}'.`,
        );
      }
      const scope = form.scope ?? '';
      if (!scope.split(' ').some((s) => s.endsWith('/.default'))) {
        return tokenError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
      }
      if (form.client_assertion !== undefined) {
        if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
          return tokenError(
            400,
            'invalid_request',
            90015,
            'Requested client assertion type is not supported.',
          );
        }
        const problem = await checkAssertion(form.client_assertion, tokenEndpoint, clientId);
        if (problem !== undefined)
          return tokenError(
            401,
            'invalid_client',
            700027,
            `Client assertion failed signature validation: ${problem}`,
          );
      } else if (form.client_secret === undefined || form.client_secret === '') {
        return tokenError(
          401,
          'invalid_client',
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
      } else if (options.botClientSecret !== undefined && form.client_secret !== options.botClientSecret) {
        return tokenError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
      const now = Math.floor(Date.now() / 1000);
      const accessToken = await new SignJWT({
        appid: clientId,
        azp: clientId,
        idtyp: 'app',
        oid: clientId,
        roles: [
          'Calls.AccessMedia.All',
          'Calls.Initiate.All',
          'Calls.InitiateGroupCall.All',
          'Calls.JoinGroupCall.All',
        ],
        tid: options.tenantId,
        ver: '1.0',
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: sts.kid })
        .setIssuer(stsIssuer(options.tenantId))
        .setAudience(GRAPH_AUDIENCE)
        .setSubject(clientId)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + accessLifetime)
        .setJti(randomUUID())
        .sign(sts.privateKey);
      return {
        status: 200,
        body: {
          token_type: 'Bearer',
          expires_in: accessLifetime,
          ext_expires_in: accessLifetime,
          access_token: accessToken,
        },
      };
    },

    async checkAccessToken(authorization) {
      if (authorization === undefined || authorization.trim() === '')
        return { ok: false, message: 'Access token is empty.' };
      const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
      if (!m?.[1])
        return { ok: false, message: 'Access token validation failure. Invalid authorization header.' };
      try {
        const { payload } = await jwtVerify(m[1], sts.publicKey, {
          algorithms: ['RS256'],
          issuer: stsIssuer(options.tenantId),
          audience: [GRAPH_AUDIENCE, GRAPH_APP_ID],
          clockTolerance: 5,
        });
        return { ok: true, appId: String(payload.appid), tenantId: String(payload.tid) };
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired)
          return { ok: false, message: 'Lifetime validation failed, the token is expired.' };
        if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') {
          return { ok: false, message: 'Access token validation failure. Invalid audience.' };
        }
        return { ok: false, message: 'Access token validation failure.' };
      }
    },

    async signNotificationToken() {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ tid: options.tenantId, serviceurl: 'https://api.botframework.com' })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: notif.kid })
        .setIssuer(BOT_FRAMEWORK_ISSUER)
        .setAudience(options.botAppId)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + notifLifetime)
        .sign(notif.privateKey);
    },
  };
}
