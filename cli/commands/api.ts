/**
 * CLI commands that read Switchboard's HTTP API (functions/api/README.md) with a token for the
 * role they need:
 *
 * - `switchboard login --role ROLE [--user NAME]`: prints a token from the local identity provider,
 *   alone on stdout (`curl -H "Authorization: Bearer $(npx switchboard login --role Reader)" …`).
 * - `switchboard numbers [--flow ID] [--json]`: bound numbers.
 * - `switchboard calls list [--from T] [--to T] [--number N] [--flow ID] [--outcome KIND]
 *   [--active] [--limit N] [--continuation C] [--json]`: calls, newest first.
 * - `switchboard calls show CALLID [--history] [--json]`: record, timeline and orchestration.
 *
 * Endpoints: `SWITCHBOARD_URL`, `SWITCHBOARD_IDP_URL`, `SWITCHBOARD_TOKEN` (cli/api-client.ts).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient, apiEndpoints, requestToken } from '../api-client.js';
import type { CallRecord, NumberBinding, Page, TimelineEvent } from '../../shared/store/index.js';

/** Where the commands write (stdout by default; tests pass their own). */
export interface ApiOutput {
  out(text: string): void;
}

const stdout: ApiOutput = { out: (t) => process.stdout.write(`${t}\n`) };

/** The detail `GET /api/calls/{id}` answers. */
export interface CallDetail {
  call: CallRecord;
  timeline: TimelineEvent[];
  orchestration: {
    instanceId: string;
    name: string;
    runtimeStatus: string;
    customStatus?: unknown;
    createdTime?: string;
    lastUpdatedTime?: string;
    history?: Record<string, unknown>[];
  } | null;
}

function limitOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 200)
    throw new InvalidArgumentError('must be a whole number from 1 to 200');
  return n;
}

