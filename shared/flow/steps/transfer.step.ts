/**
 * `transfer`: optional prompt, then Graph `transfer`. Accepted (or completed) ends the flow with
 * outcome `transferred`; a failure goes to `failed` or the flow's failure path.
 */
import { errorEdge, toTarget, type StepHandler, type Run } from './step.js';
import type { StepOf } from '../schema.js';

function go(run: Run, s: StepOf<'transfer'>): void {
  const id = run.newId();
  run.local.transfer = id;
  run.emit({ type: 'transfer', id, target: toTarget(s.target) });
  run.phase = 'transferring';
}

function failed(run: Run, s: StepOf<'transfer'>, code: string): void {
  if (s.failed !== undefined) run.goto(s.failed, 'failed', code);
  else run.fail(code);
}

export const transfer: StepHandler<'transfer'> = {
  type: 'transfer',
  answers: true,
  terminal: () => true,
  edges: (s, name) => [
    ...(s.failed === undefined
      ? []
      : [{ to: s.failed, label: 'failed', kind: 'result' as const, path: ['steps', name, 'failed'] }]),
    ...errorEdge(name, s),
  ],
  refs: (s, name) => ({
    prompts: s.prompt === undefined ? [] : [{ path: ['steps', name, 'prompt'], name: s.prompt }],
    expressions: [],
    writes: [],
  }),
  enter(run, s) {
    if (s.prompt === undefined) return go(run, s);
    run.local.play = run.play([s.prompt], false);
    run.phase = 'prompting';
  },
  onEvent(run, s, e) {
    if (e.type === 'promptCompleted' && e.commandId === run.local.play && run.phase === 'prompting')
      go(run, s);
    else if (run.phase !== 'transferring') return;
    else if (e.type === 'transferAccepted' || e.type === 'transferCompleted')
      run.end({ kind: 'transferred', target: toTarget(s.target) }, false);
    else if (e.type === 'transferFailed') failed(run, s, e.code ?? 'TRANSFER.FAILED');
  },
  onFailed(run, s, e) {
    // A prompt that fails must not keep the caller from the person they were promised.
    if (e.commandId === run.local.play) return go(run, s);
    if (s.error !== undefined) return run.goto(s.error, 'error', e.code);
    failed(run, s, e.code);
  },
};
