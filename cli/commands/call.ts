/**
 * `switchboard call NUMBER --press KEYS`: places a simulated call through a running local stack
 * and reports it as a caller and an operator would read it.
 *
 * It talks to two loopback services: the Graph simulator's control API (`POST /sim/calls` with a
 * caller script, `GET /sim/calls/{id}` for the transcript and outcome, `.../requests` for the
 * bot's Graph requests) and the Functions host's Durable HTTP API
 * (`GET /runtime/webhooks/durabletask/instances/{callId}?showHistory=true&showHistoryOutput=true`,
 * open without a key locally): the orchestration's output is the call's outcome. The steps taken
 * are the call record's `path`, read from the ops API (`GET /api/calls/{callId}`) with a Reader
 * token from the local identity provider (`POST /token`); when that is not available, the custom
 * status's current step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors/app-error.js';
import { renderOutcome, type Flow, type Outcome } from '../../shared/flow/index.js';
import { loadFlowFile, loadNumbersFile, expandFlowPaths } from '../../shared/flow/node/load.js';
import type { CallerStep, RecordedRequest, TranscriptEntry } from '../../local/graph-sim/index.js';
import { callerSteps } from './call-script.js';

/** Inputs of {@link placeCall}. */
export interface PlaceCallOptions {
  /** Dialled number, E.164. */
  number: string;
  press?: string;
  /** Caller number, E.164 (default `+14255550199`). */
  from?: string;
  /** Give up after this long, real ms (default 60 000). */
  timeoutMs?: number;
  /** Functions host, e.g. `http://127.0.0.1:7071`. */
  hostUrl: string;
  /** Graph simulator, e.g. `http://127.0.0.1:7072`. */
  simUrl: string;
  /** Flows folder used to time `w` by the flow's prompts (absent = plain pauses). */
  flowsDir?: string;
  /** Local identity provider (for a Reader token to read the call record), e.g. `http://127.0.0.1:7073`. */
  idpUrl?: string;
}

/** A placed call, as reported. Times in ms. */
export interface CallReport {
  callId: string;
  from: string;
  number: string;
  flowId: string | undefined;
  flowVersion: number | undefined;
  /** True when the simulated call terminated before the timeout. */
  ended: boolean;
  /** Rendered outcome (`transferred to +1…`, `voicemail`, …), from the orchestration's output, else the simulator's. */
  outcome: string;
  /** The orchestration's outcome (`output.outcome`, an interpreter `Outcome`), when it completed. */
  flowOutcome: Outcome | undefined;
  steps: string[];
  /** Where `steps` came from. */
  stepsSource: 'call-record' | 'custom-status' | 'none';
  prompts: { text: string | undefined; uri: string; interrupted: boolean }[];
  keys: string[];
  transfer: { target: string; outcome: string } | undefined;
  voicemail: { durationMs: number; endReason: string } | undefined;
  graphRequests: { method: string; path: string; status: number | undefined; atMs: number }[];
  /** Simulated call length (placed → terminated). */
  durationMs: number;
  /** How the script timed `w`: by the flow's prompts, or as plain pauses. */
  timing: 'flow-prompts' | 'pauses';
}

interface SimCallJson {
  id: string;
  state: string;
  transcript: TranscriptEntry[];
  outcome: { reason: string; at: number } | null;
}

interface DurableStatus {
  runtimeStatus: string;
  output: unknown;
  customStatus: { step?: string | null; flowId?: string; flowVersion?: number } | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new AppError(
      'CALL.UNREACHABLE',
      `cannot reach ${new URL(url).origin} (${(err as Error).message}); is \`npm start\` running?`,
    );
  }
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

/** Finds the flow bound to `number` in `flowsDir/numbers.yaml`, if the files are there and valid. */
export function localFlowFor(flowsDir: string, number: string): Flow | undefined {
  const numbersFile = path.join(flowsDir, 'numbers.yaml');
  if (!fs.existsSync(numbersFile)) return undefined;
  const flowId = loadNumbersFile(numbersFile).numbers?.[number];
  if (flowId === undefined) return undefined;
  for (const file of expandFlowPaths([flowsDir])) {
    const flow = loadFlowFile(file).flow;
    if (flow?.id === flowId) return flow;
  }
  return undefined;
}

/**
 * The call record's path through the ops API, with a Reader token from the local identity
 * provider; undefined when either is unavailable (not running, no record yet).
 */
