/**
 * The flow editor: YAML with schema completion and live validation markers, the flow graph with
 * traffic beside it, flow tests, publish with a diff against the live version, version history
 * with rollback, and a test call with a keypad.
 */
import type { EditorView } from '@codemirror/view';

import { ApiError, call, describe } from '../api.js';
import { fmtTime, h, replace } from '../dom.js';
import { createEditor, FLOW_SCHEMA, goTo, parseLenient } from '../editor.js';
import { renderGraph } from '../flow-graph.js';
import { layoutGraph, type Traffic } from '../graph-layout.js';
import { getIn, graphEdges } from '../schema-nav.js';
import { announce } from '../status.js';
import type {
  FlowDetail,
  FlowMetrics,
  FlowDraft,
  FlowVersion,
  Problem,
  TestReport,
  VersionSummary,
} from '../types.js';
import { testCallPanel } from './test-call.js';

const str = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);

function newFlowTemplate(flowId: string): string {
  return [
    '# yaml-language-server: $schema=../schemas/flow.schema.json',
    `id: ${flowId}`,
    'version: 1',
    'description: A new flow.',
    'timezone: Europe/London',
    'entry: greeting',
    'prompts:',
    '  welcome:',
    '    text: Hello, thank you for calling.',
    'steps:',
    '  greeting:',
    '    type: hangup',
    '    prompt: welcome',
    '',
  ].join('\n');
}

/** Renders a unified diff as a list of lines marked added/removed (text only). */
export function renderDiff(diff: string): HTMLElement {
  if (diff === '') return h('p', {}, 'No changes against the live version.');
  const pre = h('pre', { class: 'diff', tabindex: 0, 'aria-label': 'Changes against the live version' });
  for (const line of diff.split('\n')) {
    const kind =
      line.startsWith('+') && !line.startsWith('+++')
        ? 'add'
        : line.startsWith('-') && !line.startsWith('---')
          ? 'del'
          : line.startsWith('@@')
            ? 'hunk'
            : 'ctx';
    pre.append(h('span', { class: `diff-${kind}` }, line), '\n');
  }
  return pre;
}

