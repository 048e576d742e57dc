import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

import {
  handleEvent,
  startCall,
  validateFlowObject,
  type CallState,
  type FlowEvent,
} from '../../../shared/flow/index.js';

const flowsDir = join(import.meta.dirname, '..', '..', '..', 'flows');
const example = (name: string): unknown => parse(readFileSync(join(flowsDir, name), 'utf8'));

describe('validateFlowObject', () => {
  it('validates a parsed flow (as stored) and reports problems by path', () => {
    expect(validateFlowObject(example('contoso-main.yaml')).flow?.id).toBe('contoso-main');
    const broken = example('contoso-main.yaml') as {
      steps: { mainMenu: { options: Record<string, string> } };
    };
    broken.steps.mainMenu.options.X = 'sales';
    const r = validateFlowObject(broken);
    expect(r.flow).toBeUndefined();
    expect(r.issues).toMatchObject([
      { code: 'FLOW.INVALID_DTMF_KEY', path: 'steps.mainMenu.options.X', line: 1, col: 1 },
    ]);
  });
});

describe('the interpreter on the example flows (property-based)', () => {
  const event = fc.oneof(
    fc.record({
      type: fc.constant('tone' as const),
      key: fc.constantFrom('0', '1', '2', '3', '9', '#', '*'),
      sequenceId: fc.nat(50),
    }),
    fc.record({
      type: fc.constant('promptCompleted' as const),
      status: fc.constantFrom('completed' as const, 'failed' as const),
    }),
    fc.record({ type: fc.constant('timerFired' as const) }),
    fc.record({
      type: fc.constantFrom('transferAccepted' as const, 'transferFailed' as const, 'callerHungUp' as const),
    }),
    fc.record({
      type: fc.constant('httpResult' as const),
      status: fc.constantFrom(200, 404, 500),
      body: fc.jsonValue({ maxDepth: 3 }),
    }),
    fc.record({
      type: fc.constant('recordingCompleted' as const),
      status: fc.constantFrom('completed', 'failed'),
    }),
    fc.record({ type: fc.constant('commandFailed' as const) }),
  );

  it.each(['contoso-main.yaml', 'pharmacy-refill.yaml', 'city-power-outage.yaml'])(
    '%s: any event sequence keeps the call consistent',
    (name) => {
      const flow = validateFlowObject(example(name)).flow!;
      fc.assert(
        fc.property(fc.array(event, { maxLength: 60 }), (events) => {
          let r = startCall(flow, {
            callId: 'p',
            callerNumber: '+14255550199',
            dialledNumber: '+14255550100',
            at: '2026-01-07T16:00:00Z',
          });
          let state: CallState = r.state;
          let lastId = '';
          let timer = '';
          for (const e of events) {
            for (const c of r.commands) {
              if ('id' in c && c.type !== 'startTimer') lastId = c.id;
              if (c.type === 'startTimer') timer = c.name;
            }
            const full = {
              ...e,
              at: '2026-01-07T16:00:05Z',
              commandId: lastId,
              name: timer,
              code: 'E',
              message: 'm',
            } as unknown as FlowEvent;
            r = handleEvent(flow, state, full);
            const ends = r.commands.filter((c) => c.type === 'end');
            expect(ends.length).toBeLessThanOrEqual(1);
            if (ends.length === 1) expect(r.commands.at(-1)?.type).toBe('end');
            expect(r.state.status === 'ended').toBe(r.state.outcome !== undefined);
            if (r.state.status === 'running')
              expect(r.state.step === '$recovery' || r.state.step in flow.steps).toBe(true);
            state = r.state;
          }
        }),
        { numRuns: 150 },
      );
    },
  );
});