export async function stepsFromCallRecord(
  hostUrl: string,
  idpUrl: string,
  callId: string,
): Promise<string[] | undefined> {
  try {
    const tok = await fetch(`${idpUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'Reader', user: { preferred_username: 'switchboard-cli' } }),
    });
    if (!tok.ok) return undefined;
    const { access_token: token } = (await tok.json()) as { access_token?: string };
    const res = await fetch(`${hostUrl}/api/calls/${encodeURIComponent(callId)}?history=false`, {
      headers: { authorization: `Bearer ${token ?? ''}` },
    });
    if (!res.ok) return undefined;
    const detail = (await res.json()) as { call?: { path?: unknown } };
    const path = detail.call?.path;
    return Array.isArray(path) ? path.map(String) : undefined;
  } catch {
    return undefined;
  }
}

function isOutcome(v: unknown): v is Outcome {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

/**
 * Places the call, waits for it to end (or `timeoutMs`), and gathers the report. Errors
 * (`AppError`): `CALL.BAD_NUMBER`, `CALL.UNREACHABLE` (host or simulator not running),
 * `CALL.SIM_REFUSED` (the simulator rejected the script), `FLOW.BAD_PRESS`.
 */
export async function placeCall(o: PlaceCallOptions): Promise<CallReport> {
  if (!/^\+[1-9][0-9]{1,14}$/.test(o.number))
    throw new AppError('CALL.BAD_NUMBER', `"${o.number}" is not an E.164 number like +14255550100`);
  const from = o.from ?? '+14255550199';
  if (!/^\+[1-9][0-9]{1,14}$/.test(from))
    throw new AppError('CALL.BAD_NUMBER', `--from "${from}" is not an E.164 number like +14255550199`);
  const timeoutMs = o.timeoutMs ?? 60_000;
  const flow = o.flowsDir === undefined ? undefined : localFlowFor(o.flowsDir, o.number);
  const steps: CallerStep[] = callerSteps(
    { press: o.press ?? '', callerNumber: from, dialledNumber: o.number, at: new Date().toISOString() },
    flow,
  );
  const health = await getJson<{ status?: string }>(`${o.hostUrl}/api/health`);
  if (health.status !== 200)
    throw new AppError('CALL.UNREACHABLE', `${o.hostUrl}/api/health answered ${health.status}`);
  const placed = await getJson<{ id?: string; error?: { message?: string } }>(`${o.simUrl}/sim/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, to: o.number, steps }),
  });
  const callId = placed.body.id;
  if (placed.status !== 201 || callId === undefined)
    throw new AppError(
      'CALL.SIM_REFUSED',
      `the simulator refused the call: ${placed.body.error?.message ?? `HTTP ${placed.status}`}`,
    );

  const deadline = Date.now() + timeoutMs;
  let call: SimCallJson | undefined;
  while (Date.now() < deadline) {
    call = (await getJson<SimCallJson>(`${o.simUrl}/sim/calls/${callId}`)).body;
    if (call.outcome !== null) break;
    await sleep(100);
  }
  const ended = call?.outcome !== null && call?.outcome !== undefined;

  // The orchestration finishes its bookkeeping just after the call ends: give it a moment.
  const statusUrl = `${o.hostUrl}/runtime/webhooks/durabletask/instances/${encodeURIComponent(callId)}`;
  let status: DurableStatus | undefined;
  const statusDeadline = Math.min(deadline, Date.now() + 10_000);
  do {
    const r = await getJson<DurableStatus>(statusUrl);
    status = r.status === 200 || r.status === 202 ? r.body : undefined;
    if (status?.runtimeStatus === 'Completed' || status?.runtimeStatus === 'Failed' || !ended) break;
    await sleep(100);
  } while (Date.now() < statusDeadline);

  const requests = (await getJson<{ value: RecordedRequest[] }>(`${o.simUrl}/sim/calls/${callId}/requests`))
    .body.value;
  const transcript = call?.transcript ?? [];
  const t0 = requests[0]?.time ?? 0;
  // The `call` orchestration's output is `{ outcome }` (CallOrchestrationOutput); accept a bare outcome too.
  const output = status?.output as { outcome?: unknown } | undefined;
  const flowOutcome = isOutcome(output?.outcome) ? output.outcome : isOutcome(output) ? output : undefined;
  const recorded =
    o.idpUrl === undefined ? undefined : await stepsFromCallRecord(o.hostUrl, o.idpUrl, callId);
  let steps2 = recorded ?? [];
  let stepsSource: CallReport['stepsSource'] = 'call-record';
  if (recorded === undefined) {
    const step = status?.customStatus?.step;
    steps2 = typeof step === 'string' ? [step] : [];
    stepsSource = steps2.length > 0 ? 'custom-status' : 'none';
  }
  const finished = new Map<number, boolean>();
  for (const e of transcript) if (e.type === 'promptFinished') finished.set(e.n, e.interrupted);
  const transferEntry = transcript.findLast((e) => e.type === 'transfer');
  const recording = transcript.findLast((e) => e.type === 'recording');
  return {
    callId,
    from,
    number: o.number,
    flowId: status?.customStatus?.flowId ?? flow?.id,
    flowVersion: status?.customStatus?.flowVersion,
    ended,
    outcome: flowOutcome
      ? renderOutcome(flowOutcome)
      : call?.outcome
        ? `call ended (${call.outcome.reason})`
        : 'did not end in time',
    flowOutcome,
    steps: steps2,
    stepsSource,
    prompts: transcript.flatMap((e) =>
      e.type === 'promptStarted'
        ? [{ text: e.text, uri: e.uri, interrupted: finished.get(e.n) ?? false }]
        : [],
    ),
    keys: transcript.flatMap((e) => (e.type === 'keyPressed' ? [e.key] : [])),
    transfer:
      transferEntry?.type === 'transfer'
        ? { target: transferEntry.target, outcome: transferEntry.outcome }
        : undefined,
    voicemail:
      recording?.type === 'recording'
        ? { durationMs: recording.durationMs, endReason: recording.endReason }
        : undefined,
    graphRequests: requests.map((r) => ({
      method: r.method,
      path: r.path.replace(/^\/v1\.0\/communications\/calls\/[^/]+/, '…'),
      status: r.status,
      atMs: Math.round(r.time - t0),
    })),
    durationMs: Math.round(call?.outcome?.at ?? 0),
    timing: flow === undefined ? 'pauses' : 'flow-prompts',
  };
}

