/**
 * The app's composition root: the adapters the functions and activities use, built once per host
 * process from `loadConfig()` (../shared/STYLE.md practice 10: inject I/O through ports; one
 * composition root). Production builds Cosmos DB, the MSAL-backed Graph client and the inbound
 * token validator from settings. A host may supply any of them first with `configureServices`
 * (the embedded local host supplies its embedded store; tests supply fakes typed against the same
 * ports), so nothing in `functions/` or `orchestrations/` knows whether it runs locally.
 */
import { loadConfig, type SwitchboardConfig } from './config/config.js';
import { AppError } from './errors/app-error.js';
import { GraphCallsClient } from './graph/calls-client.js';
import { createInboundTokenValidator, type InboundTokenValidator } from './graph/inbound-auth.js';
import { createMsalTokenProvider } from './graph/token-provider.js';
import { createBlobRecordingStore, unconfiguredRecordingStore } from './recordings/blob-recordings.js';
import type { RecordingStore } from './recordings/recordings.port.js';
import type { Store } from './store/index.js';

/** Everything the functions and activities depend on. */
export interface Services {
  config: SwitchboardConfig;
  store: Store;
  graph: GraphCallsClient;
  inboundAuth: InboundTokenValidator;
  /** Voicemail storage: Blob Storage from `RECORDINGS_STORAGE_CONNECTION`, else a store that refuses (`RECORDINGS.NOT_CONFIGURED`). */
  recordings: RecordingStore;
}

/** A supplied service: the instance, or a factory called once on first use (it may use the config). */
export type ServiceOverride<T> = T | ((config: SwitchboardConfig) => T | Promise<T>);
/** Services a host supplies instead of the production defaults. */
export type ServiceOverrides = { [K in Exclude<keyof Services, 'config'>]?: ServiceOverride<Services[K]> } & {
  config?: SwitchboardConfig;
};

let overrides: ServiceOverrides = {};
let built: Promise<Services> | undefined;

/**
 * Supplies services before first use (host start-up, tests). Throws `APP.SERVICES_STARTED` if
 * `getServices()` has already built them: swapping adapters under running code is never right.
 */
export function configureServices(next: ServiceOverrides): void {
  if (built !== undefined) {
    throw new AppError(
      'APP.SERVICES_STARTED',
      'services are already in use; configure them before the first call',
    );
  }
  overrides = { ...overrides, ...next };
}

/**
 * The services, built on first call and shared afterwards. Rejects with `CONFIG.INVALID` when the
 * settings are incomplete, or `APP.NO_STORE` when no store is configured (no Cosmos settings and
 * none supplied by the host). A failed build is not cached, so a fixed setting takes effect on the
 * next call.
 */
export function getServices(): Promise<Services> {
  built ??= build().catch((err: unknown) => {
    built = undefined;
    throw err;
  });
  return built;
}

/** Closes what was built and forgets overrides (tests and host shutdown). */
export async function resetServices(): Promise<void> {
  const current = built;
  built = undefined;
  overrides = {};
  if (current) await (await current.catch(() => undefined))?.store.close();
}

async function resolve<T>(
  o: ServiceOverride<T> | undefined,
  config: SwitchboardConfig,
): Promise<T | undefined> {
  if (o === undefined) return undefined;
  return typeof o === 'function' ? (o as (c: SwitchboardConfig) => T | Promise<T>)(config) : o;
}

async function build(): Promise<Services> {
  const config = overrides.config ?? loadConfig();
  const store = (await resolve(overrides.store, config)) ?? (await productionStore(config));
  const graph =
    (await resolve(overrides.graph, config)) ??
    new GraphCallsClient({
      baseUrl: config.graph.baseUrl,
      timeoutMs: config.graph.requestTimeoutMs,
      tokenProvider: createMsalTokenProvider({
        tenantId: config.bot.tenantId,
        clientId: config.bot.appId,
        clientSecret: config.bot.clientSecret,
        authority: config.graph.authority,
        authorityMetadata: config.graph.authorityMetadata,
      }),
    });
  const inboundAuth =
    (await resolve(overrides.inboundAuth, config)) ??
    createInboundTokenValidator({
      audience: config.bot.appId,
      openIdConfigurationUrl: config.inbound.openIdConfigurationUrl,
      issuers: config.inbound.issuers,
      allowedTenants:
        config.inbound.allowedTenants.length > 0 ? config.inbound.allowedTenants : [config.bot.tenantId],
    });
  const recordings =
    (await resolve(overrides.recordings, config)) ??
    (config.recordings.connectionString === undefined
      ? unconfiguredRecordingStore()
      : createBlobRecordingStore({
          connectionString: config.recordings.connectionString,
          container: config.recordings.container,
        }));
  return { config, store, graph, inboundAuth, recordings };
}

async function productionStore(config: SwitchboardConfig): Promise<Store> {
  if (config.store.cosmos === undefined) {
    throw new AppError('APP.NO_STORE', 'no store configured: set COSMOS_ENDPOINT and COSMOS_KEY');
  }
  // Loaded on demand so that importing the services never loads the Cosmos SDK in hosts that supply a store.
  const { createCosmosStore } = await import('./store/cosmos/cosmos.store.js');
  return createCosmosStore({ ...config.store.cosmos, timelineTtlDays: config.store.timelineTtlDays });
}
