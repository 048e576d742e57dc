/**
 * Activity `runCommands`: one interpreter step's Graph requests, in order, each with the command
 * id as Graph `clientContext` (call-playprompt, call-subscribetotone, call-cancelmediaprocessing,
 * call-transfer, call-redirect, call-reject, call-record, call-delete), plus `httpRequest` steps
 * (host allowlist = the flow's + `config.calls.httpAllowedHosts`). AFTER the requests it appends
 * the step's transitions and each request (with its duration) to the timeline and the steps
 * entered to the call record's path, in one batch: the hot path keypress → next Graph request has
 * no store round trip before the request.
 *
 * Never throws for a Graph error: each command gets a result. After a failed command the rest of
 * the batch is skipped (`skipped: true`), except after a failed cancelMediaProcessing (barge-in
 * is best effort; the next prompt must still play). Store failures are logged, not thrown, so a
 * Durable retry never repeats a Graph request.
 *
 * Prompts: Graph v1.0 plays only `mediaPrompt`s (a 16 kHz mono PCM WAV at a URL Graph fetches).
 * `audioUri` is sent as is when absolute, else resolved against `config.prompts.baseUrl` when
 * set. A text-only prompt (no audio yet) is sent as a mediaPrompt with an empty uri and the
 * Graph simulator's `text` extension: the simulator speaks it; Graph itself would fail the
 * operation, which takes the flow's error path (the validator warns about such prompts).
 */
import type { SwitchboardConfig } from '../../shared/config/config.js';
import { AppError } from '../../shared/errors/app-error.js';
import type { Json, PromptCommandItem, Target } from '../../shared/flow/index.js';
import type { GraphCallsClient } from '../../shared/graph/calls-client.js';
import type { InvitationParticipantInfo, MediaPrompt } from '../../shared/graph/types.js';
import type { Store } from '../../shared/store/index.js';
import type {
  CommandResult,
  GraphCommand,
  RunCommandsInput,
  RunCommandsOutput,
} from '../activity-contracts.js';
import { cancelContext } from '../call-events.js';
import { registerActivity, type ActivityFn } from './register.js';
import { appendQuietly, transitionEvents } from './timeline.js';

/** The Graph client methods `runCommands` uses. */
export type CommandsGraph = Pick<
  GraphCallsClient,
  | 'playPrompt'
  | 'subscribeToTone'
  | 'cancelMediaProcessing'
  | 'transfer'
  | 'redirect'
  | 'reject'
  | 'recordResponse'
  | 'hangUp'
>;

/** Dependencies of {@link createRunCommandsActivity}. */
export interface RunCommandsDeps {
  store: Store;
  graph: CommandsGraph;
  config: Pick<SwitchboardConfig, 'bot' | 'calls' | 'prompts'>;
  /** fetch for httpRequest steps (default global fetch). */
  fetch?: typeof fetch;
}

/** Graph `mediaPrompt` for a flow prompt (see the module doc for relative and text-only prompts). */
export function toMediaPrompt(p: PromptCommandItem, baseUrl: string | undefined): MediaPrompt {
  const audio = p.audioUri;
  if (audio === undefined || audio === '')
    return {
      '@odata.type': '#microsoft.graph.mediaPrompt',
      mediaInfo: { uri: '' },
      ...(p.text === undefined ? {} : { text: p.text }),
    };
  let uri = audio;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(audio) && baseUrl !== undefined) uri = new URL(audio, baseUrl).href;
  return { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri } };
}

/** Graph `invitationParticipantInfo` for a transfer/redirect target (call-transfer examples). */
export function toInvitation(t: Target): InvitationParticipantInfo {
  const identity =
    t.kind === 'phone'
      ? { phone: { '@odata.type': '#microsoft.graph.identity', id: t.number } }
      : t.kind === 'user'
        ? { user: { '@odata.type': '#microsoft.graph.identity', id: t.aadId } }
        : { application: { '@odata.type': '#microsoft.graph.identity', id: t.appId } };
  return {
    '@odata.type': '#microsoft.graph.invitationParticipantInfo',
    identity: { '@odata.type': '#microsoft.graph.identitySet', ...identity },
  };
}

/**
 * recordResponse durations in whole seconds within Graph's documented range (call-record:
 * `initialSilenceTimeoutInSeconds`, `maxSilenceTimeoutInSeconds`, `maxRecordDurationInSeconds`:
 * min 1, max 120). A longer `maxDuration` in a flow is cut to 120 s.
 */
export const RECORD_MAX_SECONDS = 120;
const seconds = (ms: number): number => Math.min(RECORD_MAX_SECONDS, Math.max(1, Math.round(ms / 1000)));

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new AppError('HTTP.RESPONSE_TOO_LARGE', `answer larger than ${maxBytes} bytes`);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.byteLength > maxBytes)
    throw new AppError('HTTP.RESPONSE_TOO_LARGE', `answer larger than ${maxBytes} bytes`);
  return bytes.toString('utf8');
}

