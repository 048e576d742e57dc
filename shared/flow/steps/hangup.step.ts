/**
 * `hangup`: optional last prompt, then the flow hangs up. Outcome `voicemail` when a recording
 * was taken earlier in the call, else `completed`. A failing prompt still hangs up.
 */
import type { Run, StepHandler } from './step.js';

function bye(run: Run): void {
  const loc = run.state.recordingLocation;
  run.end(loc === undefined ? { kind: 'completed' } : { kind: 'voicemail', recordingLocation: loc }, true);
}

export const hangup: StepHandler<'hangup'> = {
  type: 'hangup',
  answers: true,
  terminal: () => true,
  edges: () => [],
  refs: (s, name) => ({
    prompts: s.prompt === undefined ? [] : [{ path: ['steps', name, 'prompt'], name: s.prompt }],
    expressions: [],
    writes: [],
  }),
  enter(run, s) {
    if (s.prompt === undefined) return bye(run);
    run.local.play = run.play([s.prompt], false);
    run.phase = 'prompting';
  },
  onEvent(run, _s, e) {
    if (e.type === 'promptCompleted' && e.commandId === run.local.play) bye(run);
  },
  onFailed(run) {
    bye(run);
  },
};
