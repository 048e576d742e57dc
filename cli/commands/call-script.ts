/**
 * Turns a flow-test caller script (`press`, the syntax of flow scenarios: `"w 2 w 123456#"`; `w` =
 * wait until the IVR is listening, `w2s` = pause, keys, `h` = hang up) into a Graph simulator
 * caller script (`local/graph-sim` `CallerStep`s) that does the same thing to a real call.
 *
 * "Until the IVR is listening" has no direct counterpart in the simulator, whose steps wait for the
 * n-th prompt of the call. When the flow is known, the pure interpreter tells how many prompts
 * have started before each key (`simulate` on the script cut just before that key, followed by a
 * hang-up): `w` then becomes "wait for the end of prompt n", and a key pressed mid-prompt (barge-in
 * after a pause) becomes "wait for the start of prompt n, then a moment". Without the flow, `w`
 * is a plain pause (`fallbackPauseMs`).
 */
import { AppError } from '../../shared/errors/app-error.js';
import { parseDuration, simulate, type Flow, type Scenario } from '../../shared/flow/index.js';
import type { CallerStep } from '../../local/graph-sim/index.js';

/** Pause after a prompt ends (or starts, for barge-in) before keys go in, simulated ms. */
export const SETTLE_MS = 300;

/** The parts of a flow scenario that shape the caller. */
export interface CallerIntent {
  press?: string;
  at?: string;
  callerNumber?: string;
  dialledNumber?: string;
  hangUp?: Scenario['hangUp'];
  stubs?: Scenario['stubs'];
}

type Token =
  { kind: 'idle' } | { kind: 'pause'; ms: number } | { kind: 'keys'; keys: string } | { kind: 'hangUp' };

/** Splits a press script into tokens. Throws `AppError('FLOW.BAD_PRESS')` naming a bad token. */
export function tokenizePress(press: string): Token[] {
  return press
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((tok): Token => {
      if (tok === 'w') return { kind: 'idle' };
      if (tok === 'h') return { kind: 'hangUp' };
      if (/^w[0-9]+(ms|s|m)$/.test(tok)) return { kind: 'pause', ms: parseDuration(tok.slice(1)) };
      if (/^[0-9*#]+$/.test(tok)) return { kind: 'keys', keys: tok };
      throw new AppError(
        'FLOW.BAD_PRESS',
        `press: "${tok.slice(0, 20)}" is not keys (0-9 * #), w, w<duration> (e.g. w2s) or h`,
      );
    });
}

function tokenText(t: Token): string {
  switch (t.kind) {
    case 'idle':
      return 'w';
    case 'hangUp':
      return 'h';
    case 'pause':
      return `w${t.ms}ms`;
    case 'keys':
      return t.keys;
  }
}

/**
 * The simulator steps for `intent`. With `flow`, waits follow the flow's prompts (see the module
 * comment); without, `w` is a pause of `fallbackPauseMs` (default 1500 simulated ms).
 * Throws `AppError('FLOW.BAD_PRESS')` for a bad script.
 */
export function callerSteps(
  intent: CallerIntent,
  flow?: Flow,
  options: { fallbackPauseMs?: number } = {},
): CallerStep[] {
  const tokens = tokenizePress(intent.press ?? '');
  const steps: CallerStep[] = [];
  const promptsBefore = (i: number): number => {
    if (flow === undefined) return 0;
    const press = [...tokens.slice(0, i).map(tokenText), 'h'].join(' ');
    const run = simulate(flow, {
      name: 'prefix',
      expect: {},
      press,
      ...(intent.at === undefined ? {} : { at: intent.at }),
      ...(intent.callerNumber === undefined ? {} : { callerNumber: intent.callerNumber }),
      ...(intent.dialledNumber === undefined ? {} : { dialledNumber: intent.dialledNumber }),
      ...(intent.stubs === undefined ? {} : { stubs: intent.stubs }),
    });
    return run.prompts.length;
  };
  tokens.forEach((tok, i) => {
    if (tok.kind === 'idle') return;
    if (tok.kind === 'pause') {
      if (flow === undefined) steps.push({ type: 'wait', ms: tok.ms });
      return;
    }
    const prev = tokens[i - 1];
    if (flow === undefined) {
      if (prev?.kind === 'idle') steps.push({ type: 'wait', ms: options.fallbackPauseMs ?? 1500 });
    } else {
      const n = promptsBefore(i);
      if (prev?.kind === 'idle') {
        if (n > 0) steps.push({ type: 'waitForPrompt', n, phase: 'end' });
        steps.push({ type: 'wait', ms: SETTLE_MS });
      } else if (prev?.kind === 'pause' || prev === undefined) {
        if (n > 0) steps.push({ type: 'waitForPrompt', n, phase: 'start' });
        steps.push({ type: 'wait', ms: SETTLE_MS });
      }
    }
    if (tok.kind === 'keys') steps.push({ type: 'press', keys: tok.keys });
    else steps.push({ type: 'hangUp', when: 'now' });
  });
  // A caller who reaches a voicemail step leaves a message (a recording needs speech, or Graph
  // ends it on initial silence); a script that never meets a recording just stays on the line.
  const said = intent.stubs?.recording?.duration;
  steps.push({ type: 'say', ms: said === undefined ? 3000 : parseDuration(said) });
  const hang = intent.hangUp;
  if (hang?.afterPrompt !== undefined)
    steps.unshift(
      { type: 'waitForPrompt', n: hang.afterPrompt, phase: 'start' },
      { type: 'hangUp', when: 'now' },
    );
  else if (hang?.after !== undefined)
    steps.unshift({ type: 'wait', ms: parseDuration(hang.after) }, { type: 'hangUp', when: 'now' });
  return steps;
}
