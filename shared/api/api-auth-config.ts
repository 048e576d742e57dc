/**
 * Settings of the HTTP API's bearer-token check, read once from the environment (Azure app
 * settings; the local host copies `local.settings.json` and its overrides into the environment).
 * Kept apart from `shared/config/config.ts` so the calling webhook's settings do not depend on the
 * API's, but read the same way: validated, frozen, values never echoed in errors.
 *
 * - `API_AUTH_ISSUER`: the token issuer (`iss`), e.g. `https://login.microsoftonline.com/<tenant>/v2.0`.
 * - `API_AUTH_AUDIENCE`: accepted audiences (`aud`), comma-separated (the API app's client id
 *   and/or its `api://…` URI).
 * - `API_AUTH_JWKS_URL`: the issuer's signing keys (JWKS), e.g.
 *   `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`.
 * - `API_AUTH_CLOCK_SKEW` (optional, seconds, default 60): tolerance on `exp`/`nbf`.
 */
import { AppError } from '../errors/app-error.js';

/** The validated API auth settings. */
export interface ApiAuthConfig {
  issuer: string;
  audiences: string[];
  jwksUrl: string;
  /** Seconds of tolerance on `exp` / `nbf`. */
  clockSkewSeconds: number;
}

/**
 * Reads and validates the settings from `env` (default `process.env`). Throws
 * `AppError('API.AUTH_NOT_CONFIGURED')` listing each missing or malformed setting by name.
 */
export function loadApiAuthConfig(
  // The one place the API reads its settings (config.ts belongs to the calling webhook's settings).
  // eslint-disable-next-line no-restricted-properties
  env: Readonly<Record<string, string | undefined>> = process.env,
): ApiAuthConfig {
  const problems: string[] = [];
  const req = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push(`${name} is required`);
    return v ?? '';
  };
  const issuer = req('API_AUTH_ISSUER');
  const audiences = req('API_AUTH_AUDIENCE')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const jwksUrl = req('API_AUTH_JWKS_URL');
  if (jwksUrl && !/^https?:\/\/\S+$/.test(jwksUrl)) problems.push('API_AUTH_JWKS_URL must be an http(s) URL');
  const skewRaw = env.API_AUTH_CLOCK_SKEW?.trim();
  const clockSkewSeconds = skewRaw ? Number(skewRaw) : 60;
  if (!Number.isInteger(clockSkewSeconds) || clockSkewSeconds < 0 || clockSkewSeconds > 600)
    problems.push('API_AUTH_CLOCK_SKEW must be an integer number of seconds from 0 to 600');
  if (problems.length > 0)
    throw new AppError(
      'API.AUTH_NOT_CONFIGURED',
      `API authentication is not configured: ${problems.join('; ')}`,
      {
        metadata: { problems },
      },
    );
  return Object.freeze({
    issuer,
    audiences: Object.freeze(audiences) as string[],
    jwksUrl,
    clockSkewSeconds,
  });
}
