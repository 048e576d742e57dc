/**
 * The whole of Switchboard on this machine, in one process (issue 5, "Running it"): the Graph
 * simulator, Azurite's Blob service (voicemail), the embedded store, the demo web services the
 * example flows call, and the local Functions host running `index.ts` with settings that point the
 * app at all of them. It publishes every flow in `flows/` (an unchanged flow keeps its version)
 * and binds the numbers of `flows/numbers.yaml`. Everything binds 127.0.0.1; everything persists
 * under `dataDir`, so a restart on the same folder resumes calls, flows and numbers.
 *
 * ```ts
 * const stack = await startStack({ port: 0, dataDir: tmp, clockScale: 20, quiet: true });
 * const call = await stack.sim.placeCall({ from: '+14255550199', to: '+14255550100', steps: ['w 1'] });
 * await call.ended();
 * await stack.stop();
 * ```
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AppError } from '../shared/errors/app-error.js';
import { expandFlowPaths, loadFlowFile, loadNumbersFile } from '../shared/flow/node/load.js';
import { configureServices, resetServices } from '../shared/services.js';
import type { Store } from '../shared/store/index.js';
import { startAzuriteBlob, type AzuriteBlob } from './azurite.js';
import {
  createSimClock,
  DEFAULT_SIM_TENANT_ID,
  generateRecordingWav,
  startGraphSimulator,
  type GraphSimulator,
} from './graph-sim/index.js';
import { startLocalHost, type LocalHost } from './host.js';
import { localIdpSettings, startLocalIdp } from './idp.js';
import { DEFAULT_PORT } from './settings.js';
import { startDemoServices, type DemoServices } from './stack/demo-services.js';
import { installHostRedirect, type HostRedirect } from './stack/host-redirect.js';
import { createEmbeddedStore } from './store/embedded.store.js';

/** The local bot's identity (fixed demo values shared by the host and the simulator; not secrets). */
export const LOCAL_BOT = {
  appId: '5b1a7c9e-0d2f-4e3a-9b8c-7d6e5f4a3b2c',
  tenantId: DEFAULT_SIM_TENANT_ID,
  clientSecret: 'local-demo-secret',
} as const;

/** Who the stack records as publisher / binder. */
export const STACK_USER = 'local-stack';

/** Length, in simulated ms, of a prompt whose audio lives on a host the simulator cannot reach. */
export const PLACEHOLDER_PROMPT_MS = 2000;

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Host port: default `PORT`, else 7071; 0 = a free port. */
  port?: number;
  /** Simulator port: default host port + 1 when the host port is fixed, else 0 (a free port). */
  simPort?: number;
  /** Data folder: default `SWITCHBOARD_DATA_DIR`, else `.data` (relative to `projectDir`). */
  dataDir?: string;
  /** Flows folder (flows, `*.test.yaml`, `numbers.yaml`): default `flows`. */
  flowsDir?: string;
  /** Simulator clock speed (1 = real time; 20 = prompts and pauses 20x faster). */
  clockScale?: number;
  /** Only warnings and errors from the functions (no per-invocation information logs). */
  quiet?: boolean;
  /** Project folder holding `index.ts`, `host.json`, `flows/` (default: the working directory). */
  projectDir?: string;
  /** Extra app settings for the host (win over the stack's own). */
  settings?: Record<string, string>;
}

/** A bound demo number and the flow version a call to it runs now. */
export interface StackNumber {
  number: string;
  flowId: string;
  version: number;
}

/** A flow the stack published (or found already published, unchanged). */
export interface StackFlow {
  flowId: string;
  version: number;
  file: string;
  /** True when this start created the version; false when an identical one was live. */
  published: boolean;
}

/** The running stack. */
export interface Stack {
  /** Functions host, `http://127.0.0.1:PORT` (`/api/health`, `/api/calling`, Durable HTTP API). */
  url: string;
  /** Graph simulator (`/sim/*` control API, `/v1.0` Graph). */
  simUrl: string;
  /** Local identity provider for the APIs' bearer tokens (`POST /token`; port = host port + 2 when fixed). */
  idpUrl: string;
  /** Demo web services the flows' `httpRequest` steps reach. */
  servicesUrl: string;
  /** Azurite Blob endpoint (voicemail). */
  blobUrl: string;
  dataDir: string;
  sim: GraphSimulator;
  host: LocalHost;
  store: Store;
  services: DemoServices;
  flows: StackFlow[];
  numbers: StackNumber[];
  /** Graceful stop: the host first (in-flight work), then the simulator, storage and services. */
  stop(): Promise<void>;
}

