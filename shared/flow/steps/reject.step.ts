/** `reject`: before answering, declines the call (Graph `reject`, reason busy / none); ends the flow. */
import type { StepHandler } from './step.js';

export const reject: StepHandler<'reject'> = {
  type: 'reject',
  answers: false,
  terminal: () => true,
  edges: () => [],
  refs: () => ({ prompts: [], expressions: [], writes: [] }),
  enter(run, s) {
    run.emit({ type: 'reject', id: run.newId(), reason: s.reason });
    run.end({ kind: 'rejected', reason: s.reason }, false);
  },
  onEvent() {},
};
