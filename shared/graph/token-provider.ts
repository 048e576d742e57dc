/**
 * App-only access tokens for Microsoft Graph, from `@azure/msal-node`'s
 * `ConfidentialClientApplication.acquireTokenByClientCredential` (OAuth 2.0 client credentials,
 * with a client secret or a certificate). Source: "Microsoft identity platform and the OAuth 2.0
 * client credentials flow" and msal-node's confidential client docs.
 */
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';

import { TokenAcquisitionError } from './errors.js';

/** Something that yields a bearer token for Graph. Called before every Graph request; must be cheap when cached. */
export interface TokenProvider {
  /** Resolves to an access token (without the `Bearer ` prefix). Throws `TokenAcquisitionError` (`GRAPH.TOKEN_FAILED`). */
  getToken(): Promise<string>;
}

/** Options of {@link createMsalTokenProvider}. */
export interface MsalTokenProviderOptions {
  /** Directory (tenant) id or domain the app is registered in. */
  tenantId: string;
  /** Application (client) id: the bot's app id. */
  clientId: string;
  /** Client secret. Give this or `certificate`. */
  clientSecret?: string;
  /** Certificate credential: SHA-256 thumbprint (hex), PEM private key, optional x5c chain (PEM) for SNI. */
  certificate?: { thumbprintSha256: string; privateKey: string; x5c?: string };
  /** Authority host, e.g. `https://login.microsoftonline.com` (the tenant is appended). Must be https. */
  authority: string;
  /**
   * OpenID configuration JSON of the authority. When set, MSAL does no discovery request: its
   * `token_endpoint` is where tokens are requested, and it may be a plain http loopback URL (the
   * Graph simulator's `http://127.0.0.1:PORT/{tenant}/oauth2/v2.0/token`).
   */
  authorityMetadata?: string;
  /** Instance-discovery JSON; with `authorityMetadata` and no value here, `knownAuthorities` is set to the authority host so MSAL skips instance discovery. */
  cloudDiscoveryMetadata?: string;
  knownAuthorities?: string[];
  /** Default `['https://graph.microsoft.com/.default']`. */
  scopes?: string[];
}

/**
 * Creates a {@link TokenProvider} backed by one MSAL `ConfidentialClientApplication`.
 *
 * Caching and renewal: MSAL keeps the token in its in-memory cache and returns it from there
 * (`fromCache: true`) until it is within its renewal offset (5 minutes) of expiry or past the
 * `refresh_in` the server gave, then requests a new one: callers just call `getToken()` per request.
 * Concurrent calls while a request is in flight share it.
 *
 * Local runs (../shared/notes/local-runtime.md, Q5): we keep a normal https `authority` and pass
 * `authorityMetadata` whose `token_endpoint` is the simulator's http URL. Checked in
 * `@azure/msal-common` 16: only the *authority* URL is required to be https
 * (`UrlString.validateAsUri`); endpoints from supplied metadata are used as given
 * (`Authority.tokenEndpoint` → `replacePath(metadata.token_endpoint)`), and with
 * `knownAuthorities` covering the authority host MSAL does no instance discovery. So MSAL's own
 * HTTP client (global fetch) makes exactly one call, the token POST, to 127.0.0.1: no custom
 * `networkClient` is needed, and the same code path runs in production.
 *
 * @throws TokenAcquisitionError (`GRAPH.TOKEN_FAILED`) from `getToken()` when MSAL fails; the
 *   message names the tenant, client id and MSAL's error code/description, never the secret.
 */
export function createMsalTokenProvider(options: MsalTokenProviderOptions): TokenProvider {
  if (options.clientSecret === undefined && options.certificate === undefined) {
    throw new TokenAcquisitionError('a client secret or a certificate is required', {
      clientId: options.clientId,
    });
  }
  const authority = `${options.authority.replace(/\/+$/, '')}/${options.tenantId}`;
  const knownAuthorities =
    options.knownAuthorities ??
    (options.authorityMetadata !== undefined && options.cloudDiscoveryMetadata === undefined
      ? [new URL(authority).host]
      : undefined);
  const auth: Configuration['auth'] = { clientId: options.clientId, authority };
  if (options.clientSecret !== undefined) auth.clientSecret = options.clientSecret;
  if (options.certificate !== undefined) {
    auth.clientCertificate = {
      thumbprintSha256: options.certificate.thumbprintSha256,
      privateKey: options.certificate.privateKey,
      ...(options.certificate.x5c === undefined ? {} : { x5c: options.certificate.x5c }),
    };
  }
  if (options.authorityMetadata !== undefined) auth.authorityMetadata = options.authorityMetadata;
  if (options.cloudDiscoveryMetadata !== undefined)
    auth.cloudDiscoveryMetadata = options.cloudDiscoveryMetadata;
  if (knownAuthorities !== undefined) auth.knownAuthorities = knownAuthorities;
  const app = new ConfidentialClientApplication({ auth });
  const scopes = options.scopes ?? ['https://graph.microsoft.com/.default'];
  let inFlight: Promise<string> | undefined;

  async function acquire(): Promise<string> {
    try {
      const result = await app.acquireTokenByClientCredential({ scopes });
      if (result === null || result.accessToken === '') {
        throw new TokenAcquisitionError(`no token returned for client ${options.clientId}`, {
          tenantId: options.tenantId,
          clientId: options.clientId,
        });
      }
      return result.accessToken;
    } catch (err) {
      if (err instanceof TokenAcquisitionError) throw err;
      const e = err as { errorCode?: unknown; errorMessage?: unknown; message?: unknown };
      const msalCode = typeof e.errorCode === 'string' ? e.errorCode : 'unknown_error';
      const rawMessage = typeof e.errorMessage === 'string' ? e.errorMessage : String(e.message ?? err);
      const description = /AADSTS\d+[^-\n]*/.exec(rawMessage)?.[0]?.trim() ?? rawMessage.slice(0, 200);
      throw new TokenAcquisitionError(
        `token request for client ${options.clientId} in tenant ${options.tenantId} failed: ${msalCode} (${description})`,
        { tenantId: options.tenantId, clientId: options.clientId, msalCode },
        err,
      );
    }
  }

  return {
    getToken(): Promise<string> {
      inFlight ??= acquire().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
