/**
 * `collectDigits` (gather): plays the prompt (keys during it count and stop it), then collects
 * keys until the terminator, `maxDigits`, or the inter-digit timeout. No key within
 * `firstDigitTimeout` is a no-input. A short entry or one failing `pattern` is invalid. Both
 * re-ask up to `retries` times, then go to `failed` (or the failure path). A valid entry is
 * stored in `into` and in `digits`.
 */
import { durationMs } from '../duration.js';
import { DTMF_KEYS, type StepOf } from '../schema.js';
import { errorEdge, type Run, type StepHandler, type StepProblem } from './step.js';

type Collect = StepOf<'collectDigits'>;
const patternCache = new Map<string, RegExp | null>();

/** Compiles an analyst's pattern once (null when it is not a valid regular expression). */
export function compilePattern(p: string): RegExp | null {
  let re = patternCache.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(p);
    } catch {
      re = null;
    }
    if (patternCache.size > 500) patternCache.clear();
    patternCache.set(p, re);
  }
  return re;
}

function ask(run: Run, s: Collect, before?: string): void {
  run.subscribeTones();
  run.local.buf = '';
  run.local.play = run.play(before === undefined ? [s.prompt] : [before, s.prompt], true);
  run.phase = 'prompting';
}

function again(run: Run, s: Collect, kind: 'noInput' | 'invalid', input?: string): void {
  const tries = ((run.local.tries as number | undefined) ?? 0) + 1;
  run.local.tries = tries;
  if (tries > (s.retries ?? 2)) {
    if (s.failed !== undefined) run.goto(s.failed, 'failed', input);
    else run.fail(kind === 'noInput' ? 'FLOW.NO_INPUT' : 'FLOW.INVALID_INPUT');
    return;
  }
  run.retry(`${kind}:retry`, input);
  ask(run, s, kind === 'noInput' ? s.noInputPrompt : s.invalidPrompt);
}

function finish(run: Run, s: Collect): void {
  run.cancelTimer();
  const buf = (run.local.buf as string | undefined) ?? '';
  if (buf.length === 0) return again(run, s, 'noInput');
  const re = s.pattern === undefined ? undefined : compilePattern(s.pattern);
  const ok =
    buf.length >= (s.minDigits ?? 1) &&
    buf.length <= s.maxDigits &&
    (re === undefined || (re !== null && re.test(buf)));
  if (!ok) return again(run, s, 'invalid', buf);
  run.setVar(s.into, buf);
  run.setVar('digits', buf);
  run.goto(s.next, 'next', buf);
}

export const collectDigits: StepHandler<'collectDigits'> = {
  type: 'collectDigits',
  answers: true,
  terminal: (s) => s.failed === undefined,
  edges: (s, name) => [
    { to: s.next, label: 'next', kind: 'input', path: ['steps', name, 'next'] },
    ...(s.failed === undefined
      ? []
      : [{ to: s.failed, label: 'failed', kind: 'timer' as const, path: ['steps', name, 'failed'] }]),
    ...errorEdge(name, s),
  ],
  refs(s, name) {
    const prompts = [{ path: ['steps', name, 'prompt'], name: s.prompt }];
    if (s.noInputPrompt !== undefined)
      prompts.push({ path: ['steps', name, 'noInputPrompt'], name: s.noInputPrompt });
    if (s.invalidPrompt !== undefined)
      prompts.push({ path: ['steps', name, 'invalidPrompt'], name: s.invalidPrompt });
    return { prompts, expressions: [], writes: [s.into] };
  },
  check(s, name) {
    const out: StepProblem[] = [];
    if ((s.minDigits ?? 1) > s.maxDigits)
      out.push({
        path: ['steps', name, 'minDigits'],
        severity: 'error',
        code: 'FLOW.DIGITS_RANGE',
        message: `minDigits (${s.minDigits ?? 1}) is above maxDigits (${s.maxDigits})`,
      });
    if (s.pattern !== undefined && compilePattern(s.pattern) === null)
      out.push({
        path: ['steps', name, 'pattern'],
        severity: 'error',
        code: 'FLOW.BAD_PATTERN',
        message: 'pattern is not a valid regular expression',
      });
    if (s.terminator !== undefined && !(DTMF_KEYS as readonly string[]).includes(s.terminator))
      out.push({
        path: ['steps', name, 'terminator'],
        severity: 'error',
        code: 'FLOW.INVALID_DTMF_KEY',
        message: `terminator "${s.terminator}" is not a DTMF key (0-9 * # A-D)`,
      });
    return out;
  },
  enter(run, s) {
    run.local.tries = 0;
    ask(run, s);
  },
  onEvent(run, s, e) {
    if (e.type === 'promptCompleted' && e.commandId === run.local.play && run.phase === 'prompting') {
      run.phase = 'collecting';
      const buf = (run.local.buf as string | undefined) ?? '';
      if (buf.length === 0) run.startTimer('firstDigit', durationMs(s.firstDigitTimeout, 5000));
    } else if (e.type === 'tone') {
      if (run.phase === 'prompting') {
        run.emit({ type: 'cancelMedia', id: run.local.play as string });
        run.phase = 'collecting';
      }
      if (e.key === (s.terminator ?? '#')) return finish(run, s);
      const buf = `${(run.local.buf as string | undefined) ?? ''}${e.key}`;
      run.local.buf = buf;
      if (buf.length >= s.maxDigits) return finish(run, s);
      run.startTimer('interDigit', durationMs(s.interDigitTimeout, 3000));
    } else if (e.type === 'timerFired') {
      finish(run, s);
    }
  },
};
