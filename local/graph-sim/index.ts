/**
 * The Graph simulator: a local peer that speaks Microsoft Graph's cloud-communications calls
 * protocol towards the bot (../shared/DESIGN.md, "Graph simulator"). The bot's production Graph
 * client, MSAL token provider, notification parser and inbound token validator talk to it
 * unchanged; only base URLs differ.
 *
 * @example
 * const sim = await startGraphSimulator({ botAppId: 'app-id', botClientSecret: 's3cret',
 *   defaultCallbackUri: 'http://127.0.0.1:7071/api/calling', clock: createSimClock({ speed: 50 }) });
 * const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199',
 *   steps: [{ type: 'waitForPrompt', n: 1, phase: 'end' }, 'w 2', { type: 'hangUp' }] });
 * await call.ended();
 * sim.requests(call.id); // everything the bot asked, in order
 * await sim.stop();
 */
import { randomUUID } from 'node:crypto';
import { createSimAuth } from './auth.js';
import { createSimClock } from './clock.js';
import type { SimClock } from './clock.js';
import type { CalleeScript, CallerScript, CallerStep } from './caller-script.js';
import { GraphSimEngine } from './engine.js';
import type { RecordedRequest, SimCall } from './engine.js';
import { FaultInjector } from './faults.js';
import { Notifier } from './notifier.js';
import type { DeliveryRecord } from './notifier.js';
import { authorityMetadataFor, buildSimServer } from './server.http.js';

export { createSimClock } from './clock.js';
export type { SimClock } from './clock.js';
export { FaultInjector } from './faults.js';
export type { NotificationFault, RequestFault } from './faults.js';
export { parseKeys, toneOf } from './caller-script.js';
export type { CalleeScript, CallerScript, CallerStep, DtmfKey } from './caller-script.js';
export { RESULTS } from './engine.js';
export type {
  CallOutcome,
  CallState,
  RecordedRequest,
  ResultInfo,
  SimCall,
  TranscriptEntry,
} from './engine.js';
export type { CommsNotification, DeliveryRecord } from './notifier.js';
export { generateRecordingWav, wavDurationMs } from './media.js';

/** Options for {@link startGraphSimulator}. Durations are simulated ms unless noted. */
export interface GraphSimulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Always loopback. */
  host?: '127.0.0.1';
  /** The bot's tenant (the `tid` of tokens and notifications). Default: a fixed test GUID. */
  tenantId?: string;
  /** The bot's app id (client id for MSAL; audience of notification tokens). */
  botAppId: string;
  /** The bot's client secret; when set, the token endpoint rejects any other secret (AADSTS7000215). */
  botClientSecret?: string;
  /** PEM certificate or SPKI public key that verifies `client_assertion`s (certificate credentials). */
  botCertificatePem?: string;
  /** The clock for every delay (default: real time). */
  clock?: SimClock;
  /** Speaking rate for text-only prompts, words per minute (default 150). */
  speakingRateWpm?: number;
  /** How long an incoming call rings before Graph drops it (default 15 000 ms). */
  ringingTimeoutMs?: number;
  /** Directory that relative prompt URIs resolve against. */
  promptBaseDir?: string;
  /** Replaces the prompt loader (default: `file:` URIs, relative paths and loopback http(s)). */
  fetchPrompt?: (uri: string) => Promise<Buffer>;
  /** The bot's calling webhook, where incoming-call notifications go (a script may override it). */
  defaultCallbackUri?: string;
  /** Delay between `establishing` and `established` after answer (default 200 ms). */
  establishDelayMs?: number;
  /** Delay before the callee of an outbound call answers (default 1000 ms). */
  outboundAnswerDelayMs?: number;
  /** An established call with no keepAlive for this long is ended, like Graph (default 45 min). */
  keepAliveTimeoutMs?: number;
  /** Transfer target behaviour when the script says nothing (default: accept after 1000 ms). */
  defaultTransfer?: { outcome: 'accept' | 'fail'; afterMs: number };
  /** Notification retries after the first attempt (default 3), back-off base (default 1000 ms), per-attempt timeout in real ms (default 5000). */
  notificationRetry?: { maxRetries?: number; retryBaseMs?: number; timeoutMs?: number };
  /** Application instance (resource account) id shown as the target of PSTN calls. */
  applicationInstanceId?: string;
}

