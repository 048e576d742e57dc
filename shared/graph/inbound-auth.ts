/**
 * Validation of the bearer token on Graph's call notifications (the webhook's inbound auth).
 *
 * Follows Microsoft's calling samples, `AuthenticationProvider.ValidateInboundRequestAsync` in
 * microsoft-graph-comms-samples: the signing keys come from the OpenID configuration at
 * `https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration` (re-read every 2 hours there);
 * valid issuers are `https://graph.microsoft.com` and `https://api.botframework.com`; the audience
 * is the bot's app id; signature and lifetime are checked (.NET's `JwtSecurityTokenHandler`, whose
 * default clock skew is 5 minutes); and a request without a tenant claim (`tid`) is rejected.
 * We add: only asymmetric algorithms (RS256 by default, so `alg: none` and HS256-with-the-public-key
 * tokens are refused before any key is used), an `exp` claim required, and an optional tenant
 * allow-list.
 *
 * Built with `jose`: `jwtVerify` plus `createRemoteJWKSet` on the configuration's `jwks_uri`
 * (keys cached for `keyRefreshIntervalMs`, re-fetched at once when a token names an unknown `kid`,
 * at most once per `keyCooldownMs`). The OpenID configuration itself is re-read every
 * `keyRefreshIntervalMs`.
 */
import {
  createRemoteJWKSet,
  customFetch,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

import { AppError } from '../errors/app-error.js';

/** Why a notification was refused. `code` `GRAPH.UNAUTHORIZED` (answer 401/403), or `GRAPH.AUTH_KEYS_UNAVAILABLE` (retryable: the keys could not be fetched; answer 503 so Graph retries). The message is safe to log: it never contains the token. */
export class InboundAuthError extends AppError {
  /** Short machine-friendly reason: `no-token`, `expired`, `not-yet-valid`, `issuer`, `audience`, `signature`, `unknown-key`, `algorithm`, `tenant-missing`, `tenant-not-allowed`, `malformed`, `keys-unavailable`. */
  readonly reason: string;

  constructor(
    reason: string,
    message: string,
    options: { code?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(options.code ?? 'GRAPH.UNAUTHORIZED', message, {
      retryable: options.retryable ?? false,
      metadata: { reason },
      cause: options.cause,
    });
    this.reason = reason;
  }
}

/** Options of {@link createInboundTokenValidator}. Durations in milliseconds unless named `…Sec`. */
export interface InboundTokenValidatorOptions {
  /** Default `https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration`. */
  openIdConfigurationUrl?: string;
  /** Default `['https://api.botframework.com', 'https://graph.microsoft.com']`. */
  issuers?: string[];
  /** The bot's app id (the token's `aud`). */
  audience: string;
  /** When set, `tid` must be one of these. */
  allowedTenants?: string[];
  /**
   * Clock skew tolerated on `exp`/`nbf`, in seconds. Default 300: the skew Microsoft's sample
   * effectively allows (.NET `TokenValidationParameters.DefaultClockSkew`), so we accept exactly
   * the tokens it accepts; the tokens themselves live about an hour.
   */
  clockToleranceSec?: number;
  /** How long keys and the OpenID configuration are cached. Default 2 hours (as in the sample). */
  keyRefreshIntervalMs?: number;
  /** Minimum time between two key fetches triggered by unknown `kid`s. Default 30 000. */
  keyCooldownMs?: number;
  /** Accepted JWS algorithms. Default `['RS256']`. Only asymmetric algorithms are allowed. */
  algorithms?: string[];
  /** Fetch used for the configuration and the keys (default global fetch). */
  fetch?: typeof fetch;
}

/** What a valid token tells us. */
export interface InboundClaims {
  /** The `tid` claim: the tenant the notification is about. */
  tenantId: string;
  issuer: string;
  /** The app that obtained the token (`appid`/`azp`), when present. */
  callerAppId?: string;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
  /** All claims, for auditing. */
  claims: JWTPayload;
}

/** Validator returned by {@link createInboundTokenValidator}. */
export interface InboundTokenValidator {
  /**
   * Validates the `Authorization` header value (`Bearer <jwt>`). Resolves to the claims, or throws
   * {@link InboundAuthError}.
   */
  validate(authorizationHeader: string | undefined | null): Promise<InboundClaims>;
}

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

/** Creates the validator; nothing is fetched until the first `validate`. */
export function createInboundTokenValidator(options: InboundTokenValidatorOptions): InboundTokenValidator {
  const configUrl =
    options.openIdConfigurationUrl ?? 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration';
  const issuers = options.issuers ?? ['https://api.botframework.com', 'https://graph.microsoft.com'];
  const algorithms = options.algorithms ?? ['RS256'];
  const bad = algorithms.find((a) => !ASYMMETRIC.test(a));
  if (bad !== undefined)
    throw new InboundAuthError('algorithm', `algorithm ${bad} is not allowed for inbound tokens`);
  const refreshMs = options.keyRefreshIntervalMs ?? 2 * 60 * 60 * 1000;
  const cooldownMs = options.keyCooldownMs ?? 30_000;
  const clockTolerance = options.clockToleranceSec ?? 300;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const allowed = options.allowedTenants === undefined ? undefined : new Set(options.allowedTenants);

  let keys: { jwksUri: string; getKey: JWTVerifyGetKey; loadedAt: number } | undefined;
  let loading: Promise<JWTVerifyGetKey> | undefined;

  async function loadKeys(): Promise<JWTVerifyGetKey> {
    let config: unknown;
    try {
      const res = await fetchImpl(configUrl, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      config = await res.json();
    } catch (err) {
      throw keysUnavailable(`OpenID configuration ${configUrl} could not be read`, err);
    }
    const jwksUri = (config as { jwks_uri?: unknown } | null)?.jwks_uri;
    if (typeof jwksUri !== 'string')
      throw keysUnavailable(`OpenID configuration ${configUrl} has no jwks_uri`);
    if (keys === undefined || keys.jwksUri !== jwksUri || Date.now() - keys.loadedAt >= refreshMs) {
      const getKey = createRemoteJWKSet(new URL(jwksUri), {
        cacheMaxAge: refreshMs,
        cooldownDuration: cooldownMs,
        [customFetch]: fetchImpl,
      });
      keys = { jwksUri, getKey, loadedAt: Date.now() };
    }
    return keys.getKey;
  }

  async function currentKeys(): Promise<JWTVerifyGetKey> {
    if (keys !== undefined && Date.now() - keys.loadedAt < refreshMs) return keys.getKey;
    loading ??= loadKeys().finally(() => {
      loading = undefined;
    });
    return loading;
  }

  return {
    async validate(authorizationHeader) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorizationHeader ?? '');
      const token = match?.[1];
      if (token === undefined) throw new InboundAuthError('no-token', 'no bearer token');
      const getKey = await currentKeys();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          issuer: issuers,
          audience: options.audience,
          algorithms,
          clockTolerance,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        throw toAuthError(err);
      }
      const tid = payload.tid;
      if (typeof tid !== 'string' || tid === '')
        throw new InboundAuthError('tenant-missing', 'token has no tenant (tid)');
      if (allowed !== undefined && !allowed.has(tid)) {
        throw new InboundAuthError('tenant-not-allowed', `tenant ${tid} is not allowed`);
      }
      const callerAppId =
        typeof payload.appid === 'string'
          ? payload.appid
          : typeof payload.azp === 'string'
            ? payload.azp
            : undefined;
      const claims: InboundClaims = {
        tenantId: tid,
        issuer: payload.iss ?? '',
        expiresAt: payload.exp ?? 0,
        claims: payload,
      };
      if (callerAppId !== undefined) claims.callerAppId = callerAppId;
      return claims;
    },
  };
}

