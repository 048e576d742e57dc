/**
 * `record` (voicemail): Graph `recordResponse` with prompt, beep, max duration, stop keys and
 * silence timeouts. The location is stored in `into`; without `next` the flow hangs up with
 * outcome `voicemail`.
 */
import { durationMs } from '../duration.js';
import { errorEdge, type StepHandler } from './step.js';

export const record: StepHandler<'record'> = {
  type: 'record',
  answers: true,
  terminal: (s) => s.next === undefined,
  edges: (s, name) => [
    ...(s.next === undefined
      ? []
      : [{ to: s.next, label: 'next', kind: 'result' as const, path: ['steps', name, 'next'] }]),
    ...errorEdge(name, s),
  ],
  refs: (s, name) => ({
    prompts: s.prompt === undefined ? [] : [{ path: ['steps', name, 'prompt'], name: s.prompt }],
    expressions: [],
    writes: s.into === undefined ? [] : [s.into],
  }),
  enter(run, s) {
    const id = run.newId();
    run.local.record = id;
    const p = s.prompt === undefined ? undefined : run.flow.prompts[s.prompt];
    run.emit({
      type: 'record',
      id,
      ...(s.prompt === undefined || p === undefined
        ? {}
        : {
            prompt: {
              name: s.prompt,
              ...(p.text === undefined ? {} : { text: run.render(p.text) }),
              ...(p.audio === undefined ? {} : { audioUri: p.audio }),
            },
          }),
      maxDurationMs: durationMs(s.maxDuration, 60_000),
      playBeep: s.beep ?? true,
      stopTones: s.stopKeys ?? ['#'],
      initialSilenceTimeoutMs: durationMs(s.initialSilenceTimeout, 5000),
      maxSilenceTimeoutMs: durationMs(s.maxSilenceTimeout, 5000),
    });
    run.phase = 'recording';
  },
  onEvent(run, s, e) {
    if (e.type !== 'recordingCompleted' || e.commandId !== run.local.record) return;
    if (e.status !== 'completed') return run.fail('RECORD.FAILED');
    if (e.recordingLocation !== undefined) {
      run.state.recordingLocation = e.recordingLocation;
      if (s.into !== undefined) run.setVar(s.into, e.recordingLocation);
    }
    if (s.next !== undefined) run.goto(s.next, 'next');
    else
      run.end(
        {
          kind: 'voicemail',
          ...(e.recordingLocation === undefined ? {} : { recordingLocation: e.recordingLocation }),
        },
        true,
      );
  },
};
