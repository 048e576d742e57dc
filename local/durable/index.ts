/**
 * The local Durable task hub's public entry point (issue 4, "Durable task hub"). The Functions host
 * (`local/host.ts`) creates one hub per process and mounts its HTTP API:
 *
 * ```ts
 * const hub = createTaskHub({ dataDir: '.data', invoker: registry });
 * await hub.start();
 * const id = await hub.startNew('callOrchestrator', { input: { callId } });
 * const done = await hub.waitForCompletion(id);
 * // HTTP: hub.handleHttp('rpc', { method, path: 'instances/' + id, query, headers, body }, origin)
 * await hub.stop();
 * ```
 */
import type { DurableHubForHost, LocalHttpRequest, LocalHttpResponse } from '../host-contract.js';
import { clientBindingData, handleDurableHttp } from './http-api.js';
import { TaskHub as TaskHubCore, type TaskHubOptions } from './task-hub.js';

export type { TaskHubOptions, StartOptions, InstanceStatus, SendOutcome } from './task-hub.js';
export type { InstanceRecord, RuntimeStatus, InstanceFilter } from './store.js';
export { PUBLIC_PREFIX, RPC_PREFIX, statusBody, managementPayload } from './http-api.js';

/** The task hub with the host-facing seam ({@link DurableHubForHost}) and in-process methods. */
export class TaskHub extends TaskHubCore implements DurableHubForHost {
  /**
   * The `durableClient` binding payload for `origin`. `df.getClient` rewrites the management URL
   * origins to `http://localhost:7071` when `WEBSITE_HOSTNAME` is unset (durable-functions
   * `getClient.correctClientData`), so this sets `WEBSITE_HOSTNAME` to the origin's host when it is
   * unset, as Azure App Service does for a deployed app. (RPC calls use `rpcBaseUrl` either way.)
   */
  durableClientBindingData(origin: string): string {
    const o = origin.replace(/\/+$/, '');
    if (!process.env.WEBSITE_HOSTNAME) {
      try {
        process.env.WEBSITE_HOSTNAME = new URL(o).host;
      } catch {
        // A malformed origin only matters for the management URLs; leave the setting alone.
      }
    }
    return clientBindingData(this, o);
  }

  /** Serves the Durable HTTP API (rpc: `/durabletask/...`; public: `/runtime/webhooks/durabletask/...`). */
  handleHttp(mount: 'rpc' | 'public', req: LocalHttpRequest, origin: string): Promise<LocalHttpResponse> {
    return handleDurableHttp(this, mount, req, origin.replace(/\/+$/, ''));
  }
}

/**
 * Creates a task hub persisting to `${dataDir}/durable-${hubName}.sqlite`. Call `start()` before
 * use. Throws `AppError` `DURABLE.BAD_HUB_NAME` for a hub name Azure would reject.
 */
export function createTaskHub(options: TaskHubOptions): TaskHub {
  return new TaskHub(options);
}
