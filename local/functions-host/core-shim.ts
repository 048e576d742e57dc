/**
 * Provides the module `@azure/functions-core` in this process, the way the Azure Functions Node
 * worker does (Azure/azure-functions-nodejs-worker `src/setupCoreModule.ts`): `Module.prototype.require`
 * is wrapped in a `Proxy` that answers `require('@azure/functions-core')` with our core API. After
 * that, `@azure/functions` leaves its "test mode" and hands every `app.*` / `df.app.*`
 * registration to the {@link FunctionRegistry}.
 *
 * Must run before `@azure/functions` first looks for the core module (its first `app.*` call):
 * the library caches the answer for the life of the process (`tryGetCoreApiLazy`).
 */
import Module from 'node:module';
import { Disposable } from './disposable.js';
import { FunctionRegistry } from './registry.js';

/** Worker version we report (`coreApi.version`); a 3.x worker is what `@azure/functions` v4 expects. */
export const LOCAL_WORKER_VERSION = '3.10.1';
/** Functions host version we report (`coreApi.hostVersion`). */
export const LOCAL_HOST_VERSION = '4.1037.0';

/** The object `require('@azure/functions-core')` returns (types-core's module surface). */
export interface FunctionsCoreApi {
  readonly version: string;
  readonly hostVersion: string;
  registerHook: FunctionRegistry['registerHook'];
  setProgrammingModel: FunctionRegistry['setProgrammingModel'];
  getProgrammingModel: FunctionRegistry['getProgrammingModel'];
  log: FunctionRegistry['log'];
  registerFunction: FunctionRegistry['registerFunction'];
  Disposable: typeof Disposable;
}

interface InstalledCore {
  registry: FunctionRegistry;
  coreApi: FunctionsCoreApi;
}

// Kept on globalThis so that two copies of this module (e.g. one loaded by Vitest, one by tsx)
// still share one registry and install one Proxy per process.
const GLOBAL_KEY = Symbol.for('switchboard.local.functionsCore');

function coreApiFor(registry: FunctionRegistry): FunctionsCoreApi {
  return {
    version: LOCAL_WORKER_VERSION,
    hostVersion: LOCAL_HOST_VERSION,
    registerHook: (name, cb) => registry.registerHook(name, cb),
    setProgrammingModel: (model) => registry.setProgrammingModel(model),
    getProgrammingModel: () => registry.getProgrammingModel(),
    log: (level, category, message) => registry.log(level, category, message),
    registerFunction: (metadata, cb) => registry.registerFunction(metadata, cb),
    Disposable,
  };
}

/**
 * Installs our `@azure/functions-core` in this process (once; later calls return the same
 * registry) and returns the registry that receives the app's registrations.
 *
 * If `@azure/functions` already decided it runs in test mode before this call, registrations
 * will not arrive; {@link isFunctionsCoreInstalled} plus an empty registry after loading the
 * entry point is the symptom (`loadApp` reports it as `HOST.TEST_MODE`).
 */
export function installFunctionsCore(): FunctionRegistry {
  const g = globalThis as Record<symbol, InstalledCore | undefined>;
  const existing = g[GLOBAL_KEY];
  if (existing) return existing.registry;

  const registry = new FunctionRegistry();
  const coreApi = coreApiFor(registry);
  const proto = (Module as unknown as { prototype: { require: (id: string) => unknown } }).prototype;
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, argArray: unknown[]): unknown {
      if (argArray[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, argArray) as unknown;
    },
  });
  g[GLOBAL_KEY] = { registry, coreApi };
  return registry;
}

/** Whether {@link installFunctionsCore} has run in this process. */
export function isFunctionsCoreInstalled(): boolean {
  return (globalThis as Record<symbol, InstalledCore | undefined>)[GLOBAL_KEY] !== undefined;
}

/** The core API object as `require('@azure/functions-core')` returns it (installs first). */
export function functionsCoreApi(): FunctionsCoreApi {
  installFunctionsCore();
  const installed = (globalThis as Record<symbol, InstalledCore | undefined>)[GLOBAL_KEY];
  if (!installed) throw new Error('unreachable: functions core not installed');
  return installed.coreApi;
}
