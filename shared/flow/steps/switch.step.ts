/** `switch`: the first case whose CEL condition is `true` wins, else `default`. */
import { AppError } from '../../errors/app-error.js';
import { errorEdge, type StepHandler } from './step.js';

export const switchStep: StepHandler<'switch'> = {
  type: 'switch',
  answers: false,
  terminal: () => false,
  edges: (s, name) => [
    ...s.cases.map((c, i) => ({
      to: c.next,
      label: `case:${i}`,
      kind: 'auto' as const,
      path: ['steps', name, 'cases', i, 'next'],
    })),
    { to: s.default, label: 'default', kind: 'auto', path: ['steps', name, 'default'] },
    ...errorEdge(name, s),
  ],
  refs: (s, name) => ({
    prompts: [],
    expressions: s.cases.map((c, i) => ({
      path: ['steps', name, 'cases', i, 'when'],
      source: c.when,
      kind: 'condition' as const,
    })),
    writes: [],
  }),
  enter(run, s) {
    for (let i = 0; i < s.cases.length; i++) {
      const c = s.cases[i]!;
      let v;
      try {
        v = run.evaluate(c.when);
      } catch (err) {
        return run.fail(err instanceof AppError ? err.code : 'FLOW.EXPRESSION_FAILED');
      }
      if (v === true) return run.goto(c.next, `case:${i}`);
    }
    run.goto(s.default, 'default');
  },
  onEvent() {},
};