function keysUnavailable(message: string, cause?: unknown): InboundAuthError {
  return new InboundAuthError('keys-unavailable', message, {
    code: 'GRAPH.AUTH_KEYS_UNAVAILABLE',
    retryable: true,
    cause,
  });
}

function toAuthError(err: unknown): InboundAuthError {
  if (err instanceof joseErrors.JWTExpired)
    return new InboundAuthError('expired', 'token expired', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf')
      return new InboundAuthError('not-yet-valid', 'token not yet valid', { cause: err });
    if (err.claim === 'iss')
      return new InboundAuthError('issuer', 'token issuer not accepted', { cause: err });
    if (err.claim === 'aud')
      return new InboundAuthError('audience', 'token audience is not this bot', { cause: err });
    return new InboundAuthError('malformed', `token claim ${err.claim} invalid`, { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new InboundAuthError('algorithm', 'token algorithm not accepted', { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new InboundAuthError('signature', 'token signature invalid', { cause: err });
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey || err instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new InboundAuthError('unknown-key', 'token signed with an unknown key', { cause: err });
  }
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) {
    return keysUnavailable('signing keys could not be fetched', err);
  }
  if (err instanceof joseErrors.JOSEError && err.message.includes('JSON Web Key Set')) {
    return keysUnavailable('signing keys could not be fetched', err);
  }
  if (err instanceof joseErrors.JOSEError) {
    return new InboundAuthError('malformed', 'token malformed', { cause: err });
  }
  if (err instanceof TypeError) return keysUnavailable('signing keys could not be fetched', err);
  return new InboundAuthError('malformed', 'token could not be validated', { cause: err });
}
