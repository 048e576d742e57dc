/**
 * The local stack without its Graph simulator, as a child process the restart test can kill -9:
 * the embedded store, Azurite, demo services and the local host running index.ts, pointed at a
 * simulator the parent runs (so the simulated call survives the host). Settings come as one JSON
 * argument: `{ port, dataDir, flowsDir, sim: { graphBaseUrl, authorityHost, authorityMetadata,
 * openIdConfigurationUrl, notificationIssuer, tenantId } }`. Prints `READY <hostUrl>` when
 * `/api/health` answers.
 */
import path from 'node:path';
import { startAzuriteBlob } from '../../local/azurite.js';
import { startLocalHost } from '../../local/host.js';
import { startDemoServices } from '../../local/stack/demo-services.js';
import { installHostRedirect } from '../../local/stack/host-redirect.js';
import { bindNumbers, LOCAL_BOT, publishFlows } from '../../local/stack.js';
import { createEmbeddedStore } from '../../local/store/embedded.store.js';
import { configureServices } from '../../shared/services.js';

interface ChildConfig {
  port: number;
  dataDir: string;
  flowsDir: string;
  sim: {
    graphBaseUrl: string;
    authorityHost: string;
    authorityMetadata: string;
    openIdConfigurationUrl: string;
    notificationIssuer: string;
    tenantId: string;
  };
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const services = await startDemoServices();
await installHostRedirect(services.hosts, services.url, `${services.url}/health`);
const blob = await startAzuriteBlob({ dataDir: config.dataDir });
const store = createEmbeddedStore({ dataDir: config.dataDir });
configureServices({ store });
const flows = await publishFlows(store, config.flowsDir);
await bindNumbers(store, path.join(config.flowsDir, 'numbers.yaml'), flows);
const hostUrl = `http://127.0.0.1:${config.port}`;
const host = await startLocalHost({
  entry: path.resolve('index.ts'),
  port: config.port,
  dataDir: config.dataDir,
  settings: {
    SWITCHBOARD_BOT_APP_ID: LOCAL_BOT.appId,
    SWITCHBOARD_TENANT_ID: LOCAL_BOT.tenantId,
    SWITCHBOARD_BOT_CLIENT_SECRET: LOCAL_BOT.clientSecret,
    SWITCHBOARD_CALLBACK_URL: `${hostUrl}/api/calling`,
    GRAPH_BASE_URL: config.sim.graphBaseUrl,
    GRAPH_AUTHORITY: config.sim.authorityHost,
    GRAPH_AUTHORITY_METADATA: config.sim.authorityMetadata,
    INBOUND_OPENID_CONFIGURATION_URL: config.sim.openIdConfigurationUrl,
    INBOUND_ISSUERS: config.sim.notificationIssuer,
    INBOUND_ALLOWED_TENANTS: config.sim.tenantId,
    RECORDINGS_STORAGE_CONNECTION: blob.connectionString,
  },
});
host.registry.setLogSink(() => undefined);
const res = await fetch(`${hostUrl}/api/health`);
process.stdout.write(`READY ${hostUrl} ${res.status}\n`);