function timeOption(value: string): string {
  if (!Number.isFinite(Date.parse(value)))
    throw new InvalidArgumentError('must be an ISO time like 2026-11-20T09:00:00Z or a date 2026-11-20');
  return value;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Renders rows as aligned columns (the header row first). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** `numbers` as text lines. */
export function renderNumbers(items: NumberBinding[]): string[] {
  if (items.length === 0) return ['No numbers are bound.'];
  return table([
    ['NUMBER', 'FLOW', 'BOUND BY', 'BOUND AT'],
    ...items.map((b) => [b.number, b.flowId, b.boundBy, b.boundAt]),
  ]);
}

function seconds(fromIso: string | undefined, toIso: string | undefined): string {
  if (fromIso === undefined || toIso === undefined) return '';
  const ms = Date.parse(toIso) - Date.parse(fromIso);
  return Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)}s` : '';
}

/** `calls list` as text lines (a hint to the next page when there is one). */
export function renderCalls(page: Page<CallRecord>): string[] {
  if (page.items.length === 0) return ['No calls match.'];
  const lines = table([
    ['STARTED', 'CALL ID', 'TO', 'FLOW', 'STATUS', 'OUTCOME', 'LENGTH'],
    ...page.items.map((c) => [
      c.startedAt,
      c.callId,
      c.to,
      c.flowId === undefined ? '-' : `${c.flowId}@${c.flowVersion ?? '?'}`,
      c.status,
      c.outcome?.kind ?? '-',
      seconds(c.startedAt, c.endedAt),
    ]),
  ]);
  if (page.continuation !== undefined)
    lines.push('', `More calls: add --continuation '${page.continuation}'`);
  return lines;
}

/** A scalar as text; objects as JSON (so nothing prints as [object Object]). */
function text(v: unknown, dflt: string): string {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function summarizeEvent(e: TimelineEvent): string {
  const d = e.data;
  if (e.kind === 'step') {
    const input = d.input !== undefined ? ' (input)' : '';
    return `${text(d.from, '·')} --${text(d.reason, '?')}--> ${text(d.to, 'end')}${input}`;
  }
  const parts: string[] = [];
  for (const k of [
    'eventKind',
    'request',
    'method',
    'path',
    'id',
    'ok',
    'status',
    'state',
    'changeType',
    'action',
    'by',
    'kind',
    'reason',
    'code',
    'message',
    'bytes',
  ])
    if (d[k] !== undefined && typeof d[k] !== 'object') parts.push(`${k}=${text(d[k], '')}`);
  return parts.join(' ');
}

/** `calls show` as text lines; with `history`, the orchestration's history events too. */
export function renderCallDetail(detail: CallDetail, history: boolean): string[] {
  const c = detail.call;
  const lines = [
    `Call ${c.callId}`,
    `  to ${c.to}   flow ${c.flowId === undefined ? '-' : `${c.flowId}@${c.flowVersion ?? '?'}`}   status ${c.status}`,
    `  started ${c.startedAt}${c.answeredAt ? `   answered ${c.answeredAt}` : ''}${c.endedAt ? `   ended ${c.endedAt}` : ''}`,
    `  outcome ${c.outcome === undefined ? '-' : JSON.stringify(c.outcome)}`,
    `  path ${c.path.length > 0 ? c.path.join(' > ') : '-'}`,
    '',
    `Timeline (${detail.timeline.length} events)`,
  ];
  const t0 = Date.parse(c.startedAt);
  for (const e of detail.timeline) {
    const off = Date.parse(e.at) - t0;
    const offset = Number.isFinite(off) ? `+${(off / 1000).toFixed(3)}s` : e.at;
    const dur = e.durationMs === undefined ? '' : `  [${e.durationMs} ms]`;
    lines.push(`  ${pad(offset, 10)} ${pad(e.kind, 13)} ${summarizeEvent(e)}${dur}`);
  }
  lines.push('');
  const o = detail.orchestration;
  if (o === null) lines.push('Orchestration: none in the task hub');
  else {
    lines.push(
      `Orchestration ${o.name} (${o.instanceId}): ${o.runtimeStatus}${o.customStatus === undefined ? '' : `   custom status ${JSON.stringify(o.customStatus)}`}`,
    );
    if (history) {
      lines.push(`History (${o.history?.length ?? 0} events)`);
      for (const h of o.history ?? []) {
        const name =
          typeof h.Name === 'string'
            ? ` ${h.Name}`
            : typeof h.FunctionName === 'string'
              ? ` ${h.FunctionName}`
              : '';
        lines.push(`  ${text(h.Timestamp, '')}  ${text(h.EventType, '?')}${name}`);
      }
    }
  }
  return lines;
}

/** Registers `login`, `numbers` and `calls` on the program. */
export function registerApiCommands(program: Command, output: ApiOutput = stdout): void {
  program
    .command('login')
    .description(
      'print an access token for the API from the local identity provider (the token alone on stdout)',
    )
    .requiredOption('--role <role>', 'Reader, FlowEditor, FlowPublisher or Operator')
    .option('--user <name>', 'user name (preferred_username) to put in the token')
    .action(async (opts: { role: string; user?: string }) => {
      const { idpUrl } = apiEndpoints();
      output.out(await requestToken(idpUrl, opts.role, opts.user));
    });

  program
    .command('numbers')
    .description('list bound numbers and their flows (GET /api/numbers)')
    .option('--flow <flowId>', 'only the numbers of this flow')
    .option('--json', 'print the JSON answer')
    .action(async (opts: { flow?: string; json?: boolean }) => {
      const client = new ApiClient(apiEndpoints(), 'Reader');
      const res = await client.get<{ items: NumberBinding[] }>('numbers', { flowId: opts.flow });
      if (opts.json) output.out(JSON.stringify(res, null, 2));
      else for (const l of renderNumbers(res.items)) output.out(l);
    });

  const calls = program.command('calls').description('read calls through the ops API');
  calls
    .command('list')
    .description('list calls, newest first (GET /api/calls)')
    .option('--from <time>', 'started at or after (ISO time)', timeOption)
    .option('--to <time>', 'started before (ISO time)', timeOption)
    .option('--number <number>', 'from or to this number')
    .option('--flow <flowId>', 'calls of this flow')
    .option('--outcome <kind>', 'outcome kind (completed, transferred, hungUpByCaller, terminated…)')
    .option('--active', 'only calls still in progress')
    .option('--limit <n>', 'page size, 1-200 (default 50)', limitOption)
    .option('--continuation <token>', 'the next page, as a previous listing printed')
    .option('--json', 'print the JSON answer')
    .action(
      async (opts: {
        from?: string;
        to?: string;
        number?: string;
        flow?: string;
        outcome?: string;
        active?: boolean;
        limit?: number;
        continuation?: string;
        json?: boolean;
      }) => {
        const client = new ApiClient(apiEndpoints(), 'Reader');
        const page = await client.get<Page<CallRecord>>('calls', {
          from: opts.from,
          to: opts.to,
          number: opts.number,
          flowId: opts.flow,
          outcome: opts.outcome,
          active: opts.active ? true : undefined,
          limit: opts.limit,
          continuation: opts.continuation,
        });
        if (opts.json) output.out(JSON.stringify(page, null, 2));
        else for (const l of renderCalls(page)) output.out(l);
      },
    );
  calls
    .command('show')
    .description("a call's record, timeline and orchestration (GET /api/calls/{callId})")
    .argument('<callId>', 'the Graph call id')
    .option('--history', "include the orchestration's history events")
    .option('--json', 'print the JSON answer')
    .action(async (callId: string, opts: { history?: boolean; json?: boolean }) => {
      const client = new ApiClient(apiEndpoints(), 'Reader');
      const detail = await client.get<CallDetail>(`calls/${encodeURIComponent(callId)}`, {
        history: opts.history ? 'true' : 'false',
      });
      if (opts.json) output.out(JSON.stringify(detail, null, 2));
      else for (const l of renderCallDetail(detail, opts.history === true)) output.out(l);
    });
}