/** Reserves a free loopback port (listen on 0, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function envPort(): number | undefined {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new AppError('STACK.BAD_OPTION', `PORT must be a port number (0-65535), got "${raw}"`);
  return n;
}

function checkPort(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535))
    throw new AppError('STACK.BAD_OPTION', `${name} must be a port number (0-65535), got ${value}`);
}

/**
 * Validates every flow file in `flowsDir` and publishes it unless the live version has the same
 * source. Throws `AppError('STACK.INVALID_FLOWS')` listing `file:line:col code message` of every
 * error (nothing is published then).
 */
export async function publishFlows(store: Store, flowsDir: string): Promise<StackFlow[]> {
  const loaded = expandFlowPaths([flowsDir]).map((file) => ({ file, res: loadFlowFile(file) }));
  const problems = loaded.flatMap(({ res }) =>
    res.issues
      .filter((i) => i.severity === 'error')
      .map((i) => `${i.file}:${i.line}:${i.col} ${i.code} ${i.message}`),
  );
  if (problems.length > 0)
    throw new AppError(
      'STACK.INVALID_FLOWS',
      `flows in ${flowsDir} have errors:\n  ${problems.join('\n  ')}`,
      {
        metadata: { problems },
      },
    );
  const out: StackFlow[] = [];
  for (const { file, res } of loaded) {
    const flow = res.flow;
    if (flow === undefined) continue;
    const source = fs.readFileSync(file, 'utf8');
    const live = await store.flows.getPublished(flow.id);
    if (live?.source === source) {
      out.push({ flowId: flow.id, version: live.version, file, published: false });
      continue;
    }
    const v = await store.flows.publish({
      flowId: flow.id,
      source,
      document: flow,
      by: STACK_USER,
      reason: `published from ${path.basename(file)} at start-up`,
    });
    out.push({ flowId: flow.id, version: v.version, file, published: true });
  }
  return out;
}

/**
 * Binds the numbers of `numbersFile` (`numbers.yaml`) to their flows, leaving bindings that are
 * already right untouched. Throws `AppError('STACK.INVALID_FLOWS')` for a bad file.
 */
export async function bindNumbers(
  store: Store,
  numbersFile: string,
  flows: readonly StackFlow[],
): Promise<StackNumber[]> {
  if (!fs.existsSync(numbersFile)) return [];
  const res = loadNumbersFile(numbersFile);
  const errors = res.issues.filter((i) => i.severity === 'error');
  if (errors.length > 0 || res.numbers === undefined)
    throw new AppError(
      'STACK.INVALID_FLOWS',
      `${numbersFile} has errors:\n  ${errors.map((i) => `${i.file}:${i.line}:${i.col} ${i.message}`).join('\n  ')}`,
    );
  const out: StackNumber[] = [];
  for (const [number, flowId] of Object.entries(res.numbers).sort(([a], [b]) => a.localeCompare(b))) {
    const current = await store.numbers.lookup(number);
    if (current?.flowId !== flowId) await store.numbers.bind({ number, flowId, by: STACK_USER });
    const version = flows.find((f) => f.flowId === flowId)?.version;
    if (version !== undefined) out.push({ number, flowId, version });
  }
  return out;
}

