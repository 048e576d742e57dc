import { describe, expect, it } from 'vitest';

import {
  validateFlowSource,
  validateNumbersSource,
  validateTestFileSource,
} from '../../../shared/flow/validate.js';
import { flowYaml } from './helpers.js';

const good = `  start:
    type: menu
    prompt: menu
    options: { "1": one, "2": bye }
    noInput: { next: bye }
    noMatch: { next: bye }
  one:
    type: play
    prompts: [hello]
    next: bye
  bye:
    type: hangup
    prompt: bye
`;
const issues = (yaml: string, opts = {}) => validateFlowSource(yaml, { file: 'f.yaml', ...opts }).issues;
const codes = (yaml: string, opts = {}) => issues(yaml, opts).map((i) => i.code);

describe('validateFlowSource', () => {
  it('accepts a good flow (warnings only for unused prompts) and returns it typed', () => {
    const r = validateFlowSource(flowYaml(good), { file: 'f.yaml' });
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.flow?.steps.start?.type).toBe('menu');
    expect(r.issues.map((i) => i.code)).toEqual(['FLOW.UNUSED_PROMPT', 'FLOW.UNUSED_PROMPT']);
  });

  it('reports every problem in one run, each at the line and column of its node', () => {
    const yaml = flowYaml(`  start:
    type: menu
    prompt: nope
    timeout: 5
    options: { "1": ghost, "X": bye, "2": bye }
  bye:
    type: hangup
`);
    const found = issues(yaml);
    const lines = yaml.split('\n');
    const at = (code: string) => found.find((i) => i.code === code)!;
    expect(at('FLOW.UNKNOWN_PROMPT')).toMatchObject({
      severity: 'error',
      line: lines.indexOf('    prompt: nope') + 1,
      col: 13,
    });
    expect(at('FLOW.DURATION')).toMatchObject({ line: lines.indexOf('    timeout: 5') + 1, col: 14 });
    expect(at('FLOW.DURATION').message).toContain('plain numbers are refused');
    expect(at('FLOW.UNKNOWN_STEP').message).toContain('"ghost"');
    expect(at('FLOW.INVALID_DTMF_KEY').message).toContain('"X"');
    expect(found.map((i) => i.code)).toEqual(
      expect.arrayContaining(['FLOW.MENU_NO_INPUT', 'FLOW.MENU_NO_MATCH']),
    );
    expect(found.find((i) => i.code === 'FLOW.MENU_NO_INPUT')?.severity).toBe('warning');
  });

  it.each([
    [
      'unknown field',
      good.replace('    next: bye\n', '    next: bye\n    colour: red\n'),
      'FLOW.UNKNOWN_FIELD',
    ],
    ['missing field', good.replace('    next: bye\n', ''), 'FLOW.MISSING_FIELD'],
    ['unknown step type', `${good}  x:\n    type: teleport\n`, 'FLOW.UNKNOWN_STEP_TYPE'],
    ['unreachable step', `${good}  lonely:\n    type: hangup\n`, 'FLOW.UNREACHABLE'],
    [
      'duplicate DTMF key',
      good.replace('{ "1": one, "2": bye }', '{ "1": one, 1: bye }'),
      'FLOW.DUPLICATE_DTMF_KEY',
    ],
    [
      'duplicate YAML key',
      good.replace('    prompts: [hello]\n', '    prompts: [hello]\n    prompts: [bye]\n'),
      'FLOW.DUPLICATE_KEY',
    ],
    [
      'bad pattern',
      `${good}  d:\n    type: collectDigits\n    prompt: hello\n    into: x\n    maxDigits: 3\n    pattern: "(["\n    next: bye\n`,
      'FLOW.BAD_PATTERN',
    ],
    [
      'min above max',
      `${good}  d:\n    type: collectDigits\n    prompt: hello\n    into: x\n    minDigits: 5\n    maxDigits: 3\n    next: bye\n`,
      'FLOW.DIGITS_RANGE',
    ],
    [
      'expression syntax',
      `${good}  s:\n    type: switch\n    cases: [{ when: "1 +", next: bye }]\n    default: bye\n`,
      'FLOW.EXPRESSION_SYNTAX',
    ],
    [
      'undeclared variable',
      `${good}  s:\n    type: switch\n    cases: [{ when: "mystery == 1", next: bye }]\n    default: bye\n`,
      'FLOW.UNDECLARED_VARIABLE',
    ],
    [
      'template variable',
      good
        .replace('  bye:\n    type: hangup', '  bye:\n    type: hangup')
        .replace('prompt: menu\n', 'prompt: menu\n') + '',
      null,
    ],
    [
      'bad hours',
      `${good}  h:\n    type: checkHours\n    schedule: { mon: ["18:00-09:00"] }\n    open: bye\n    closed: bye\n`,
      'FLOW.BAD_HOURS',
    ],
    [
      'overlapping hours',
      `${good}  h:\n    type: checkHours\n    schedule: { tue: ["09:00-12:00", "11:59-13:00"] }\n    open: bye\n    closed: bye\n`,
      'FLOW.OVERLAPPING_HOURS',
    ],
    [
      'bad holiday',
      `${good}  h:\n    type: checkHours\n    schedule: {}\n    holidays: ["2026-02-30"]\n    open: bye\n    closed: bye\n`,
      'FLOW.BAD_HOLIDAY',
    ],
    [
      'host off the allowlist',
      `${good}  api:\n    type: httpRequest\n    method: GET\n    url: https://evil.example/x\n    success: bye\n    error: bye\n`,
      'FLOW.HOST_NOT_ALLOWED',
    ],
    [
      'templated host',
      `${good}  api:\n    type: httpRequest\n    method: GET\n    url: "https://\${callId}.example/x"\n    success: bye\n    error: bye\n`,
      'FLOW.BAD_URL',
    ],
    [
      'redirect after answering',
      good.replace(
        'next: bye\n  bye:',
        'next: r\n  r:\n    type: redirect\n    target: { phone: "+14255550100" }\n  bye:',
      ),
      'FLOW.REDIRECT_AFTER_ANSWER',
    ],
    [
      'redirect to an application',
      good.replace('  start:\n', '  r0:\n    type: redirect\n    target: { application: x }\n  start:\n'),
      'FLOW.BAD_TARGET',
    ],
  ])('%s', (_name, steps, code) => {
    const found = codes(flowYaml(steps));
    if (code === null) expect(found.filter((c) => c !== 'FLOW.UNUSED_PROMPT')).toEqual([]);
    else expect(found).toContain(code);
  });

  it('finds loops a caller cannot leave and steps that can never end', () => {
    const stuck = flowYaml(`  start:
    type: play
    prompts: [hello]
    next: b
  b:
    type: play
    prompts: [bye]
    next: start
`);
    const r = issues(stuck);
    expect(r.filter((i) => i.code === 'FLOW.STUCK_CYCLE')).toHaveLength(1);
    expect(r.find((i) => i.code === 'FLOW.STUCK_CYCLE')?.message).toContain('"start" -> "b"');
    const dead = flowYaml(`  start:
    type: play
    prompts: [hello]
    next: a
  a:
    type: play
    prompts: [bye]
    next: b
  b:
    type: play
    prompts: [menu]
    next: b
`);
    const d = codes(dead);
    expect(d).toContain('FLOW.CANNOT_END');
    expect(d).toContain('FLOW.STUCK_CYCLE');
  });

  it('a condition must be boolean', () => {
    const yaml = flowYaml(
      `${good}  s:\n    type: switch\n    cases: [{ when: '"yes"', next: bye }]\n    default: bye\n`,
    );
    expect(issues(yaml).find((i) => i.code === 'FLOW.EXPRESSION_TYPE')?.message).toContain(
      'must be true or false',
    );
  });

  it("a step's error branch is not a way out of a loop in normal operation", () => {
    const yaml = flowYaml(`  start:
    type: play
    prompts: [hello]
    next: again
    error: bye
  again:
    type: play
    prompts: [menu]
    next: start
  bye:
    type: hangup
`);
    expect(codes(yaml)).toContain('FLOW.STUCK_CYCLE');
  });

  it('a loop through a menu with a way out is fine; an automatic loop is a warning', () => {
    const loop = flowYaml(
      `  start:
    type: setVariables
    set: { n: "n + 1" }
    next: check
  check:
    type: switch
    cases: [{ when: "n < 3", next: start }]
    default: bye
  bye:
    type: hangup
`,
      'variables: { n: 0 }',
    );
    const r = issues(loop);
    expect(r.find((i) => i.code === 'FLOW.AUTO_LOOP')?.severity).toBe('warning');
    expect(r.some((i) => i.severity === 'error')).toBe(false);
  });

  it('checks the timezone, the entry, apologyPrompt and audio through the hook', () => {
    const yaml = flowYaml(good)
      .replace('timezone: Europe/London', 'timezone: Mars/Base')
      .replace('entry: start', 'entry: nowhere')
      .replace('  hello: { text: Hello }', '  hello: { audio: hello.wav }')
      .replace('prompts:\n', 'apologyPrompt: gone\nprompts:\n');
    const found = codes(yaml, {
      checkAudio: (a: string) =>
        a === 'hello.wav' ? { code: 'FLOW.AUDIO_FORMAT', message: '8 kHz' } : undefined,
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'FLOW.BAD_TIMEZONE',
        'FLOW.UNKNOWN_STEP',
        'FLOW.UNKNOWN_PROMPT',
        'FLOW.AUDIO_FORMAT',
      ]),
    );
  });

  it('the deployment allowlist extends the flow one', () => {
    const yaml = flowYaml(
      `${good}  api:\n    type: httpRequest\n    method: GET\n    url: https://api.example/x\n    success: bye\n    error: bye\n`,
    );
    expect(codes(yaml)).toContain('FLOW.HOST_NOT_ALLOWED');
    expect(codes(yaml, { allowedHosts: ['api.example'] })).not.toContain('FLOW.HOST_NOT_ALLOWED');
  });

  it('accepts JSON', () => {
    const r = validateFlowSource(
      JSON.stringify({
        id: 'j',
        version: 1,
        description: 'd',
        timezone: 'UTC',
        entry: 'a',
        prompts: {},
        steps: { a: { type: 'hangup' } },
      }),
    );
    expect(r.issues).toEqual([]);
    expect(r.flow?.entry).toBe('a');
  });

  it('checks scenarios reference existing steps and prompts', () => {
    const yaml = `${flowYaml(good)}tests:\n  - name: t\n    expect: { path: [start, ghost], prompts: [hello, nope] }\n`;
    expect(codes(yaml)).toEqual(
      expect.arrayContaining(['FLOW.TEST_UNKNOWN_STEP', 'FLOW.TEST_UNKNOWN_PROMPT']),
    );
    const press = `${flowYaml(good)}tests:\n  - name: t\n    press: "w 1 q"\n    expect: {}\n`;
    expect(issues(press).find((i) => i.code === 'FLOW.BAD_PRESS')?.message).toContain('"q" is not a key');
  });
});

describe('numbers.yaml and *.test.yaml', () => {
  it('validates E.164 numbers and known flow ids', () => {
    const r = validateNumbersSource(
      'numbers:\n  "+14255550100": main\n  "4255550101": main\n  "+14255550102": gone\n',
      'n.yaml',
      new Set(['main']),
    );
    const c = r.issues.map((i) => i.code);
    expect(c).toContain('FLOW.BAD_NAME');
    expect(r.issues.find((i) => i.code === 'FLOW.BAD_NAME')).toMatchObject({ line: 3, col: 3 });
    const ok = validateNumbersSource(
      'numbers:\n  "+14255550100": main\n  "+14255550102": gone\n',
      'n.yaml',
      new Set(['main']),
    );
    expect(ok.issues).toMatchObject([{ code: 'FLOW.UNKNOWN_FLOW', line: 3 }]);
  });

  it('validates test files', () => {
    expect(validateTestFileSource('tests:\n  - name: x\n    expect: {}\n', 't.test.yaml').issues).toEqual([]);
    expect(validateTestFileSource('tests:\n  - expect: {}\n', 't.test.yaml').issues[0]?.code).toBe(
      'FLOW.MISSING_FIELD',
    );
  });
});
