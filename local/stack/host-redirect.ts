/**
 * Makes chosen host names resolve to a loopback service, for `fetch` in this process: the example
 * flows' `httpRequest` steps call `https://api.contoso.example/...` and friends, which must reach
 * the stack's demo services on 127.0.0.1 and never leave the machine.
 *
 * Node's `fetch` (undici) sends every request through the process-wide dispatcher stored under
 * `Symbol.for('undici.globalDispatcher.1')` (undici `lib/global.js`, shared with Node's bundled
 * copy). We wrap it: a request whose host is mapped is sent, over plain HTTP, to the target origin
 * with the original host as the first path segment (`https://api.contoso.example/accounts/1` →
 * `http://127.0.0.1:PORT/api.contoso.example/accounts/1`); everything else passes through
 * unchanged. The flow still sees its own URL (allowlists, templates and the timeline are
 * unaffected). Only `fetch` is redirected, not `node:http` clients.
 */

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface DispatchOptions {
  origin?: string | URL;
  path: string;
  [key: string]: unknown;
}
interface Dispatcher {
  dispatch(options: DispatchOptions, handler: unknown): boolean;
}

/** An installed redirect; `uninstall()` puts the previous dispatcher back. */
export interface HostRedirect {
  /** Host names (lower case, no port) sent to the target. */
  readonly hosts: ReadonlySet<string>;
  uninstall(): void;
}

/**
 * Redirects `fetch` requests for `hosts` to `targetOrigin` (`http://127.0.0.1:PORT`). `warmUpUrl`
 * is fetched first so that Node has created its default dispatcher (it does so lazily on the first
 * fetch). Throws `TypeError` if the target is not a loopback http origin.
 */
export async function installHostRedirect(
  hosts: Iterable<string>,
  targetOrigin: string,
  warmUpUrl: string,
): Promise<HostRedirect> {
  const target = new URL(targetOrigin);
  if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1')
    throw new TypeError(`installHostRedirect: target must be http://127.0.0.1:PORT, got ${targetOrigin}`);
  await (await fetch(warmUpUrl)).arrayBuffer();
  const slot = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  const inner = slot[GLOBAL_DISPATCHER];
  if (inner === undefined) throw new Error('installHostRedirect: fetch has no global dispatcher');
  const mapped = new Set([...hosts].map((h) => h.toLowerCase()));
  const wrapper = new Proxy(inner, {
    get(t, prop) {
      if (prop === 'dispatch')
        return (options: DispatchOptions, handler: unknown): boolean => {
          const origin = options.origin === undefined ? undefined : new URL(String(options.origin));
          if (origin && mapped.has(origin.hostname.toLowerCase()))
            return t.dispatch(
              { ...options, origin: target.origin, path: `/${origin.hostname.toLowerCase()}${options.path}` },
              handler,
            );
          return t.dispatch(options, handler);
        };
      const value = Reflect.get(t, prop, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
  slot[GLOBAL_DISPATCHER] = wrapper;
  return {
    hosts: mapped,
    uninstall() {
      if (slot[GLOBAL_DISPATCHER] === wrapper) slot[GLOBAL_DISPATCHER] = inner;
    },
  };
}
