/**
 * The embedded local host (../shared/DESIGN.md, "One codebase, two hosts"): loads the app's entry
 * point unchanged through our `@azure/functions-core`, serves its HTTP triggers and the Durable
 * HTTP API over fastify on 127.0.0.1, runs its timer and Service Bus triggers (fed by the embedded
 * bus), and attaches the Durable task hub (`local/durable/`) that runs its orchestrations.
 *
 * ```ts
 * const host = await startLocalHost({ entry: 'index.ts', port: 0, dataDir: tmp });
 * await fetch(`${host.url}/api/health`);
 * await host.bus.send('media-events', { body: { type: 'joined', callId: 'c1' } });
 * await host.stop();
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../shared/errors/app-error.js';
import type { DurableFunctionInvoker, DurableHubForHost } from './host-contract.js';
import { SqliteQueue } from './bus/sqlite-queue.js';
import {
  createHttpServer,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type HttpServer,
} from './functions-host/http-server.js';
import { loadApp } from './functions-host/load-app.js';
import { createServiceBusOutputHandler, unsupportedBindings } from './functions-host/output-bindings.js';
import type { FunctionRegistry } from './functions-host/registry.js';
import {
  startServiceBusTriggers,
  DEFAULT_MAX_AUTO_LOCK_RENEWAL_MS,
  DEFAULT_MAX_CONCURRENT_CALLS,
  type ServiceBusTriggers,
} from './functions-host/service-bus-trigger.js';
import { startTimerTriggers, type TimerTriggers } from './functions-host/timer-trigger.js';
import { applySettingsToEnv, loadLocalSettings, type LocalSettings } from './settings.js';

/** A task hub as the host drives it: the contract plus lifecycle. */
export type HostedDurableHub = DurableHubForHost & { start(): Promise<void>; stop(): Promise<void> };

/** Options for {@link startLocalHost}. */
export interface LocalHostOptions {
  /** App entry point (.ts or .js). Default: package.json `main`, mapped to its .ts source when present. */
  entry?: string;
  /** Listening port (default: settings `PORT`, then `Host.LocalHttpPort`, then 7071; 0 = any free port). */
  port?: number;
  /** Data folder (default: `SWITCHBOARD_DATA_DIR`, then `<project>/.data`). */
  dataDir?: string;
  /** host.json path (default: `host.json` next to the entry point; none = defaults). */
  hostJson?: string;
  /** local.settings.json path (default: next to the entry point). */
  localSettings?: string;
  /** App settings that win over the environment and local.settings.json. */
  settings?: Record<string, string>;
  /** Project folder (package.json, `.data`; default: the working directory). */
  projectDir?: string;
  /** Builds the Durable task hub (default: `createTaskHub` from `local/durable/`). */
  createDurableHub?: (
    invoker: DurableFunctionInvoker,
    opts: { dataDir: string; hostJson: HostJson },
  ) => HostedDurableHub;
}

/** A running local host. */
export interface LocalHost {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly registry: FunctionRegistry;
  /** The Durable task hub, when the app has durable functions. */
  readonly hub: HostedDurableHub | undefined;
  /** The embedded Service Bus (`<dataDir>/bus.sqlite`). */
  readonly bus: SqliteQueue;
  readonly settings: LocalSettings;
  /**
   * One line per function, as Core Tools prints them at startup: HTTP functions with methods and
   * URL (`hello: [GET,POST] http://127.0.0.1:7071/api/hello/{name?}`), others with their trigger type.
   */
  functionListing(): string[];
  /** Graceful stop: HTTP first, then timers and bus receivers, the hub, in-flight invocations. */
  stop(): Promise<void>;
}

/** host.json, loosely typed (only what the host reads). */
export interface HostJson {
  functionTimeout?: string;
  extensions?: {
    http?: { routePrefix?: string };
    durableTask?: {
      hubName?: string;
      maxConcurrentActivityFunctions?: number;
      maxConcurrentOrchestratorFunctions?: number;
    };
    serviceBus?: {
      maxAutoLockRenewalDuration?: string;
      messageHandlerOptions?: { maxConcurrentCalls?: number };
      maxConcurrentCalls?: number;
      maxMessageBatchSize?: number;
    };
  };
  [key: string]: unknown;
}

