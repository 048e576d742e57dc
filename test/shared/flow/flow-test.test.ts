import { describe, expect, it } from 'vitest';

import { parsePress, runScenario, runScenarios, simulate } from '../../../shared/flow/flow-test.js';
import { flowFrom, flowYaml } from './helpers.js';

const flow = flowFrom(
  flowYaml(`  start:
    type: menu
    prompt: menu
    options: { "1": one, "2": two }
    noInput: { next: two }
    noMatch: { next: two }
  one:
    type: play
    prompts: [hello]
    next: bye
  two:
    type: transfer
    target: { phone: "+14255550111" }
    failed: bye
  bye:
    type: hangup
    prompt: bye
`),
);

describe('parsePress', () => {
  it('reads keys, waits, pauses and hang-ups', () => {
    expect(parsePress(' w 12 w1500ms h ')).toEqual([
      { kind: 'waitIdle' },
      { kind: 'key', key: '1' },
      { kind: 'key', key: '2' },
      { kind: 'pause', ms: 1500 },
      { kind: 'hangUp' },
    ]);
    expect(() => parsePress('w 1 x')).toThrow(/"x" is not a key/);
  });
});

describe('simulate / runScenario', () => {
  it('plays the caller script on a virtual clock and reports path, prompts and outcome', () => {
    const r = simulate(flow, { name: 's', press: 'w 1', expect: {} });
    expect(r.path).toEqual(['start', 'one', 'bye']);
    expect(r.prompts).toEqual(['menu', 'hello', 'bye']);
    expect(r.outcomeText).toBe('completed');
    expect(r.callMs).toBe(6000);
  });

  it('a failing expectation fails the scenario with a readable message', () => {
    const r = runScenario(flow, {
      name: 's',
      press: 'w 1',
      expect: { path: ['start', 'two'], outcome: 'voicemail', variables: { lastChoice: '2' } },
    });
    expect(r.passed).toBe(false);
    expect(r.failures).toHaveLength(3);
    expect(r.failures[0]).toContain('start > two');
    expect(r.failures[1]).toBe('outcome: expected "voicemail", got "completed"');
  });

  it('stubs: a failed transfer takes the failed branch; hang-up after a prompt', () => {
    expect(
      runScenario(flow, {
        name: 't',
        press: 'w 2',
        stubs: { transfer: 'failed' },
        expect: { path: ['start', 'two', 'bye'], outcome: 'completed' },
      }).passed,
    ).toBe(true);
    expect(
      runScenario(flow, { name: 'h', hangUp: { afterPrompt: 1 }, expect: { outcome: 'hung up by caller' } })
        .passed,
    ).toBe(true);
    expect(
      runScenario(flow, {
        name: 'h2',
        hangUp: { after: '1s' },
        expect: { outcome: 'hung up by caller', path: ['start'] },
      }).passed,
    ).toBe(true);
  });

  it('a bad press script is a failure, not a crash', () => {
    const r = runScenario(flow, { name: 'bad', press: 'zzz', expect: {} });
    expect(r.passed).toBe(false);
    expect(r.failures[0]).toContain('FLOW.BAD_PRESS');
  });

  it('coverage lists the branches no scenario took', () => {
    const { coverage } = runScenarios(flow, [{ name: 'one', press: 'w 1', expect: {} }]);
    expect(coverage.covered).toEqual(['start --option:1--> one', 'one --next--> bye']);
    expect(coverage.uncovered).toEqual(
      expect.arrayContaining(['start --option:2--> two', 'two --failed--> bye', 'start --noInput--> two']),
    );
    expect(coverage.edges).toBe(coverage.covered.length + coverage.uncovered.length);
  });
});
