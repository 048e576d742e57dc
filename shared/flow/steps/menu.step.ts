/**
 * `menu`: plays the prompt (barge-in by default), then waits `timeout` for one key. An option key
 * goes to its step; another key is a no-match, silence a no-input: each reprompts up to
 * `retries` times (with its own prompt first), then goes to its `next` or the failure path.
 */
import type { Json } from '../model.js';
import { durationMs } from '../duration.js';
import { errorEdge, type Edge, type Run, type StepHandler } from './step.js';
import type { StepOf } from '../schema.js';

type Menu = StepOf<'menu'>;

function prompt(run: Run, s: Menu, before?: string): void {
  run.subscribeTones();
  run.local.play = run.play(before === undefined ? [s.prompt] : [before, s.prompt], s.bargeIn ?? true);
  run.phase = 'prompting';
}

function miss(run: Run, s: Menu, kind: 'noInput' | 'noMatch', key?: string): void {
  const handling = s[kind];
  const count = ((run.local[kind] as number | undefined) ?? 0) + 1;
  run.local[kind] = count;
  if (count > (handling?.retries ?? 2)) {
    if (handling?.next !== undefined) run.goto(handling.next, kind, key);
    else run.fail(kind === 'noInput' ? 'FLOW.NO_INPUT' : 'FLOW.NO_MATCH');
    return;
  }
  run.retry(`${kind}:retry`, key);
  prompt(run, s, handling?.prompt);
}

function choose(run: Run, s: Menu, key: string): void {
  const to = Object.prototype.hasOwnProperty.call(s.options, key) ? s.options[key] : undefined;
  if (to === undefined) return miss(run, s, 'noMatch', key);
  run.setVar('lastChoice', key);
  run.goto(to, `option:${key}`, key);
}

export const menu: StepHandler<'menu'> = {
  type: 'menu',
  answers: true,
  terminal: (s) => s.noInput?.next === undefined || s.noMatch?.next === undefined,
  edges(s, name) {
    const edges: Edge[] = Object.entries(s.options).map(([k, to]) => ({
      to,
      label: `option:${k}`,
      kind: 'input',
      path: ['steps', name, 'options', k],
    }));
    if (s.noInput?.next !== undefined)
      edges.push({
        to: s.noInput.next,
        label: 'noInput',
        kind: 'timer',
        path: ['steps', name, 'noInput', 'next'],
      });
    if (s.noMatch?.next !== undefined)
      edges.push({
        to: s.noMatch.next,
        label: 'noMatch',
        kind: 'input',
        path: ['steps', name, 'noMatch', 'next'],
      });
    return [...edges, ...errorEdge(name, s)];
  },
  refs(s, name) {
    const prompts = [{ path: ['steps', name, 'prompt'], name: s.prompt }];
    if (s.noInput?.prompt !== undefined)
      prompts.push({ path: ['steps', name, 'noInput', 'prompt'], name: s.noInput.prompt });
    if (s.noMatch?.prompt !== undefined)
      prompts.push({ path: ['steps', name, 'noMatch', 'prompt'], name: s.noMatch.prompt });
    return { prompts, expressions: [], writes: [] };
  },
  check(s, name) {
    const out = [];
    if (s.noInput === undefined)
      out.push({
        path: ['steps', name],
        severity: 'warning' as const,
        code: 'FLOW.MENU_NO_INPUT',
        message: `menu "${name}" has no noInput handling (default: 2 reprompts, then the failure path)`,
      });
    if (s.noMatch === undefined)
      out.push({
        path: ['steps', name],
        severity: 'warning' as const,
        code: 'FLOW.MENU_NO_MATCH',
        message: `menu "${name}" has no noMatch handling (default: 2 reprompts, then the failure path)`,
      });
    return out;
  },
  enter(run, s) {
    prompt(run, s);
  },
  onEvent(run, s, e) {
    if (e.type === 'promptCompleted' && e.commandId === run.local.play && run.phase === 'prompting') {
      run.phase = 'waiting';
      run.startTimer('noInput', durationMs(s.timeout, 5000));
    } else if (e.type === 'tone') {
      if (run.phase === 'prompting') {
        if (!(s.bargeIn ?? true)) return;
        run.emit({ type: 'cancelMedia', id: run.local.play as string });
      } else run.cancelTimer();
      choose(run, s, e.key);
    } else if (e.type === 'timerFired') {
      miss(run, s, 'noInput');
    }
  },
};

export type { Json };