/** Runs one `httpRequest` command; the answer (or status 0) is a value, a refused host an error. */
async function httpRequest(
  c: Extract<GraphCommand, { type: 'httpRequest' }>,
  allowed: readonly string[],
  maxBytes: number,
  fetchImpl: typeof fetch,
): Promise<{ status: number; body: Json }> {
  let url: URL;
  try {
    url = new URL(c.url);
  } catch {
    throw new AppError('HTTP.BAD_URL', 'the rendered URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AppError('HTTP.BAD_URL', `scheme ${url.protocol} is not allowed`);
  if (!allowed.includes(url.hostname.toLowerCase()))
    throw new AppError('HTTP.HOST_NOT_ALLOWED', `host ${url.hostname} is not on the allowlist`);
  try {
    const res = await fetchImpl(url, {
      method: c.method,
      headers: { ...(c.body === undefined ? {} : { 'content-type': 'application/json' }), ...c.headers },
      ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
      redirect: 'error',
      signal: AbortSignal.timeout(c.timeoutMs),
    });
    const text = await readCapped(res, maxBytes);
    let body: Json = text;
    try {
      body = text === '' ? null : (JSON.parse(text) as Json);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  } catch (err) {
    const code =
      err instanceof AppError
        ? err.code
        : err instanceof Error && err.name === 'TimeoutError'
          ? 'HTTP.TIMEOUT'
          : 'HTTP.NETWORK';
    return { status: 0, body: { error: code } };
  }
}

/** Builds `runCommands`. */
export function createRunCommandsActivity(deps: RunCommandsDeps): ActivityFn<'runCommands'> {
  const { graph, config, store } = deps;
  const fetchImpl = deps.fetch ?? globalThis.fetch;
  const deploymentHosts = config.calls.httpAllowedHosts.map((h) => h.toLowerCase());

  async function send(
    callId: string,
    c: GraphCommand,
    allowed: readonly string[],
  ): Promise<{ status: number; body: Json } | undefined> {
    switch (c.type) {
      case 'playPrompts':
        await graph.playPrompt(callId, {
          prompts: c.prompts.map((p) => toMediaPrompt(p, config.prompts.baseUrl)),
          clientContext: c.id,
        });
        return undefined;
      case 'subscribeTones':
        await graph.subscribeToTone(callId, { clientContext: c.id });
        return undefined;
      case 'cancelMedia':
        await graph.cancelMediaProcessing(callId, { clientContext: cancelContext(c.id) });
        return undefined;
      case 'transfer':
        await graph.transfer(callId, { transferTarget: toInvitation(c.target), clientContext: c.id });
        return undefined;
      case 'redirect':
        await graph.redirect(callId, {
          targets: [toInvitation(c.target)],
          callbackUri: config.bot.callbackUrl,
        });
        return undefined;
      case 'reject':
        await graph.reject(callId, { reason: c.reason });
        return undefined;
      case 'record':
        await graph.recordResponse(callId, {
          prompts: c.prompt === undefined ? [] : [toMediaPrompt(c.prompt, config.prompts.baseUrl)],
          bargeInAllowed: true,
          initialSilenceTimeoutInSeconds: seconds(c.initialSilenceTimeoutMs),
          maxSilenceTimeoutInSeconds: seconds(c.maxSilenceTimeoutMs),
          maxRecordDurationInSeconds: seconds(c.maxDurationMs),
          playBeep: c.playBeep,
          stopTones: c.stopTones,
          clientContext: c.id,
        });
        return undefined;
      case 'hangup':
        await graph.hangUp(callId);
        return undefined;
      case 'httpRequest':
        return httpRequest(c, allowed, config.calls.httpMaxResponseBytes, fetchImpl);
    }
  }

  return async (input: RunCommandsInput, log): Promise<RunCommandsOutput> => {
    const allowed = [...deploymentHosts, ...input.allowedHosts.map((h) => h.toLowerCase())];
    const results: CommandResult[] = [];
    const requests: { at: string; durationMs: number; data: Record<string, unknown> }[] = [];
    let stopped = false;
    for (const c of input.commands) {
      if (stopped) {
        results.push({
          id: c.id,
          type: c.type,
          ok: false,
          code: 'CALL.SKIPPED',
          message: 'an earlier command failed',
          skipped: true,
          durationMs: 0,
        });
        continue;
      }
      const started = Date.now();
      try {
        const http = await send(input.callId, c, allowed);
        const durationMs = Date.now() - started;
        results.push({
          id: c.id,
          type: c.type,
          ok: true,
          durationMs,
          ...(http === undefined ? {} : { http }),
        });
        requests.push({
          at: new Date(started).toISOString(),
          durationMs,
          data: {
            request: c.type,
            id: c.id,
            ok: true,
            ...(http === undefined ? {} : { status: http.status }),
          },
        });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const durationMs = Date.now() - started;
        results.push({
          id: c.id,
          type: c.type,
          ok: false,
          code: err.code,
          message: err.message.slice(0, 300),
          durationMs,
        });
        requests.push({
          at: new Date(started).toISOString(),
          durationMs,
          data: { request: c.type, id: c.id, ok: false, code: err.code },
        });
        if (c.type !== 'cancelMedia') stopped = true;
      }
    }
    // Steps entered, as flow tests count them: reprompts (`…:retry`) stay in the same step.
    const entered = input.transitions.flatMap((t) =>
      t.to === null || t.reason.endsWith(':retry') ? [] : [t.to],
    );
    await Promise.all([
      appendQuietly(
        store,
        [
          ...transitionEvents(input.callId, input.transitions),
          ...requests.map((r) => ({
            callId: input.callId,
            at: r.at,
            kind: 'graphRequest',
            durationMs: r.durationMs,
            data: r.data,
          })),
        ],
        log,
      ),
      entered.length === 0
        ? undefined
        : store.calls
            .mutate(input.callId, (cur) => ({ path: [...cur.path, ...entered] }))
            .catch((err: unknown) => log?.(`call path update failed: ${String(err)}`)),
    ]);
    return { results };
  };
}

registerActivity('runCommands', (s) => createRunCommandsActivity(s));
