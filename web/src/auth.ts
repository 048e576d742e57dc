/**
 * Signing in. The console only needs a bearer token whose `roles` claim carries the Entra app
 * roles (Reader, FlowEditor, FlowPublisher, Operator); where the token comes from is this module's
 * business alone.
 *
 * - Local (`npm start`): the local identity provider (`local/idp.ts`, `POST {idp}/token` with
 *   `{roles, user}` → `{access_token, expires_in}`) issues it for the role picked on the sign-in
 *   screen. Its URL defaults to the host's port + 2 (functions/api/README.md).
 * - Production: MSAL.js (`@azure/msal-browser`, `PublicClientApplication.acquireTokenSilent` /
 *   `loginRedirect` with the API's scope) would implement `TokenSource` instead; nothing else in
 *   the console changes. Not built here: the seam is `TokenSource`.
 */

/** A signed-in session: the bearer token, who and which roles, and when it expires (epoch ms). */
export interface Session {
  token: string;
  user: string;
  roles: string[];
  expiresAt: number;
}

/** Where tokens come from (local identity provider now, MSAL.js in production). */
export interface TokenSource {
  /** Signs in and returns the session; rejects with an Error whose message is shown to the user. */
  signIn(request: { user: string; roles: string[] }): Promise<Session>;
}

/** The app roles a token may carry (Entra app roles of the Switchboard API). */
export const ROLES = ['Reader', 'FlowEditor', 'FlowPublisher', 'Operator'] as const;

/** The local identity provider's default URL: this origin's host, port + 2. */
export function defaultIdpUrl(loc: Pick<Location, 'protocol' | 'hostname' | 'port'> = location): string {
  const port = Number(loc.port || (loc.protocol === 'https:' ? 443 : 80)) + 2;
  return `${loc.protocol}//${loc.hostname}:${port}`;
}

/** Tokens from the local identity provider at `idpUrl` (`POST /token`). */
export function localTokenSource(idpUrl: string): TokenSource {
  return {
    async signIn({ user, roles }) {
      let res: Response;
      try {
        res = await fetch(new URL('/token', idpUrl), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ roles, user: { preferred_username: user, name: user } }),
        });
      } catch {
        throw new Error(`The local identity provider at ${idpUrl} did not answer. Is \`npm start\` running?`);
      }
      if (!res.ok) throw new Error(`The local identity provider refused the sign-in (HTTP ${res.status}).`);
      const body = (await res.json()) as { access_token?: string; expires_in?: number };
      if (!body.access_token) throw new Error('The local identity provider sent no token.');
      return {
        token: body.access_token,
        user,
        roles,
        expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
      };
    },
  };
}

const KEY = 'switchboard.session';

/** The session kept for this browser tab (sessionStorage), or undefined when absent or expired. */
export function loadSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Session;
    return s.expiresAt > Date.now() + 30_000 ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps (or with `undefined`, forgets) the session for this tab. */
export function saveSession(s: Session | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}
