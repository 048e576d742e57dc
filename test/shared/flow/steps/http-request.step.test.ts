import { describe, expect, it } from 'vitest';

import { handleEvent, startCall } from '../../../../shared/flow/interpreter.js';
import { templateHost } from '../../../../shared/flow/steps/http-request.step.js';
import { AT, flowFrom, flowYaml } from '../helpers.js';

const flow = flowFrom(
  flowYaml(
    `  start:
    type: httpRequest
    method: POST
    url: https://api.example.com/accounts/\${callerNumber}?q=\${size(callerNumber)}
    headers: { x-id: "\${callId}" }
    body: { n: "\${callerNumber}", fixed: 3, list: ["\${callId}"] }
    timeout: 2s
    into: res
    success: good
    error: bad
  good: { type: hangup }
  bad: { type: hangup, prompt: sorry }
`,
    'allowedHosts: [api.example.com]',
  ),
);
const call = { callId: 'c9', callerNumber: '+1425', dialledNumber: '+2', at: AT };

describe('httpRequest', () => {
  it('renders URL, headers and body templates into the command', () => {
    const r = startCall(flow, call);
    expect(r.commands).toEqual([
      {
        type: 'httpRequest',
        id: 'start#1',
        method: 'POST',
        url: 'https://api.example.com/accounts/+1425?q=5',
        headers: { 'x-id': 'c9' },
        body: { n: '+1425', fixed: 3, list: ['c9'] },
        timeoutMs: 2000,
      },
    ]);
  });

  it('2xx goes to success and stores {status, body}; others go to error', () => {
    const s0 = startCall(flow, call);
    const ok = handleEvent(flow, s0.state, {
      type: 'httpResult',
      commandId: 'start#1',
      status: 204,
      body: { a: 1 },
      at: AT,
    });
    expect(ok.state.vars.res).toEqual({ status: 204, body: { a: 1 } });
    expect(ok.transitions[0]).toMatchObject({ to: 'good', reason: 'success', input: '204' });
    const ko = handleEvent(flow, s0.state, {
      type: 'httpResult',
      commandId: 'start#1',
      status: 404,
      body: null,
      at: AT,
    });
    expect(ko.transitions[0]).toMatchObject({ to: 'bad', reason: 'error', input: '404' });
  });

  it('a failed activity takes the error branch, not the apology', () => {
    const s0 = startCall(flow, call);
    const r = handleEvent(flow, s0.state, {
      type: 'commandFailed',
      commandId: 'start#1',
      code: 'HTTP.TIMEOUT',
      message: 't',
      at: AT,
    });
    expect(r.transitions[0]).toMatchObject({ to: 'bad', reason: 'error', input: 'HTTP.TIMEOUT' });
  });

  it('templateHost requires a literal http(s) host', () => {
    expect(templateHost('https://API.example.com:8443/x/${a}')).toEqual({ host: 'api.example.com' });
    expect(templateHost('https://${host}/x')).toHaveProperty('error');
    expect(templateHost('ftp://a.example/x')).toHaveProperty('error');
    expect(templateHost('https://user:pw@a.example/')).toHaveProperty('error');
  });
});
