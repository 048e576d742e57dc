import { describe, expect, it } from 'vitest';

import { startCall } from '../../../../shared/flow/interpreter.js';
import { AT, flowFrom, flowYaml } from '../helpers.js';

const flow = flowFrom(
  flowYaml(
    `  start:
    type: setVariables
    set: { n: "n + 1", vip: 'callerNumber.startsWith("+1425")' }
    next: route
  route:
    type: switch
    cases:
      - { when: "vip && n > 1", next: vipLine }
      - { when: "n == 1", next: first }
    default: other
  vipLine: { type: hangup, prompt: hello }
  first: { type: hangup, prompt: bye }
  other: { type: reject, reason: none }
  blocked: { type: redirect, target: { phone: "+14255550100" } }
`,
    'variables: { n: 0 }',
  ),
);

describe('setVariables and switch', () => {
  it('evaluates CEL in order; the first true case wins', () => {
    const r = startCall(flow, { callId: 'c', callerNumber: '+14255550199', dialledNumber: '+2', at: AT });
    expect(r.state.vars).toMatchObject({ n: 1, vip: true });
    expect(r.transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'null>start:start',
      'start>route:next',
      'route>first:case:1',
    ]);
  });

  it('falls to default, and reject before answering ends with outcome rejected', () => {
    const f2 = { ...flow, variables: { n: 5 } };
    const r = startCall(f2, { callId: 'c', callerNumber: '+33', dialledNumber: '+2', at: AT });
    expect(r.transitions.at(-2)).toMatchObject({ from: 'route', to: 'other', reason: 'default' });
    expect(r.commands).toEqual([
      { type: 'reject', id: 'other#1', reason: 'none' },
      { type: 'end', outcome: { kind: 'rejected', reason: 'none' } },
    ]);
  });

  it('an expression failing at run time takes the failure path', () => {
    const f3 = flowFrom(
      flowYaml(
        `  start:
    type: switch
    cases: [{ when: 'account.body.tier == "gold"', next: a }]
    default: a
  a: { type: hangup }
`,
        'variables: { account: {} }'.replace('{}', 'null'),
      ),
    );
    const r = startCall(f3, { callId: 'c', callerNumber: '+1', dialledNumber: '+2', at: AT });
    expect(r.state.step).toBe('$recovery');
  });
});
