/** `setVariables`: evaluates each CEL expression in order and assigns it, then `next`. */
import { AppError } from '../../errors/app-error.js';
import { errorEdge, type StepHandler } from './step.js';

export const setVariables: StepHandler<'setVariables'> = {
  type: 'setVariables',
  answers: false,
  terminal: () => false,
  edges: (s, name) => [
    { to: s.next, label: 'next', kind: 'auto', path: ['steps', name, 'next'] },
    ...errorEdge(name, s),
  ],
  refs: (s, name) => ({
    prompts: [],
    expressions: Object.entries(s.set).map(([k, v]) => ({
      path: ['steps', name, 'set', k],
      source: v,
      kind: 'expression' as const,
    })),
    writes: Object.keys(s.set),
  }),
  enter(run, s) {
    try {
      for (const [k, expr] of Object.entries(s.set)) run.setVar(k, run.evaluate(expr));
    } catch (err) {
      return run.fail(err instanceof AppError ? err.code : 'FLOW.EXPRESSION_FAILED');
    }
    run.goto(s.next, 'next');
  },
  onEvent() {},
};
