/**
 * The seam between the two halves of the embedded local host (../shared/DESIGN.md, "One codebase,
 * two hosts"): the Functions host (`local/functions-host/`), which captures the app's
 * `@azure/functions` registrations and invokes them exactly as the Node worker does, and the
 * Durable task hub (`local/durable/`), which stores orchestration history and decides what runs
 * next. Neither half imports the other's internals; they meet only through these types, and
 * `local/host.ts` wires them together.
 */

/**
 * `RpcTypedData` as the Functions worker protocol carries it (one member set). The Durable
 * triggers use `string` (orchestration context JSON, see ../shared/notes/local-runtime.md Q2) and
 * `json` (activity input); the durable client binding uses `string`.
 */
export type RpcTypedData =
  | { string: string }
  | { json: string }
  | { bytes: Uint8Array }
  | { int: number }
  | { double: number }
  | { http: unknown }
  | Record<string, never>;

/** Result of invoking one function: what `InvocationModel.getResponse` returned. */
export interface InvocationResult {
  /** The handler's return value as typed data (absent when the handler returned undefined). */
  returnValue?: RpcTypedData | undefined;
  /** Output bindings, by binding name. */
  outputData: { name: string; data: RpcTypedData }[];
}

/**
 * What the task hub needs from the Functions host. Implemented by the Functions host.
 * Errors: `invoke` rejects with the handler's error (an orchestrator failure arrives as the
 * `OrchestrationFailureError` thrown by durable-functions, whose message carries the state JSON).
 */
export interface DurableFunctionInvoker {
  /** Names of registered functions whose trigger binding has this type. */
  functionsWithTrigger(type: 'orchestrationTrigger' | 'activityTrigger' | 'entityTrigger'): string[];
  /**
   * Invokes function `name` with `triggerData` on its trigger binding (plus any input bindings the
   * host supplies itself, such as `durableClient`).
   */
  invoke(name: string, triggerData: RpcTypedData, triggerMetadata?: Record<string, RpcTypedData>): Promise<InvocationResult>;
}

/** A minimal HTTP exchange, framework-neutral, used to mount the task hub's HTTP API. */
export interface LocalHttpRequest {
  method: string;
  /** Path below the mount point, decoded leniently, e.g. `instances/abc/raiseEvent/Go`. */
  path: string;
  /** Query string parameters (first value of each). */
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Raw body bytes (empty when none). */
  body: Buffer;
}
export interface LocalHttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON-serialisable body, a string, or undefined for no body. */
  body?: unknown;
}

/** What the Functions host needs from the task hub. Implemented by the task hub. */
export interface DurableHubForHost {
  /**
   * The `durableClient` input-binding payload (../shared/notes/local-runtime.md Q3), with
   * `rpcBaseUrl` = `${origin}/durabletask/` and public URLs under
   * `${origin}/runtime/webhooks/durabletask`, where `origin` is e.g. `http://127.0.0.1:7071`.
   */
  durableClientBindingData(origin: string): string;
  /**
   * Handles a request to the Durable HTTP API. `mount` tells which of the two route sets it came
   * in on: `rpc` (`/durabletask/...`, what DurableClient calls) or `public`
   * (`/runtime/webhooks/durabletask/...`, what Azure serves to ops tools).
   */
  handleHttp(mount: 'rpc' | 'public', req: LocalHttpRequest, origin: string): Promise<LocalHttpResponse>;
}