/** A running simulator. */
export interface GraphSimulator {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Graph base URL for the client: `url + '/v1.0'`. */
  graphBaseUrl: string;
  /** The tenant the simulator plays. */
  tenantId: string;
  /**
   * Authority for MSAL: `https://127.0.0.1:PORT/{tenant}`. MSAL only accepts https authorities, so
   * pass it together with `authorityMetadata` and `knownAuthorities: ['127.0.0.1:PORT']`: MSAL then
   * makes no discovery call and POSTs straight to `tokenEndpoint` (plain http on loopback).
   */
  authority: string;
  /** The authority host without tenant, `https://127.0.0.1:PORT` (for options that append the tenant themselves). */
  authorityHost: string;
  /** `POST` client-credentials endpoint: `url/{tenant}/oauth2/v2.0/token`. */
  tokenEndpoint: string;
  /** OIDC discovery document for MSAL's `auth.authorityMetadata` (a JSON string, endpoints on this simulator). */
  authorityMetadata: string;
  /** OpenID configuration of the notification signer: `url/v1/.well-known/OpenIdConfiguration` (give it to the inbound validator). */
  openIdConfigurationUrl: string;
  /** Issuer of notification tokens: `https://api.botframework.com`. */
  notificationIssuer: string;
  /** Places an incoming call from a scripted caller. Rejects with `TypeError` for an invalid script or no callback URI. */
  placeCall(script: CallerScript): Promise<SimCall>;
  /**
   * Queues how the callee of the bot's next outbound call behaves (`answer: accept|decline|noAnswer`,
   * `afterMs`, caller-like `steps`); default: answers after `outboundAnswerDelayMs`. Throws `TypeError` for a bad script.
   */
  expectOutboundCall(script: CalleeScript): void;
  /** Runs extra caller steps on a live call now (alongside its script); resolves when done. Rejects with `TypeError` for an unknown call or bad steps. */
  runSteps(callId: string, steps: (CallerStep | string)[]): Promise<void>;
  /** The caller of `callId` hangs up now (no-op when the call has ended). */
  callerHangsUp(callId: string): void;
  /** Every call so far (incoming and outgoing), in order. */
  calls(): SimCall[];
  /** One call by id. */
  call(id: string): SimCall | undefined;
  /** Every Graph request the bot made (or those about one call), in order: method, path, body, time, response status. */
  requests(callId?: string): RecordedRequest[];
  /** Notification deliveries (or those of one call), in order, with attempts and outcome. */
  deliveries(callId?: string): DeliveryRecord[];
  /** Resolves when every queued notification (or one call's) has been attempted. */
  notificationsIdle(callId?: string): Promise<void>;
  /** Armed request and notification faults. */
  faults: FaultInjector;
  clock: SimClock;
  /** Ends every call, stops notification retries and closes the server. */
  stop(): Promise<void>;
}

/** The tenant id used when none is given. */
export const DEFAULT_SIM_TENANT_ID = '11111111-2222-4333-8444-555555555555';

/**
 * Starts the simulator on 127.0.0.1. Rejects when the port is taken or `host` is not loopback.
 * Everything it serves and posts stays on this machine.
 */
export async function startGraphSimulator(options: GraphSimulatorOptions): Promise<GraphSimulator> {
  if (options.host !== undefined && options.host !== '127.0.0.1')
    throw new TypeError('startGraphSimulator: host must be 127.0.0.1');
  if (typeof options.botAppId !== 'string' || options.botAppId === '')
    throw new TypeError('startGraphSimulator: botAppId is required');
  const tenantId = options.tenantId ?? DEFAULT_SIM_TENANT_ID;
  const clock = options.clock ?? createSimClock();
  const faults = new FaultInjector();
  const auth = await createSimAuth({
    tenantId,
    botAppId: options.botAppId,
    botClientSecret: options.botClientSecret,
    botCertificatePem: options.botCertificatePem,
  });
  let cachedToken: { token: Promise<string>; renewAt: number } | undefined;
  const notifier = new Notifier({
    clock,
    faults,
    // Like Graph, reuse a notification token for a while (it lives an hour) instead of signing per POST.
    signToken: () => {
      if (cachedToken === undefined || Date.now() > cachedToken.renewAt) {
        const token = auth.signNotificationToken();
        token.catch(() => (cachedToken = undefined));
        cachedToken = { token, renewAt: Date.now() + 10 * 60_000 };
      }
      return cachedToken.token;
    },
    ...options.notificationRetry,
  });
  let origin = '';
  const engine = new GraphSimEngine({
    clock,
    notifier,
    tenantId,
    botAppId: options.botAppId,
    defaultCallbackUri: options.defaultCallbackUri,
    ringingTimeoutMs: options.ringingTimeoutMs ?? 15_000,
    establishDelayMs: options.establishDelayMs ?? 200,
    outboundAnswerDelayMs: options.outboundAnswerDelayMs ?? 1000,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 45 * 60_000,
    defaultTransfer: options.defaultTransfer ?? { outcome: 'accept', afterMs: 1000 },
    origin: () => origin,
    applicationInstanceId: options.applicationInstanceId ?? randomUUID(),
    promptBaseDir: options.promptBaseDir,
    fetchPrompt: options.fetchPrompt,
    speakingRateWpm: options.speakingRateWpm,
  });
  const app = buildSimServer({ engine, auth, faults, notifier, clock, tenantId, origin: () => origin });
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string')
    throw new Error('startGraphSimulator: server has no TCP address');
  origin = `http://127.0.0.1:${addr.port}`;
  const url = origin;
  let stopped = false;
  return {
    url,
    graphBaseUrl: `${url}/v1.0`,
    tenantId,
    authority: `https://127.0.0.1:${addr.port}/${tenantId}`,
    authorityHost: `https://127.0.0.1:${addr.port}`,
    tokenEndpoint: `${url}/${tenantId}/oauth2/v2.0/token`,
    authorityMetadata: JSON.stringify(authorityMetadataFor(url, tenantId)),
    openIdConfigurationUrl: `${url}/v1/.well-known/OpenIdConfiguration`,
    notificationIssuer: 'https://api.botframework.com',
    placeCall: (script) => Promise.resolve().then(() => engine.placeCall(script)),
    expectOutboundCall: (script) => engine.expectOutboundCall(script),
    runSteps: (callId, steps) => Promise.resolve().then(() => engine.runSteps(callId, steps)),
    callerHangsUp: (callId) => engine.callerHangsUp(callId),
    calls: () => engine.calls(),
    call: (id) => engine.call(id),
    requests: (callId) => engine.requests(callId),
    deliveries: (callId) => notifier.deliveries(callId),
    notificationsIdle: (callId) => notifier.idle(callId),
    faults,
    clock,
    async stop() {
      if (stopped) return;
      stopped = true;
      engine.stop();
      notifier.stop();
      await app.close();
    },
  };
}