/** The report as a caller and an operator would read it (plain text, several lines). */
export function renderCallReport(r: CallReport): string {
  const lines: string[] = [];
  lines.push(
    `Call ${r.callId}: ${r.from} -> ${r.number}${r.flowId ? ` (flow ${r.flowId}${r.flowVersion ? ` v${r.flowVersion}` : ''})` : ''}`,
  );
  lines.push('Caller heard:');
  if (r.prompts.length === 0) lines.push('  (nothing)');
  for (const p of r.prompts) lines.push(`  - ${p.text ?? p.uri}${p.interrupted ? ' [interrupted]' : ''}`);
  lines.push(`Keys pressed: ${r.keys.length > 0 ? r.keys.join(' ') : '(none)'}`);
  lines.push(
    `Steps taken: ${r.steps.length > 0 ? r.steps.join(' > ') : '(unknown)'}  [from ${r.stepsSource}]`,
  );
  if (r.transfer) lines.push(`Transfer: ${r.transfer.target} (${r.transfer.outcome})`);
  if (r.voicemail)
    lines.push(`Voicemail: ${(r.voicemail.durationMs / 1000).toFixed(1)} s (${r.voicemail.endReason})`);
  lines.push(`Graph requests (${r.graphRequests.length}):`);
  for (const g of r.graphRequests) lines.push(`  +${g.atMs} ms ${g.method} ${g.path} -> ${g.status ?? '?'}`);
  lines.push(`Duration: ${(r.durationMs / 1000).toFixed(1)} s (simulated)`);
  lines.push(`Outcome: ${r.outcome}${r.ended ? '' : ' (the call had not ended when the timeout expired)'}`);
  return lines.join('\n');
}

/** The `--json` shape. */
export function callReportJson(r: CallReport): Record<string, unknown> {
  return {
    callId: r.callId,
    outcome: r.outcome,
    steps: r.steps,
    stepsSource: r.stepsSource,
    prompts: r.prompts.map((p) => p.text ?? p.uri),
    keys: r.keys,
    transfer: r.transfer ?? null,
    voicemail: r.voicemail ?? null,
    graphRequests: r.graphRequests,
    durationMs: r.durationMs,
    ended: r.ended,
    flowId: r.flowId ?? null,
    flowVersion: r.flowVersion ?? null,
  };
}

/** Exit code of `switchboard call`: 0 when the call ended and the flow did not fail, else 1. */
export function callExitCode(r: CallReport): number {
  return r.ended && r.flowOutcome?.kind !== 'failed' ? 0 : 1;
}
