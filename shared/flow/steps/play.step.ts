/** `play`: plays prompts, then `next`. Waits for `promptCompleted` of its one command. */
import { errorEdge, type StepHandler } from './step.js';

export const play: StepHandler<'play'> = {
  type: 'play',
  answers: true,
  terminal: () => false,
  edges: (s, name) => [
    { to: s.next, label: 'next', kind: 'auto', path: ['steps', name, 'next'] },
    ...errorEdge(name, s),
  ],
  refs: (s, name) => ({
    prompts: s.prompts.map((p, i) => ({ path: ['steps', name, 'prompts', i], name: p })),
    expressions: [],
    writes: [],
  }),
  enter(run, s) {
    run.local.play = run.play(s.prompts, false);
    run.phase = 'playing';
  },
  onEvent(run, s, e) {
    if (e.type === 'promptCompleted' && e.commandId === run.local.play) run.goto(s.next, 'next');
  },
};
