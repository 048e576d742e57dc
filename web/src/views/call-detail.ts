/**
 * One call for ops: its record, its timeline as a time-ordered Gantt-style chart (steps last until
 * the next step; Graph requests show their measured durations; notifications are instants), the
 * same events as a table, the orchestration history, and terminate for an active call.
 */
import { call, describe } from '../api.js';
import { fmtMs, fmtTime, h, replace, s } from '../dom.js';
import { announce } from '../status.js';
import { timelineBars, type Bar } from '../timeline.js';
import type { CallDetail } from '../types.js';

/** Durable history event type names by `EventType` number (durable-functions HistoryEventType). */
const EVENT_TYPES = [
  'ExecutionStarted',
  'ExecutionCompleted',
  'ExecutionFailed',
  'ExecutionTerminated',
  'TaskScheduled',
  'TaskCompleted',
  'TaskFailed',
  'SubOrchestrationInstanceCreated',
  'SubOrchestrationInstanceCompleted',
  'SubOrchestrationInstanceFailed',
  'TimerCreated',
  'TimerFired',
  'OrchestratorStarted',
  'OrchestratorCompleted',
  'EventSent',
  'EventRaised',
  'ContinueAsNew',
  'GenericEvent',
  'HistoryState',
  'ExecutionSuspended',
  'ExecutionResumed',
];

function gantt(bars: Bar[], totalMs: number): SVGSVGElement {
  const labelW = 300;
  const chartW = 620;
  const rowH = 22;
  const height = 30 + bars.length * rowH;
  const x = (ms: number): number => labelW + (ms / totalMs) * chartW;
  const svg = s('svg', {
    viewBox: `0 0 ${labelW + chartW + 70} ${height}`,
    width: labelW + chartW + 70,
    height,
    role: 'img',
    'aria-labelledby': 'gantt-title',
    class: 'gantt',
    id: 'gantt',
  });
  svg.append(
    s('title', { id: 'gantt-title' }, `Call timeline: ${bars.length} events over ${fmtMs(totalMs)}`),
  );
  for (let i = 0; i <= 4; i++) {
    const ms = (totalMs * i) / 4;
    svg.append(
      s('line', { x1: x(ms), x2: x(ms), y1: 16, y2: height, class: 'tick' }),
      s('text', { x: x(ms), y: 12, 'text-anchor': 'middle', class: 'tick-label' }, fmtMs(ms)),
    );
  }
  bars.forEach((b, i) => {
    const y = 24 + i * rowH;
    const w = Math.max(2, (b.durationMs / totalMs) * chartW);
    svg.append(
      s(
        'g',
        { class: `bar kind-${b.kind}` },
        s('title', {}, `${b.label}: at ${fmtMs(b.startMs)}${b.durationMs ? `, ${fmtMs(b.durationMs)}` : ''}`),
        s(
          'text',
          { x: 4, y: y + 13, class: 'bar-label' },
          b.label.length > 42 ? `${b.label.slice(0, 41)}…` : b.label,
        ),
        b.durationMs > 0
          ? s('rect', { x: x(b.startMs), y: y + 3, width: w, height: rowH - 8, rx: 2 })
          : s('circle', { cx: x(b.startMs), cy: y + 10, r: 4 }),
        b.durationMs > 0
          ? s('text', { x: x(b.startMs) + w + 4, y: y + 13, class: 'bar-dur' }, fmtMs(b.durationMs))
          : null,
      ),
    );
  });
  return svg;
}

