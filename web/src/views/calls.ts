/**
 * The ops console's calls screen: active calls (refreshed every 2 s) and a searchable table with
 * the API's filters (time range, number, flow, outcome, still active) and continuation paging.
 */
import { call, describe } from '../api.js';
import { fmtMs, fmtTime, h, replace } from '../dom.js';
import type { CallRecord } from '../types.js';

function row(c: CallRecord): HTMLTableRowElement {
  const end = c.endedAt ? Date.parse(c.endedAt) : Date.now();
  return h(
    'tr',
    { 'data-call': c.callId },
    h('td', {}, fmtTime(c.startedAt)),
    h(
      'th',
      { scope: 'row' },
      h('a', { href: `#/calls/${encodeURIComponent(c.callId)}` }, c.callId.slice(0, 13)),
    ),
    h('td', {}, c.from || 'withheld'),
    h('td', {}, c.to),
    h('td', {}, c.flowId ? `${c.flowId}${c.flowVersion !== undefined ? ` v${c.flowVersion}` : ''}` : '—'),
    h('td', {}, c.status),
    h('td', {}, c.outcome?.kind ?? '—'),
    h('td', {}, fmtMs(end - Date.parse(c.startedAt))),
  );
}

function table(
  caption: string,
  id: string,
): { el: HTMLTableElement; body: HTMLTableSectionElement; cap: HTMLTableCaptionElement } {
  const body = h('tbody', {});
  const cap = h('caption', {}, caption);
  const cols = ['Started', 'Call', 'From', 'To', 'Flow', 'Status', 'Outcome', 'Duration'];
  const el = h(
    'table',
    { class: 'grid', id },
    cap,
    h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
  return { el, body, cap };
}

const toIso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

export function callsView(root: HTMLElement): () => void {
  let timer: number | undefined;
  let continuation: string | undefined;
  const active = table('Active calls', 'active-calls');
  const results = table('Calls', 'calls-table');
  const more = h('button', { type: 'button', id: 'calls-more', hidden: true }, 'Load more');
  const error = h('p', { class: 'error', role: 'alert' });

  const field = (id: string, label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement =>
    h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const from = h('input', { id: 'f-from', type: 'datetime-local' });
  const to = h('input', { id: 'f-to', type: 'datetime-local' });
  const number = h('input', { id: 'f-number', type: 'text', placeholder: '+14255550100' });
  const flowId = h('input', { id: 'f-flow', type: 'text' });
  const outcome = h(
    'select',
    { id: 'f-outcome' },
    ...['', 'completed', 'transferred', 'voicemail', 'callerHungUp', 'rejected', 'failed', 'terminated'].map(
      (o) => h('option', { value: o }, o || 'any'),
    ),
  );
  const activeOnly = h('input', { id: 'f-active', type: 'checkbox' });
  const form = h(
    'form',
    { class: 'filters card', 'aria-label': 'Call filters' },
    field('f-from', 'Started from', from),
    field('f-to', 'Started before', to),
    field('f-number', 'Number', number),
    field('f-flow', 'Flow', flowId),
    field('f-outcome', 'Outcome', outcome),
    h('div', { class: 'check' }, activeOnly, h('label', { for: 'f-active' }, 'Active only')),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );

  const search = async (append: boolean): Promise<void> => {
    try {
      const { data } = await call<{ items: CallRecord[]; continuation?: string }>('GET', 'calls', {
        query: {
          from: toIso(from.value),
          to: toIso(to.value),
          number: number.value.trim(),
          flowId: flowId.value.trim(),
          outcome: outcome.value,
          active: activeOnly.checked ? 'true' : undefined,
          limit: '25',
          continuation: append ? continuation : undefined,
        },
      });
      continuation = data.continuation;
      if (!append) replace(results.body);
      results.body.append(...data.items.map(row));
      results.cap.textContent = `Calls (${results.body.rows.length}${continuation ? '+' : ''})`;
      more.hidden = !continuation;
      error.textContent = '';
    } catch (err) {
      error.textContent = describe(err);
    }
  };
  const refreshActive = async (): Promise<void> => {
    try {
      const { data } = await call<{ items: CallRecord[] }>('GET', 'calls', {
        query: { active: 'true', limit: '50' },
      });
      replace(
        active.body,
        ...(data.items.length
          ? data.items.map(row)
          : [h('tr', {}, h('td', { colspan: 8 }, 'No active calls.'))]),
      );
      active.cap.textContent = `Active calls (${data.items.length}), updated ${fmtTime(new Date().toISOString())}`;
    } catch (err) {
      error.textContent = describe(err);
    }
    timer = window.setTimeout(() => void refreshActive(), 2000);
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void search(false);
  });
  more.addEventListener('click', () => void search(true));
  root.append(
    h('h1', {}, 'Calls'),
    error,
    h('section', { 'aria-live': 'polite', class: 'card' }, active.el),
    form,
    h('section', { class: 'card' }, results.el, more),
  );
  void refreshActive();
  void search(false);
  return () => window.clearTimeout(timer);
}
