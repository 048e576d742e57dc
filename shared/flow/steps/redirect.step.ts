/** `redirect`: before answering, sends the call to a user or number (Graph `redirect`); ends the flow. */
import { toTarget, type StepHandler } from './step.js';

export const redirect: StepHandler<'redirect'> = {
  type: 'redirect',
  answers: false,
  terminal: () => true,
  edges: () => [],
  refs: () => ({ prompts: [], expressions: [], writes: [] }),
  check: (s, name) =>
    s.target.application !== undefined
      ? [
          {
            path: ['steps', name, 'target'],
            severity: 'error',
            code: 'FLOW.BAD_TARGET',
            message: 'redirect goes to a user or a phone number, not an application',
          },
        ]
      : [],
  enter(run, s) {
    const target = toTarget(s.target);
    run.emit({ type: 'redirect', id: run.newId(), target });
    run.end({ kind: 'redirected', target }, false);
  },
  onEvent() {},
};