export async function callDetailView(root: HTMLElement, [callId = '']: string[]): Promise<() => void> {
  let timer: number | undefined;
  const body = h('div', {});
  root.append(
    h('p', {}, h('a', { href: '#/calls' }, '← All calls')),
    h('h1', {}, 'Call ', h('code', {}, callId)),
    body,
  );
  const load = async (): Promise<void> => {
    const { data } = await call<CallDetail>('GET', `calls/${encodeURIComponent(callId)}`);
    const c = data.call;
    const { bars, totalMs } = timelineBars(data.timeline, c.startedAt, c.endedAt);
    const terminate = h('button', { type: 'button', class: 'danger', id: 'terminate' }, 'Terminate call');
    terminate.addEventListener('click', () => {
      if (!window.confirm('Hang up this call now? The caller is disconnected.')) return;
      void call('POST', `calls/${encodeURIComponent(callId)}/terminate`, {
        body: { reason: 'terminated from the ops console' },
      })
        .then(() => {
          announce('Call terminated.');
          return load();
        })
        .catch((err: unknown) => announce(describe(err), 'error'));
    });
    const dl = (pairs: [string, string][]): HTMLElement =>
      h('dl', { class: 'facts' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const history = data.orchestration?.history ?? [];
    replace(
      body,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rec-h' },
        h('h2', { id: 'rec-h' }, 'Record'),
        dl([
          ['Status', c.status],
          ['From', c.from || 'withheld'],
          ['To', c.to],
          ['Flow', c.flowId ? `${c.flowId} v${c.flowVersion ?? '?'}` : '—'],
          ['Started', fmtTime(c.startedAt)],
          ['Answered', fmtTime(c.answeredAt)],
          ['Ended', fmtTime(c.endedAt)],
          [
            'Outcome',
            c.outcome
              ? `${c.outcome.kind}${c.outcome.target ? ` to ${c.outcome.target}` : ''}${c.outcome.reason ? ` (${c.outcome.reason})` : ''}`
              : '—',
          ],
          ['Path', c.path.join(' → ') || '—'],
        ]),
        c.status === 'active' ? terminate : null,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'tl-h', id: 'timeline' },
        h('h2', { id: 'tl-h' }, `Timeline (${data.timeline.length} events)`),
        h('div', { class: 'scroll' }, gantt(bars, totalMs)),
      ),
      h(
        'details',
        { class: 'card' },
        h('summary', {}, 'Timeline as a table'),
        h(
          'table',
          { class: 'grid', id: 'timeline-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'At'),
              h('th', { scope: 'col' }, 'Event'),
              h('th', { scope: 'col' }, 'Duration'),
            ),
          ),
          h(
            'tbody',
            {},
            ...bars.map((b) =>
              h(
                'tr',
                {},
                h('td', {}, `+${fmtMs(b.startMs)}`),
                h('th', { scope: 'row' }, b.label),
                h('td', {}, b.durationMs ? fmtMs(b.durationMs) : '—'),
              ),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'orch-h', id: 'orchestration' },
        h('h2', { id: 'orch-h' }, 'Orchestration'),
        data.orchestration
          ? dl([
              ['Instance', data.orchestration.instanceId],
              ['Runtime status', data.orchestration.runtimeStatus],
              [
                'Custom status',
                data.orchestration.customStatus === undefined
                  ? '—'
                  : JSON.stringify(data.orchestration.customStatus),
              ],
            ])
          : h('p', {}, 'The task hub does not know this instance.'),
        history.length
          ? h(
              'table',
              { class: 'grid', id: 'history' },
              h('caption', {}, `History (${history.length} events)`),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, 'Time'),
                  h('th', { scope: 'col' }, 'Event'),
                  h('th', { scope: 'col' }, 'Name'),
                ),
              ),
              h(
                'tbody',
                {},
                ...history.map((ev) => {
                  const type =
                    typeof ev.EventType === 'number'
                      ? (EVENT_TYPES[ev.EventType] ?? String(ev.EventType))
                      : typeof ev.EventType === 'string'
                        ? ev.EventType
                        : '?';
                  return h(
                    'tr',
                    {},
                    h('td', {}, fmtTime(typeof ev.Timestamp === 'string' ? ev.Timestamp : undefined)),
                    h('th', { scope: 'row' }, type),
                    h('td', {}, typeof ev.Name === 'string' ? ev.Name : ''),
                  );
                }),
              ),
            )
          : null,
      ),
    );
    window.clearTimeout(timer);
    if (c.status === 'active') timer = window.setTimeout(() => void load().catch(() => undefined), 2000);
  };
  await load();
  return () => window.clearTimeout(timer);
}