/** Parses host.json `functionTimeout` (`hh:mm:ss`, `d.hh:mm:ss`, `-1` = unlimited) into ms. Errors: `HOST.INVALID_HOST_JSON`. */
export function parseFunctionTimeout(value: string | undefined): number | undefined {
  if (value === undefined || value === '-1') return undefined;
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(value.trim());
  if (!m)
    throw new AppError(
      'HOST.INVALID_HOST_JSON',
      `host.json functionTimeout "${value}" must be a TimeSpan like "00:05:00" or -1.`,
    );
  const ms =
    (((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000 +
    Number((m[5] ?? '0').padEnd(3, '0'));
  return ms;
}

/** Reads host.json (missing file → `{}`). Errors: `HOST.INVALID_HOST_JSON`. */
export function readHostJson(file: string | undefined): HostJson {
  if (!file || !fs.existsSync(file)) return {};
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as HostJson;
  } catch (err) {
    throw new AppError(
      'HOST.INVALID_HOST_JSON',
      `${file} is not a valid host.json: ${(err as Error).message}`,
      { metadata: { file } },
    );
  }
}

/**
 * The default entry point: package.json `main` of `projectDir`, mapped from the build output to its
 * TypeScript source when running from source (`dist/index.js` → `index.ts`). Errors: `HOST.NO_ENTRY`.
 */
export function resolveDefaultEntry(projectDir: string): string {
  const pkgFile = path.join(projectDir, 'package.json');
  let main: string | undefined;
  try {
    main = (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { main?: string }).main;
  } catch {
    main = undefined;
  }
  if (!main) throw new AppError('HOST.NO_ENTRY', `No entry point: pass one, or set "main" in ${pkgFile}.`);
  const built = path.resolve(projectDir, main);
  const source = path.resolve(projectDir, main.replace(/^(\.\/)?dist\//, '').replace(/\.[cm]?js$/, '.ts'));
  if (fs.existsSync(source)) return source;
  if (fs.existsSync(built)) return built;
  throw new AppError('HOST.NO_ENTRY', `Neither ${source} nor ${built} exists (package.json main "${main}").`);
}

/** Core Tools-style listing of the registry's functions (see {@link LocalHost.functionListing}). */
export function listFunctions(registry: FunctionRegistry, origin: string, routePrefix: string): string[] {
  const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
  return registry.functions().map((f) => {
    const b = f.trigger.binding;
    if (b.type.toLowerCase() !== 'httptrigger') return `${f.name}: ${b.type}`;
    const route = (typeof b.route === 'string' && b.route !== '' ? b.route : f.name).replace(/^\/+/, '');
    const methods =
      Array.isArray(b.methods) && b.methods.length > 0
        ? (b.methods as unknown[]).map((m) => String(m).toUpperCase()).join(',')
        : 'ALL';
    return `${f.name}: [${methods}] ${origin}/${prefix ? `${prefix}/` : ''}${route}`;
  });
}

function hasDurableFunctions(registry: FunctionRegistry): boolean {
  return registry.functions().some((f) => {
    const t = f.trigger.binding.type.toLowerCase();
    if (t === 'orchestrationtrigger' || t === 'activitytrigger' || t === 'entitytrigger') return true;
    return Object.values(f.bindings).some((b) => b.type?.toLowerCase() === 'durableclient');
  });
}

async function defaultDurableHub(
  invoker: DurableFunctionInvoker,
  opts: { dataDir: string; hostJson: HostJson },
): Promise<HostedDurableHub> {
  const { createTaskHub } = await import('./durable/index.js');
  const dt = opts.hostJson.extensions?.durableTask ?? {};
  return createTaskHub({
    dataDir: opts.dataDir,
    invoker,
    ...(dt.hubName ? { hubName: dt.hubName } : {}),
    ...(dt.maxConcurrentActivityFunctions
      ? { maxConcurrentActivityFunctions: dt.maxConcurrentActivityFunctions }
      : {}),
    ...(dt.maxConcurrentOrchestratorFunctions
      ? { maxConcurrentOrchestratorFunctions: dt.maxConcurrentOrchestratorFunctions }
      : {}),
  });
}

function intSetting(settings: LocalSettings, key: string, fallback: number): number {
  const raw = settings.values[key] ?? process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new AppError('SETTINGS.INVALID', `Setting ${key} must be a non-negative integer (got "${raw}").`, {
      metadata: { key },
    });
  return n;
}

/**
 * Starts the local host. Errors (`AppError`): settings (`SETTINGS.*`), `HOST.NO_ENTRY`,
 * `HOST.INVALID_HOST_JSON`, app loading (`HOST.ENTRY_*`, `HOST.NO_FUNCTIONS`), `HOST.INVALID_ROUTE`,
 * `HOST.INVALID_SCHEDULE`; a port in use rejects with Node's `EADDRINUSE` error.
 */
export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const entry = path.resolve(projectDir, options.entry ?? resolveDefaultEntry(projectDir));
  const appDir = path.dirname(entry);
  const hostJsonFile = options.hostJson
    ? path.resolve(projectDir, options.hostJson)
    : path.join(appDir, 'host.json');
  if (options.hostJson && !fs.existsSync(hostJsonFile))
    throw new AppError('HOST.INVALID_HOST_JSON', `host.json not found: ${hostJsonFile}`);
  const hostJson = readHostJson(hostJsonFile);
  const functionTimeoutMs = parseFunctionTimeout(hostJson.functionTimeout);

  const settings = loadLocalSettings({
    projectDir,
    file: options.localSettings
      ? path.resolve(projectDir, options.localSettings)
      : path.join(appDir, 'local.settings.json'),
    ...(options.settings ? { overrides: options.settings } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
  });
  const restoreEnv = applySettingsToEnv(settings);
  fs.mkdirSync(settings.dataDir, { recursive: true });

  const registry = await loadApp(entry);
  const bus = new SqliteQueue({
    file: path.join(settings.dataDir, 'bus.sqlite'),
    maxDeliveryCount: intSetting(settings, 'SWITCHBOARD_SERVICEBUS_MAX_DELIVERY_COUNT', 10),
    lockDurationMs: intSetting(settings, 'SWITCHBOARD_SERVICEBUS_LOCK_DURATION_MS', 60_000),
  });

  registry.setOutputBindingHandler(createServiceBusOutputHandler(bus));
  for (const fn of registry.functions()) {
    const unsupported = unsupportedBindings(fn);
    if (unsupported.length > 0)
      registry.log(
        'warning',
        'system',
        `Function "${fn.name}": the local host does not run these bindings: ${unsupported.join(', ')}.`,
      );
  }

  const cleanups: (() => void)[] = [];
  const routePrefix = hostJson.extensions?.http?.routePrefix ?? 'api';
  let hub: HostedDurableHub | undefined;
  let http: HttpServer | undefined;
  let timers: TimerTriggers | undefined;
  let sbTriggers: ServiceBusTriggers | undefined;
  try {
    const keysSetting = settings.values.FUNCTIONS_KEYS ?? process.env.FUNCTIONS_KEYS ?? '';
    http = createHttpServer({
      registry,
      routePrefix,
      keys: {
        functionKeys: keysSetting
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k !== ''),
        masterKey: settings.values.FUNCTIONS_MASTER_KEY ?? process.env.FUNCTIONS_MASTER_KEY,
      },
      bodyLimitBytes: intSetting(settings, 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', DEFAULT_BODY_LIMIT_BYTES),
      functionTimeoutMs,
      requestTimeoutMs: intSetting(
        settings,
        'SWITCHBOARD_HTTP_REQUEST_TIMEOUT_MS',
        DEFAULT_REQUEST_TIMEOUT_MS,
      ),
      durableHub: () => hub,
    });
    const port = await http.listen(settings.port);
    const origin = `http://127.0.0.1:${port}`;
    // Azure sets WEBSITE_HOSTNAME; durable-functions' getClient rewrites management URLs to
    // localhost:7071 when it is missing, so point it at this host (restored on stop).
    const ownsHostname = !process.env.WEBSITE_HOSTNAME;
    if (ownsHostname) process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
    const restoreHostname = (): void => {
      if (ownsHostname && process.env.WEBSITE_HOSTNAME === `127.0.0.1:${port}`)
        delete process.env.WEBSITE_HOSTNAME;
    };
    cleanups.push(restoreHostname);

    if (hasDurableFunctions(registry)) {
      const opts = { dataDir: settings.dataDir, hostJson };
      hub = options.createDurableHub
        ? options.createDurableHub(registry, opts)
        : await defaultDurableHub(registry, opts);
      const attached = hub;
      registry.setDurableClientProvider(() => attached.durableClientBindingData(origin));
      await hub.start();
    }

    timers = startTimerTriggers({
      registry,
      dataDir: settings.dataDir,
      timeZone: settings.values.WEBSITE_TIME_ZONE ?? process.env.WEBSITE_TIME_ZONE,
    });
    const sbOpts = hostJson.extensions?.serviceBus;
    sbTriggers = startServiceBusTriggers({
      registry,
      queue: bus,
      maxConcurrentCalls:
        sbOpts?.messageHandlerOptions?.maxConcurrentCalls ??
        sbOpts?.maxConcurrentCalls ??
        DEFAULT_MAX_CONCURRENT_CALLS,
      ...(sbOpts?.maxMessageBatchSize ? { maxMessageBatchSize: sbOpts.maxMessageBatchSize } : {}),
      lockDurationMs: bus.lockDurationMs,
      maxAutoLockRenewalMs:
        parseFunctionTimeout(sbOpts?.maxAutoLockRenewalDuration) ?? DEFAULT_MAX_AUTO_LOCK_RENEWAL_MS,
    });

    let stopping: Promise<void> | undefined;
    const started = { http, timers, sbTriggers };
    return {
      url: origin,
      port,
      registry,
      hub,
      bus,
      settings,
      functionListing: () => listFunctions(registry, origin, routePrefix),
      stop(): Promise<void> {
        stopping ??= (async () => {
          await started.http.close();
          await started.timers.stop();
          await started.sbTriggers.stop();
          await hub?.stop();
          await registry.drain();
          await registry.runAppTerminateHooks();
          registry.setDurableClientProvider(undefined);
          registry.setOutputBindingHandler(undefined);
          await bus.close();
          for (const cleanup of cleanups) cleanup();
          restoreEnv();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await http?.close().catch(() => undefined);
    await timers?.stop();
    await sbTriggers?.stop();
    await hub?.stop().catch(() => undefined);
    await bus.close();
    for (const cleanup of cleanups) cleanup();
    restoreEnv();
    throw err;
  }
}
