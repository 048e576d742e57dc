/**
 * Flow metrics for the ops API, computed from call records and their `step` timeline events.
 * Pure: the caller reads the records and timelines; this only counts.
 *
 * Per flow and version: calls, active, answered, outcomes by kind, abandonment (calls that ended
 * with the caller hanging up, as a share of ended calls), time to answer (`answeredAt -
 * startedAt`, ms), how many distinct calls entered each step (from `path` and `step` events) and
 * took each branch (`from --reason--> to`, the label format of flow-test coverage).
 */
import type { CallRecord, TimelineEvent } from '../store/index.js';

/**
 * Outcome kinds that count as abandonment: the caller hung up before the flow reached an end
 * (`hungUpByCaller` in shared/flow/model.ts `Outcome`; `callerHungUp` as the store docs name it).
 */
export const ABANDONED_OUTCOMES: readonly string[] = ['hungUpByCaller', 'callerHungUp'];

/** Metrics of one flow version. */
export interface FlowMetrics {
  flowId: string;
  /** null: calls that did not pin a version. */
  version: number | null;
  calls: number;
  active: number;
  answered: number;
  outcomes: Record<string, number>;
  abandoned: number;
  /** `abandoned / ended calls`, 0..1 (0 with no ended call). */
  abandonmentRate: number;
  /** Time to answer in milliseconds over answered calls; null when none was answered. */
  timeToAnswerMs: { count: number; avg: number; p50: number; p90: number; max: number } | null;
  /** Step name → distinct calls that entered it. */
  steps: Record<string, number>;
  /** `from --reason--> to` → distinct calls that took it. */
  branches: Record<string, number>;
}

/**
 * Reads a `step` timeline event. Expected `data`: the interpreter's transition `{ from, to,
 * reason }` (shared/flow/model.ts `Transition`); `step` is accepted for the step entered.
 */
export function stepTransition(
  event: Pick<TimelineEvent, 'kind' | 'data'>,
): { from: string | null; to: string | null; reason: string | null } | undefined {
  if (event.kind !== 'step') return undefined;
  const s = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  const to = s(event.data.to) ?? s(event.data.step);
  return { from: s(event.data.from), to, reason: s(event.data.reason) };
}

/**
 * Computes metrics per (flowId, version) over `calls` (calls without `flowId` are skipped);
 * `timelines` maps a call id to its events (missing = none). Sorted by flow id, then version.
 */
export function computeFlowMetrics(
  calls: readonly CallRecord[],
  timelines: ReadonlyMap<string, readonly TimelineEvent[]> = new Map(),
): FlowMetrics[] {
  const groups = new Map<string, { m: FlowMetrics; answerMs: number[]; ended: number }>();
  for (const call of calls) {
    if (call.flowId === undefined) continue;
    const version = call.flowVersion ?? null;
    const key = `${call.flowId}\u0000${version ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        m: {
          flowId: call.flowId,
          version,
          calls: 0,
          active: 0,
          answered: 0,
          outcomes: {},
          abandoned: 0,
          abandonmentRate: 0,
          timeToAnswerMs: null,
          steps: {},
          branches: {},
        },
        answerMs: [],
        ended: 0,
      };
      groups.set(key, g);
    }
    const m = g.m;
    m.calls++;
    if (call.status === 'active') m.active++;
    else g.ended++;
    if (call.answeredAt !== undefined) {
      m.answered++;
      const ms = Date.parse(call.answeredAt) - Date.parse(call.startedAt);
      if (Number.isFinite(ms) && ms >= 0) g.answerMs.push(ms);
    }
    if (call.outcome?.kind !== undefined) {
      m.outcomes[call.outcome.kind] = (m.outcomes[call.outcome.kind] ?? 0) + 1;
      if (ABANDONED_OUTCOMES.includes(call.outcome.kind)) m.abandoned++;
    }
    const steps = new Set(call.path);
    const branches = new Set<string>();
    for (const e of timelines.get(call.callId) ?? []) {
      const t = stepTransition(e);
      if (!t) continue;
      if (t.to !== null) steps.add(t.to);
      if (t.from !== null && t.to !== null && t.reason !== null)
        branches.add(`${t.from} --${t.reason}--> ${t.to}`);
    }
    for (const s of steps) m.steps[s] = (m.steps[s] ?? 0) + 1;
    for (const b of branches) m.branches[b] = (m.branches[b] ?? 0) + 1;
  }
  const out: FlowMetrics[] = [];
  for (const g of groups.values()) {
    g.m.abandonmentRate = g.ended === 0 ? 0 : g.m.abandoned / g.ended;
    g.m.timeToAnswerMs = summarize(g.answerMs);
    out.push(g.m);
  }
  return out.sort((a, b) => a.flowId.localeCompare(b.flowId) || (a.version ?? -1) - (b.version ?? -1));
}

/** count/avg/p50/p90/max (nearest-rank percentiles) of `values`, or null when empty. */
export function summarize(
  values: readonly number[],
): { count: number; avg: number; p50: number; p90: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    avg: Math.round(sum / sorted.length),
    p50: rank(0.5),
    p90: rank(0.9),
    max: sorted[sorted.length - 1] ?? 0,
  };
}
