/** The flow list: each flow's live and latest version and whether it has a draft; open or create one. */
import { call } from '../api.js';
import { h } from '../dom.js';
import type { FlowSummary } from '../types.js';

export async function flowsView(root: HTMLElement): Promise<void> {
  const { data } = await call<{ items: FlowSummary[] }>('GET', 'flows');
  const rows = data.items.map((f) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: `#/flows/${encodeURIComponent(f.flowId)}` }, f.flowId)),
      h('td', {}, f.liveVersion !== undefined ? `v${f.liveVersion}` : 'not published'),
      h('td', {}, f.latestVersion !== undefined ? `v${f.latestVersion}` : '—'),
      h('td', {}, f.hasDraft ? 'yes' : 'no'),
    ),
  );
  const newId = h('input', {
    id: 'new-flow-id',
    type: 'text',
    pattern: '[a-z0-9][a-z0-9-]{0,63}',
    required: true,
    placeholder: 'e.g. billing-line',
  });
  const form = h(
    'form',
    { class: 'inline' },
    h('label', { for: 'new-flow-id' }, 'New flow id'),
    newId,
    h('button', { type: 'submit' }, 'Create draft'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (newId.checkValidity()) location.hash = `#/flows/${encodeURIComponent(newId.value)}`;
  });
  root.append(
    h('h1', {}, 'Flows'),
    h(
      'table',
      { class: 'grid' },
      h('caption', {}, `${data.items.length} flows`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Flow'),
          h('th', { scope: 'col' }, 'Live'),
          h('th', { scope: 'col' }, 'Latest'),
          h('th', { scope: 'col' }, 'Draft'),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
    form,
  );
}