/**
 * Starts the local stack. Errors (`AppError`): `STACK.BAD_OPTION`, `STACK.INVALID_FLOWS`, the local
 * host's (`SETTINGS.*`, `HOST.*`), `STORE.*` (e.g. the data folder is in use by another process);
 * a port in use rejects with Node's `EADDRINUSE` error. Whatever started is stopped on failure.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  checkPort('port', options.port);
  checkPort('simPort', options.simPort);
  const requestedPort = options.port ?? envPort() ?? DEFAULT_PORT;
  const port = requestedPort === 0 ? await freePort() : requestedPort;
  const simPort = options.simPort ?? (requestedPort === 0 ? 0 : requestedPort + 1);
  const idpPort = requestedPort === 0 ? 0 : requestedPort + 2;
  const dataDir = path.resolve(projectDir, options.dataDir ?? (process.env.SWITCHBOARD_DATA_DIR || '.data'));
  const flowsDir = path.resolve(projectDir, options.flowsDir ?? 'flows');
  const clockScale = options.clockScale ?? 1;
  if (!Number.isFinite(clockScale) || clockScale <= 0)
    throw new AppError('STACK.BAD_OPTION', `clockScale must be a number > 0, got ${clockScale}`);
  if (!fs.existsSync(flowsDir))
    throw new AppError('STACK.BAD_OPTION', `flows folder ${flowsDir} does not exist`);
  fs.mkdirSync(dataDir, { recursive: true });

  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await Promise.resolve(stop()).catch(() => undefined);
  };
  try {
    const services = await startDemoServices();
    stops.push(() => services.stop());
    const redirect: HostRedirect = await installHostRedirect(
      services.hosts,
      services.url,
      `${services.url}/health`,
    );
    stops.push(() => redirect.uninstall());

    const blob: AzuriteBlob = await startAzuriteBlob({ dataDir });
    stops.push(() => blob.stop());

    const store = createEmbeddedStore({ dataDir });
    stops.push(() => store.close());
    configureServices({ store });
    stops.push(() => resetServices());

    const idp = await startLocalIdp({ port: idpPort, dataDir });
    stops.push(() => idp.stop());

    const flows = await publishFlows(store, flowsDir);
    const numbers = await bindNumbers(store, path.join(flowsDir, 'numbers.yaml'), flows);

    // The host's port is chosen before the simulator starts (the simulator posts to it). When it
    // was picked here (port 0), another process may take it in between: then try a new one.
    const startSimAndHost = async (
      port: number,
    ): Promise<{ sim: GraphSimulator; host: LocalHost; hostUrl: string }> => {
      const hostUrl = `http://127.0.0.1:${port}`;
      const sim = await startGraphSimulator({
        port: simPort,
        botAppId: LOCAL_BOT.appId,
        botClientSecret: LOCAL_BOT.clientSecret,
        tenantId: LOCAL_BOT.tenantId,
        clock: createSimClock({ speed: clockScale }),
        defaultCallbackUri: `${hostUrl}/api/calling`,
        promptBaseDir: flowsDir,
        // Prompt audio on public hosts (the example flows' https URLs) cannot be fetched here: play a
        // placeholder of fixed length instead, so the call goes on as if it had been fetched.
        fetchPrompt: async (uri) => {
          const u = new URL(uri, 'file:///');
          if (
            (u.protocol === 'http:' || u.protocol === 'https:') &&
            u.hostname !== '127.0.0.1' &&
            u.hostname !== 'localhost'
          )
            return generateRecordingWav(PLACEHOLDER_PROMPT_MS, PLACEHOLDER_PROMPT_MS);
          if (u.protocol === 'file:')
            return fs.promises.readFile(uri.startsWith('file:') ? u : path.resolve(flowsDir, uri));
          const res = await fetch(uri);
          if (!res.ok) throw new Error(`prompt ${uri}: HTTP ${res.status}`);
          return Buffer.from(await res.arrayBuffer());
        },
      });
      try {
        const host: LocalHost = await startLocalHost({
          entry: path.join(projectDir, 'index.ts'),
          projectDir,
          port,
          dataDir,
          settings: {
            SWITCHBOARD_BOT_APP_ID: LOCAL_BOT.appId,
            SWITCHBOARD_TENANT_ID: LOCAL_BOT.tenantId,
            SWITCHBOARD_BOT_CLIENT_SECRET: LOCAL_BOT.clientSecret,
            SWITCHBOARD_CALLBACK_URL: `${hostUrl}/api/calling`,
            GRAPH_BASE_URL: sim.graphBaseUrl,
            GRAPH_AUTHORITY: sim.authorityHost,
            GRAPH_AUTHORITY_METADATA: sim.authorityMetadata,
            INBOUND_OPENID_CONFIGURATION_URL: sim.openIdConfigurationUrl,
            INBOUND_ISSUERS: sim.notificationIssuer,
            INBOUND_ALLOWED_TENANTS: sim.tenantId,
            RECORDINGS_STORAGE_CONNECTION: blob.connectionString,
            HTTP_ALLOWED_HOSTS: services.hosts.join(','),
            ...localIdpSettings(idp),
            ...options.settings,
          },
        });
        return { sim, host, hostUrl };
      } catch (err) {
        await sim.stop();
        throw err;
      }
    };
    let started: { sim: GraphSimulator; host: LocalHost; hostUrl: string } | undefined;
    for (let attempt = 1; started === undefined; attempt++) {
      try {
        started = await startSimAndHost(attempt === 1 ? port : await freePort());
      } catch (err) {
        if (requestedPort !== 0 || attempt >= 5 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
          throw err;
      }
    }
    const { sim, host } = started;
    stops.push(() => sim.stop());
    stops.push(() => host.stop());
    if (options.quiet)
      host.registry.setLogSink((entry) => {
        if (entry.level === 'warning' || entry.level === 'error' || entry.level === 'critical')
          console.error(`${entry.functionName ? `[${entry.functionName}] ` : ''}${entry.message}`);
      });

    let stopping: Promise<void> | undefined;
    return {
      url: host.url,
      simUrl: sim.url,
      idpUrl: idp.url,
      servicesUrl: services.url,
      blobUrl: blob.blobEndpoint,
      dataDir,
      sim,
      host,
      store,
      services,
      flows,
      numbers,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
