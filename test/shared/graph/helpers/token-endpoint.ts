/**
 * A tiny OAuth 2.0 token endpoint on 127.0.0.1:0 for the token-provider and client tests, shaped
 * like the Graph simulator's (`POST /{tenant}/oauth2/v2.0/token`, client_credentials,
 * form-encoded; `GET /{tenant}/v2.0/.well-known/openid-configuration`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenEndpoint {
  url: string;
  tenant: string;
  /** OpenID configuration JSON for MSAL's `authorityMetadata`. */
  authorityMetadata: string;
  /** Form bodies of the token requests received, in order. */
  tokenRequests: URLSearchParams[];
  /** Every request line received (method + path without query). */
  requests: string[];
  close(): Promise<void>;
}

export async function startTokenEndpoint(opts: {
  tenant: string;
  clientId: string;
  clientSecret: string;
  expiresIn?: number;
}): Promise<TokenEndpoint> {
  const tokenRequests: URLSearchParams[] = [];
  const requests: string[] = [];
  let issued = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      requests.push(`${req.method} ${path}`);
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && path === `/${opts.tenant}/v2.0/.well-known/openid-configuration`) {
        res.end(metadata);
        return;
      }
      if (req.method === 'POST' && path === `/${opts.tenant}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        tokenRequests.push(form);
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== opts.clientId) {
          res.statusCode = 400;
          res.end(
            JSON.stringify({
              error: 'unauthorized_client',
              error_description: 'AADSTS700016: Application not found.',
            }),
          );
          return;
        }
        if (form.get('client_secret') !== opts.clientSecret) {
          res.statusCode = 401;
          res.end(
            JSON.stringify({
              error: 'invalid_client',
              error_description: 'AADSTS7000215: Invalid client secret provided.',
            }),
          );
          return;
        }
        issued += 1;
        res.end(
          JSON.stringify({
            token_type: 'Bearer',
            expires_in: opts.expiresIn ?? 3599,
            access_token: `token-${issued}`,
          }),
        );
        return;
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = `${url}/${opts.tenant}`;
  const metadata = JSON.stringify({
    token_endpoint: `${base}/oauth2/v2.0/token`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    issuer: `${base}/v2.0`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
  });
  return {
    url,
    tenant: opts.tenant,
    authorityMetadata: metadata,
    tokenRequests,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Replaces global fetch with one that refuses anything but loopback; returns the undo. */
export function guardLoopbackFetch(): { restore(): void; seen: string[] } {
  const real = globalThis.fetch;
  const seen: string[] = [];
  globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    seen.push(url.host);
    if (url.hostname !== '127.0.0.1')
      return Promise.reject(new Error(`outside traffic refused: ${url.host}`));
    return real(input, init);
  };
  return {
    seen,
    restore() {
      globalThis.fetch = real;
    },
  };
}