export async function flowEditorView(root: HTMLElement, [flowId = '']: string[]): Promise<() => void> {
  let detail: FlowDetail;
  try {
    detail = (await call<FlowDetail>('GET', `flows/${encodeURIComponent(flowId)}`)).data;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
    detail = { flowId, draft: null, published: null, pointer: null, versions: [], problems: [] };
  }
  let etag: string | null = detail.draft?.etag ?? null;
  let text = detail.draft?.source ?? detail.published?.source ?? newFlowTemplate(flowId);
  let dirty = detail.draft === null && detail.published === null;
  let traffic: Traffic | undefined;
  let pathHighlight = new Set<string>();
  const timers: number[] = [];

  const heading = h('h1', {}, 'Flow ', h('code', {}, flowId));
  const badges = h('p', { class: 'badges', id: 'flow-state' });
  const renderBadges = (): void => {
    replace(
      badges,
      h('span', { class: 'badge' }, detail.pointer ? `live v${detail.pointer.liveVersion}` : 'not published'),
      ' ',
      h(
        'span',
        { class: `badge ${dirty ? 'warn' : ''}`, id: 'draft-state' },
        dirty
          ? 'unsaved changes'
          : detail.draft
            ? `draft saved by ${detail.draft.updatedBy} ${fmtTime(detail.draft.updatedAt)}`
            : 'no draft',
      ),
    );
  };

  const problemsList = h('ul', { class: 'problems', id: 'problems', 'aria-label': 'Validation problems' });
  const problemsSummary = h('p', { id: 'problems-summary', role: 'status' });
  const ed: { view?: EditorView } = {};
  const renderProblems = (problems: Problem[]): void => {
    const errors = problems.filter((p) => p.severity === 'error').length;
    problemsSummary.textContent =
      problems.length === 0
        ? 'No problems.'
        : `${errors} ${errors === 1 ? 'error' : 'errors'}, ${problems.length - errors} ${problems.length - errors === 1 ? 'warning' : 'warnings'}.`;
    replace(
      problemsList,
      ...problems.map((p) =>
        h(
          'li',
          { class: p.severity, 'data-line': p.line },
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => ed.view && goTo(ed.view, p.line, p.col) },
            `Line ${p.line}, column ${p.col}`,
          ),
          ': ',
          h('strong', {}, p.severity),
          ` ${p.code}: ${p.message}`,
        ),
      ),
    );
  };

  const graphBox = h('div', { class: 'graph-box', id: 'graph', tabindex: 0, 'aria-label': 'Flow graph' });
  const drawGraph = (): void => {
    const doc = parseLenient(text);
    const steps = getIn(doc, ['steps']);
    if (steps === null || typeof steps !== 'object') {
      replace(graphBox, h('p', {}, 'The graph appears once the flow has steps.'));
      return;
    }
    const types: Record<string, string> = {};
    for (const [name, step] of Object.entries(steps as Record<string, unknown>)) {
      types[name] = str(getIn(step, ['type']), '?');
    }
    const edges = graphEdges(FLOW_SCHEMA, doc);
    const entry = str(getIn(doc, ['entry']), '');
    replace(graphBox, renderGraph(layoutGraph(entry, types, edges), edges, traffic, pathHighlight));
  };

  const editorHost = h('div', { class: 'editor-host', id: 'editor' });
  const onChange = (t: string): void => {
    text = t;
    if (!dirty) {
      dirty = true;
      renderBadges();
    }
    const id = window.setTimeout(drawGraph, 300);
    timers.push(id);
  };

  // Tests
  const testsOut = h('div', { id: 'test-results', 'aria-live': 'polite' });
  const runTests = async (): Promise<void> => {
    replace(testsOut, h('p', {}, 'Running flow tests…'));
    try {
      const { data } = await call<TestReport>('POST', `flows/${encodeURIComponent(flowId)}/test`, {
        body: text,
      });
      replace(
        testsOut,
        h(
          'p',
          { class: data.passed ? 'ok' : 'error', id: 'tests-summary' },
          data.passed ? `All ${data.total} tests passed.` : `${data.failed} of ${data.total} tests failed.`,
        ),
        h(
          'table',
          { class: 'grid' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Test'),
              h('th', { scope: 'col' }, 'Result'),
              h('th', { scope: 'col' }, 'Path'),
              h('th', { scope: 'col' }, 'Outcome'),
            ),
          ),
          h(
            'tbody',
            {},
            ...data.results.map((r) =>
              h(
                'tr',
                { class: r.passed ? '' : 'failed' },
                h('th', { scope: 'row' }, r.name),
                h('td', {}, r.passed ? 'passed' : h('span', {}, 'failed: ', r.failures.join('; '))),
                h('td', {}, r.path.join(' → ')),
                h('td', {}, r.outcome),
              ),
            ),
          ),
        ),
        h('p', {}, `Branch coverage: ${data.coverage.covered.length} of ${data.coverage.edges} transitions.`),
      );
    } catch (err) {
      const problems = err instanceof ApiError ? (err.details?.problems as Problem[] | undefined) : undefined;
      replace(
        testsOut,
        h('p', { class: 'error', role: 'alert' }, describe(err)),
        problems ? h('p', {}, `${problems.length} problems: fix them first.`) : null,
      );
    }
  };

  // Save
  const save = async (): Promise<boolean> => {
    try {
      const res = await call<{ draft: FlowDraft; valid: boolean; problems: Problem[] }>(
        'PUT',
        `flows/${encodeURIComponent(flowId)}/draft`,
        { body: text, ifMatch: etag },
      );
      etag = res.etag ?? res.data.draft.etag;
      detail.draft = res.data.draft;
      dirty = false;
      renderBadges();
      announce(res.data.valid ? 'Draft saved.' : `Draft saved with ${res.data.problems.length} problems.`);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) {
        announce(
          'Someone else saved this draft since you opened it. Nothing was overwritten: copy your changes, reload, and apply them again.',
          'error',
        );
      } else announce(describe(err), 'error');
      return false;
    }
  };

  // Publish with a diff
  const publishPanel = h('section', {
    class: 'card',
    id: 'publish-panel',
    'aria-labelledby': 'publish-h',
    hidden: true,
  });
  const reviewPublish = async (): Promise<void> => {
    if (dirty && !(await save())) return;
    let diff: string;
    try {
      diff = detail.pointer
        ? (
            await call<{ diff: string }>('GET', `flows/${encodeURIComponent(flowId)}/diff`, {
              query: { from: 'live', to: 'draft' },
            })
          ).data.diff
        : text
            .split('\n')
            .map((l) => `+${l}`)
            .join('\n');
    } catch (err) {
      announce(describe(err), 'error');
      return;
    }
    const reason = h('input', { id: 'publish-reason', type: 'text', placeholder: 'e.g. new holiday hours' });
    const confirm = h(
      'button',
      { type: 'button', class: 'primary', id: 'confirm-publish' },
      'Publish this version',
    );
    const result = h('div', { id: 'publish-result', 'aria-live': 'polite' });
    confirm.addEventListener('click', () => {
      void (async () => {
        confirm.disabled = true;
        try {
          const { data } = await call<{ version: FlowVersion }>(
            'POST',
            `flows/${encodeURIComponent(flowId)}/publish`,
            { body: { reason: reason.value || undefined }, ifMatch: etag },
          );
          replace(
            result,
            h('p', { class: 'ok', id: 'published-version' }, `Published version ${data.version.version}.`),
          );
          announce(`Published ${flowId} version ${data.version.version}.`);
          await refresh();
        } catch (err) {
          const tests = err instanceof ApiError ? (err.details?.tests as TestReport | undefined) : undefined;
          replace(
            result,
            h('p', { class: 'error', role: 'alert' }, describe(err)),
            tests ? h('p', {}, `${tests.failed} of ${tests.total} flow tests failed.`) : null,
          );
        } finally {
          confirm.disabled = false;
        }
      })();
    });
    replace(
      publishPanel,
      h(
        'h2',
        { id: 'publish-h' },
        detail.pointer
          ? `Publish: changes against live v${detail.pointer.liveVersion}`
          : 'Publish the first version',
      ),
      renderDiff(diff),
      h('div', { class: 'field' }, h('label', { for: 'publish-reason' }, 'Reason (optional)'), reason),
      h('p', {}, 'Publishing runs the flow tests first and is refused while the flow has errors.'),
      confirm,
      ' ',
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            publishPanel.hidden = true;
          },
        },
        'Cancel',
      ),
      result,
    );
    publishPanel.hidden = false;
    confirm.focus();
  };

  // Versions
  const versionsBox = h('div', { id: 'versions' });
  const renderVersions = (items: VersionSummary[]): void => {
    const live = detail.pointer?.liveVersion;
    replace(
      versionsBox,
      items.length === 0
        ? h('p', {}, 'Never published.')
        : h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Version'),
                h('th', { scope: 'col' }, 'Published by'),
                h('th', { scope: 'col' }, 'When'),
                h('th', { scope: 'col' }, 'Actions'),
              ),
            ),
            h(
              'tbody',
              {},
              ...[...items]
                .reverse()
                .map((v) =>
                  h(
                    'tr',
                    {},
                    h(
                      'th',
                      { scope: 'row' },
                      `v${v.version}`,
                      v.live ? h('span', { class: 'badge' }, ' live') : null,
                    ),
                    h('td', {}, v.publishedBy),
                    h('td', {}, fmtTime(v.publishedAt)),
                    h(
                      'td',
                      { class: 'actions' },
                      live !== undefined && v.version !== live
                        ? h(
                            'button',
                            { type: 'button', onclick: () => void compare(v.version) },
                            `Compare v${v.version} with live`,
                          )
                        : null,
                      ' ',
                      live !== undefined && v.version < live
                        ? h(
                            'button',
                            { type: 'button', onclick: () => void rollback(v.version) },
                            `Roll back to v${v.version}`,
                          )
                        : null,
                    ),
                  ),
                ),
            ),
          ),
    );
  };
  const versionDiff = h('div', { id: 'version-diff', 'aria-live': 'polite' });
  const compare = async (version: number): Promise<void> => {
    try {
      const { data } = await call<{ diff: string }>('GET', `flows/${encodeURIComponent(flowId)}/diff`, {
        query: { from: 'live', to: String(version) },
      });
      replace(versionDiff, h('h3', {}, `Changes from live to v${version}`), renderDiff(data.diff));
    } catch (err) {
      replace(versionDiff, h('p', { class: 'error', role: 'alert' }, describe(err)));
    }
  };
  const rollback = async (version: number): Promise<void> => {
    if (!window.confirm(`Make version ${version} live again? New calls will use it.`)) return;
    try {
      await call('POST', `flows/${encodeURIComponent(flowId)}/rollback`, { body: { toVersion: version } });
      announce(`Rolled back ${flowId} to version ${version}.`);
      await refresh();
    } catch (err) {
      announce(describe(err), 'error');
    }
  };
  const refresh = async (): Promise<void> => {
    try {
      detail = (await call<FlowDetail>('GET', `flows/${encodeURIComponent(flowId)}`)).data;
      etag = detail.draft?.etag ?? etag;
    } catch {
      /* keep what we have */
    }
    renderBadges();
    renderVersions(detail.versions);
  };

  const loadTraffic = async (): Promise<void> => {
    try {
      const { data } = await call<{ items: FlowMetrics[] }>('GET', 'metrics', { query: { flowId } });
      const t: Traffic = { steps: {}, branches: {} };
      for (const m of data.items) {
        for (const [k, n] of Object.entries(m.steps)) t.steps[k] = (t.steps[k] ?? 0) + n;
        for (const [k, n] of Object.entries(m.branches)) t.branches[k] = (t.branches[k] ?? 0) + n;
      }
      traffic = t;
      drawGraph();
    } catch {
      /* the graph works without traffic */
    }
  };

  const toolbar = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Flow actions' },
    h('button', { type: 'button', id: 'save-draft', onclick: () => void save() }, 'Save draft'),
    h('button', { type: 'button', id: 'run-tests', onclick: () => void runTests() }, 'Run flow tests'),
    h(
      'button',
      { type: 'button', id: 'review-publish', class: 'primary', onclick: () => void reviewPublish() },
      'Review and publish…',
    ),
  );

  const testCall = testCallPanel(
    flowId,
    (path) => {
      pathHighlight = new Set(path);
      drawGraph();
    },
    () => void loadTraffic(),
  );

  root.append(
    heading,
    badges,
    toolbar,
    h(
      'div',
      { class: 'editor-grid' },
      h(
        'section',
        { 'aria-labelledby': 'src-h', class: 'card' },
        h('h2', { id: 'src-h' }, 'Flow source (YAML)'),
        editorHost,
        problemsSummary,
        problemsList,
      ),
      h(
        'section',
        { 'aria-labelledby': 'graph-h', class: 'card' },
        h('h2', { id: 'graph-h' }, 'Graph and traffic'),
        graphBox,
      ),
    ),
    publishPanel,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'tests-h', id: 'tests-section' },
      h('h2', { id: 'tests-h' }, 'Flow tests'),
      testsOut,
    ),
    testCall.element,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'versions-h' },
      h('h2', { id: 'versions-h' }, 'Version history'),
      versionsBox,
      versionDiff,
    ),
  );
  renderBadges();
  renderVersions(detail.versions);
  ed.view = createEditor({
    parent: editorHost,
    text,
    label: `Flow ${flowId} YAML source`,
    validate: async (t) => {
      try {
        return (
          await call<{ problems: Problem[] }>('POST', `flows/${encodeURIComponent(flowId)}/validate`, {
            body: t,
          })
        ).data.problems;
      } catch (err) {
        announce(describe(err), 'error');
        return [];
      }
    },
    onProblems: renderProblems,
    onChange,
  });
  drawGraph();
  void loadTraffic();
  return () => {
    timers.forEach((t) => window.clearTimeout(t));
    testCall.dispose();
    ed.view?.destroy();
  };
}
