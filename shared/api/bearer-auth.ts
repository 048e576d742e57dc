/**
 * Bearer-token authentication and authorization of the HTTP API: validates an Entra ID access
 * token (JWT) with `jose` against the configured issuer, audience(s) and JWKS (signature, `exp`,
 * `nbf`), reads the user (`oid`, `preferred_username`, `name`) and the app roles (`roles` claim),
 * and checks a permission (./permissions.ts).
 *
 * Follows Microsoft identity platform access-token validation
 * (https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens).
 */
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError } from '../errors/app-error.js';
import type { ApiAuthConfig } from './api-auth-config.js';
import { allows, isRole, permissionsFor, type Permission, type Role } from './permissions.js';

/** The authenticated caller of the API. */
export interface Principal {
  /** Stable user id: the token's `oid` (Entra object id), else `sub`. */
  id: string;
  /** `preferred_username` (a UPN or e-mail), when present. */
  username?: string;
  /** Display `name`, when present. */
  name?: string;
  /** Known app roles from the `roles` claim (unknown values are dropped). */
  roles: Role[];
  /** What recorded changes name as their author (`by`): `username`, else `id`. */
  by: string;
}

/** Verifies `Authorization` headers. */
export interface BearerValidator {
  /**
   * Authenticates the `Authorization` header value. Throws `AppError('API.UNAUTHENTICATED')`
   * (missing header, not a Bearer token, bad signature, wrong issuer or audience, expired) with a
   * message safe to return to the caller.
   */
  authenticate(authorization: string | null | undefined): Promise<Principal>;
}

/** Options for {@link createBearerValidator}; `keys` replaces the remote JWKS (tests, a static key set). */
export interface BearerValidatorOptions {
  keys?: JWTVerifyGetKey;
}

/** Accepted signing algorithms (Entra ID signs access tokens with RS256). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256'];

/** Builds a validator for `config`; JWKS responses are cached and refetched on unknown `kid` (jose). */
export function createBearerValidator(
  config: ApiAuthConfig,
  options: BearerValidatorOptions = {},
): BearerValidator {
  const keys = options.keys ?? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5000 });
  return {
    async authenticate(authorization) {
      const m = /^Bearer[ ]+([A-Za-z0-9_.~+/=-]+)$/i.exec(authorization?.trim() ?? '');
      if (!m?.[1]) {
        throw unauthenticated(
          authorization ? 'the Authorization header must be "Bearer <token>"' : 'a bearer token is required',
        );
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(m[1], keys, {
          issuer: config.issuer,
          audience: config.audiences,
          algorithms: ALGORITHMS,
          clockTolerance: config.clockSkewSeconds,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        throw unauthenticated(reasonOf(err), err);
      }
      return principalOf(payload);
    },
  };
}

/**
 * Throws `AppError('API.FORBIDDEN')` unless one of the principal's roles grants `permission`;
 * `metadata` names the permission and the roles held.
 */
export function authorize(principal: Principal, permission: Permission): void {
  if (!allows(principal.roles, permission)) {
    throw new AppError(
      'API.FORBIDDEN',
      `this needs permission "${permission}", which ${
        principal.roles.length > 0
          ? `the roles ${principal.roles.join(', ')} do not grant`
          : 'no role in the token grants'
      }`,
      {
        metadata: { permission, roles: principal.roles, allowedPermissions: permissionsFor(principal.roles) },
      },
    );
  }
}

/** The principal described by verified claims. Throws `API.UNAUTHENTICATED` without `oid`/`sub`. */
export function principalOf(payload: JWTPayload): Principal {
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const id = str(payload.oid) ?? str(payload.sub);
  if (id === undefined) throw unauthenticated('the token names no user (no oid or sub claim)');
  const username = str(payload.preferred_username);
  const name = str(payload.name);
  const rawRoles: unknown[] = Array.isArray(payload.roles) ? (payload.roles as unknown[]) : [];
  const roles = [...new Set(rawRoles.filter(isRole))];
  return {
    id,
    ...(username === undefined ? {} : { username }),
    ...(name === undefined ? {} : { name }),
    roles,
    by: username ?? id,
  };
}

function unauthenticated(message: string, cause?: unknown): AppError {
  return new AppError('API.UNAUTHENTICATED', message, cause === undefined ? {} : { cause });
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'the token was issued by an issuer this API does not trust';
    if (err.claim === 'aud') return 'the token is not meant for this API (audience)';
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's "${err.claim}" claim is not acceptable`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return 'the token was signed with a key this API does not know';
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return 'the token is signed with an algorithm this API does not accept';
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid)
    return 'the signing keys could not be fetched to check the token';
  if (err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JWSInvalid)
    return 'the token is malformed';
  return 'the token is not valid';
}
