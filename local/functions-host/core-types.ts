/**
 * The TypeScript shape of the module `@azure/functions-core`, which the Azure Functions Node worker
 * provides at run time and `@azure/functions` v4 programs against. Written from the worker's
 * published type definitions (Azure/azure-functions-nodejs-worker, `types-core/index.d.ts`); only
 * the members this host uses or serves are spelled out, the RPC payloads stay loose where the
 * library owns the conversion.
 */

/** `RpcTypedData`: one member set per value (`string`, `json`, `bytes`, `int`, `double`, `http`, ...). */
export interface CoreTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: CoreHttpData | null;
  int?: number | null;
  double?: number | null;
  collectionBytes?: { bytes?: Uint8Array[] | null } | null;
  collectionString?: { string?: string[] | null } | null;
  collectionDouble?: { double?: number[] | null } | null;
  collectionSint64?: { sint64?: number[] | null } | null;
}

/** `RpcNullableString` and friends as the HTTP payload carries them. */
export interface CoreNullable<T> {
  value?: T | null;
}

/** `RpcHttpCookie` (an `HttpResponse` cookie as the library serialises it). */
export interface CoreHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: CoreNullable<string> | null;
  path?: CoreNullable<string> | null;
  expires?: CoreNullable<{ seconds?: number | null; nanos?: number | null }> | null;
  secure?: CoreNullable<boolean> | null;
  httpOnly?: CoreNullable<boolean> | null;
  sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
  maxAge?: CoreNullable<number> | null;
}

/** `RpcHttpData`: an HTTP request going in, or the response coming back (`statusCode` as a string). */
export interface CoreHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: CoreTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  rawBody?: CoreTypedData | null;
  cookies?: CoreHttpCookie[] | null;
  nullableHeaders?: Record<string, CoreNullable<string>> | null;
  nullableParams?: Record<string, CoreNullable<string>> | null;
  nullableQuery?: Record<string, CoreNullable<string>> | null;
}

/** `RpcBindingInfo` plus the binding's own options (`route`, `schedule`, `queueName`, ...). */
export interface CoreBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: 'undefined' | 'string' | 'binary' | 'stream' | null;
  [option: string]: unknown;
}

/** `RpcRetryOptions` as `toCoreFunctionMetadata` produces it (durations as `{seconds, nanos}`). */
export interface CoreRetryOptions {
  maxRetryCount?: number | null;
  delayInterval?: { seconds?: number | null; nanos?: number | null } | null;
  minimumInterval?: { seconds?: number | null; nanos?: number | null } | null;
  maximumInterval?: { seconds?: number | null; nanos?: number | null } | null;
  retryStrategy?: string | null;
}

/** What `registerFunction` receives (types-core `FunctionMetadata`, plus what the library sends). */
export interface CoreFunctionMetadata {
  name: string;
  functionId?: string | null;
  bindings: Record<string, CoreBindingInfo>;
  retryOptions?: CoreRetryOptions | null;
}

/** `RpcParameterBinding`. */
export interface CoreParameterBinding {
  name?: string | null;
  data?: CoreTypedData | null;
}

/** `RpcInvocationRequest`. */
export interface CoreInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: CoreParameterBinding[] | null;
  triggerMetadata?: Record<string, CoreTypedData> | null;
  traceContext?: {
    traceParent?: string | null;
    traceState?: string | null;
    attributes?: Record<string, string> | null;
  } | null;
  retryContext?: { retryCount?: number | null; maxRetryCount?: number | null; exception?: unknown } | null;
}

/** `RpcInvocationResponse`. */
export interface CoreInvocationResponse {
  invocationId?: string | null;
  outputData?: CoreParameterBinding[] | null;
  returnValue?: CoreTypedData | null;
}

/** Log levels of `CoreInvocationContext.log` (types-core `RpcLogLevel`). */
export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
/** Log categories (types-core `RpcLogCategory`): user code, the host, or a custom metric. */
export type CoreLogCategory = 'user' | 'system' | 'customMetric';
/** Where an invocation is (types-core `InvocationState`), for logs written from hooks. */
export type CoreInvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

/** `RpcFunctionMetadata` as passed to the programming model. */
export interface CoreRpcFunctionMetadata {
  name?: string | null;
  functionId?: string | null;
  bindings?: Record<string, CoreBindingInfo> | null;
  rawBindings?: string[] | null;
  directory?: string | null;
  scriptFile?: string | null;
  entryPoint?: string | null;
}

/** `CoreInvocationContext`: what the worker hands the programming model for one invocation. */
export interface CoreInvocationContext {
  invocationId: string;
  request: CoreInvocationRequest;
  metadata: CoreRpcFunctionMetadata;
  state?: CoreInvocationState;
  log(level: CoreLogLevel, category: CoreLogCategory, message: string): void;
}

/** `FunctionCallback`: the handler as registered (`(...inputs, context)` for the v4 library). */
export type CoreFunctionCallback = (context: unknown, ...inputs: unknown[]) => unknown;

/** `InvocationArguments`. */
export interface CoreInvocationArguments {
  context: unknown;
  inputs: unknown[];
}

/** `InvocationModel`: one per invocation, created by the programming model. */
export interface CoreInvocationModel {
  getArguments(): Promise<CoreInvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: CoreFunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<CoreInvocationResponse>;
}

/** `ProgrammingModel` (the library registers `@azure/functions@<version>`). */
export interface CoreProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: CoreInvocationContext): CoreInvocationModel;
}

/** Hook context objects (types-core `HookContext` and its specialisations). */
export interface CoreHookContext {
  readonly hookData: Record<string, unknown>;
  readonly appHookData: Record<string, unknown>;
}
/** types-core `PreInvocationContext`: hooks may replace `inputs` and `functionCallback`. */
export interface CorePreInvocationContext extends CoreHookContext {
  readonly invocationContext: unknown;
  inputs: unknown[];
  functionCallback: CoreFunctionCallback;
}
/** types-core `PostInvocationContext`: hooks may replace `result` or `error`. */
export interface CorePostInvocationContext extends CoreHookContext {
  readonly invocationContext: unknown;
  inputs: unknown[];
  result: unknown;
  error: unknown;
}
/** types-core `AppStartContext`: the app's folder (the project root here). */
export interface CoreAppStartContext extends CoreHookContext {
  functionAppDirectory: string;
}
/** A registered hook (types-core `HookCallback`); the context type depends on the hook name. */
export type CoreHookCallback = (context: never) => void | Promise<void>;

/** Something that releases a resource (a hook, a registration). */
export interface CoreDisposableLike {
  dispose(): unknown;
}
