import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { callerSteps, tokenizePress } from '../../cli/commands/call-script.js';
import { callExitCode, placeCall, renderCallReport } from '../../cli/commands/call.js';
import { idpUrlFor, planDemoCall, runStart, simUrlFor } from '../../cli/commands/host.js';
import { main } from '../../cli/main.js';
import { loadFlowFile } from '../../shared/flow/node/load.js';

const contoso = loadFlowFile(path.resolve('flows/contoso-main.yaml'));
const city = loadFlowFile(path.resolve('flows/city-power-outage.yaml'));
const OPEN = '2026-01-07T16:00:00Z'; // Wednesday 11:00 in New York

describe('callerSteps (flow-test press -> simulator caller script)', () => {
  it('times "w" by the prompts the flow plays before each key', () => {
    const steps = callerSteps({ press: 'w 2 w 123456#', at: OPEN }, contoso.flow);
    // welcome + mainMenu end before "2"; askAccount (the 3rd prompt) ends before the digits.
    expect(steps.filter((s) => typeof s !== 'string' && s.type !== 'say')).toEqual([
      { type: 'waitForPrompt', n: 2, phase: 'end' },
      { type: 'wait', ms: 300 },
      { type: 'press', keys: '2' },
      { type: 'waitForPrompt', n: 3, phase: 'end' },
      { type: 'wait', ms: 300 },
      { type: 'press', keys: '123456#' },
    ]);
  });

  it('presses during a prompt for barge-in after a pause, and hangs up where the scenario says', () => {
    expect(callerSteps({ press: 'w2500ms 1', at: OPEN }, contoso.flow).slice(0, 3)).toEqual([
      { type: 'waitForPrompt', n: 2, phase: 'start' },
      { type: 'wait', ms: 300 },
      { type: 'press', keys: '1' },
    ]);
    expect(callerSteps({ hangUp: { afterPrompt: 1 }, at: OPEN }, contoso.flow).slice(0, 2)).toEqual([
      { type: 'waitForPrompt', n: 1, phase: 'start' },
      { type: 'hangUp', when: 'now' },
    ]);
    const zip = callerSteps({ press: 'w 1 w 98 h' }, city.flow);
    expect(zip.at(-2)).toEqual({ type: 'hangUp', when: 'now' });
  });

  it('falls back to plain pauses without the flow, and names a bad token', () => {
    expect(callerSteps({ press: 'w 2' }).slice(0, 2)).toEqual([
      { type: 'wait', ms: 1500 },
      { type: 'press', keys: '2' },
    ]);
    expect(() => tokenizePress('w 2 x')).toThrow(/"x" is not keys/);
  });
});

describe('client URLs', () => {
  it('derive the simulator and identity provider from the host port unless set', () => {
    expect(simUrlFor('http://127.0.0.1:7071', {})).toBe('http://127.0.0.1:7072');
    expect(idpUrlFor('http://127.0.0.1:7071', {})).toBe('http://127.0.0.1:7073');
    expect(simUrlFor('http://127.0.0.1:7071', { SWITCHBOARD_SIM_URL: 'http://127.0.0.1:9/' })).toBe(
      'http://127.0.0.1:9',
    );
  });
});

describe('planDemoCall', () => {
  it('predicts the path at the given time with the interpreter', () => {
    const scenarios = contoso.scenarios.map((s) => s.scenario);
    const open = planDemoCall(contoso.flow!, scenarios, '+14255550100', new Date(OPEN));
    expect(open.press).toBe('w 1');
    expect(open.expectedPath).toEqual(['hours', 'greeting', 'mainMenu', 'sales']);
    const closed = planDemoCall(contoso.flow!, scenarios, '+14255550100', new Date('2026-01-07T23:30:00Z'));
    expect(closed.expectedPath).toEqual(['hours', 'afterHours', 'goodbye']);
    expect(closed.press).toBe(''); // out of hours the demo caller leaves a message
    expect(closed.expectedOutcome).toBe('voicemail');
  });
});

describe('switchboard call (errors)', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('rejects a number that is not E.164 and an unreachable host with one line, exit 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['node', 'switchboard', 'call', '12345'])).toBe(2);
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(/CALL\.BAD_NUMBER: "12345" is not an E\.164 number/);
    process.env.SWITCHBOARD_URL = 'http://127.0.0.1:9';
    try {
      expect(await main(['node', 'switchboard', 'call', '+14255550100', '--press', 'w 1'])).toBe(2);
    } finally {
      delete process.env.SWITCHBOARD_URL;
    }
    expect(String(err.mock.calls.at(-1)?.[0])).toMatch(
      /CALL\.UNREACHABLE: cannot reach http:\/\/127\.0\.0\.1:9/,
    );
    expect(String(err.mock.calls.at(-1)?.[0])).not.toMatch(/\n\s+at /);
  });
});

describe('switchboard start and call, against a running stack', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cli-host-'));
  const lines: string[] = [];
  let stop: () => void = () => undefined;
  let done: Promise<number>;
  let hostUrl = '';

  beforeAll(async () => {
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    done = runStart(
      { port: 0, dataDir: tmp, clockScale: 20, quiet: true },
      { out: (t) => lines.push(t), err: (t) => lines.push(t) },
      stopSignal,
    );
    const deadline = Date.now() + 60_000;
    while (!lines.some((l) => l.includes('Place a call')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    hostUrl = /Functions host\s+(\S+)/.exec(lines.join('\n'))?.[1] ?? '';
  });
  afterAll(async () => {
    stop();
    await done;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('prints the URLs, the bound numbers and how to place a call once /api/health answers', async () => {
    const banner = lines.join('\n');
    expect(banner).toMatch(/Graph simulator\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toMatch(/Identity \(APIs\)\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain('+14255550123 -> pharmacy-refill v1');
    expect(banner).toContain('npx switchboard call +14255550100 --press "w 2 w 123456#"');
    expect((await fetch(`${hostUrl}/api/health`)).status).toBe(200);
  });

  it('places a call that the flow rejects and reports it from the call record and the orchestration', async () => {
    const banner = lines.join('\n');
    const simUrl = /Graph simulator\s+(\S+)/.exec(banner)?.[1] ?? '';
    const idpUrl = /Identity \(APIs\)\s+(\S+)/.exec(banner)?.[1] ?? '';
    const report = await placeCall({
      number: '+14255550150',
      from: '+14255550666', // on the flow's blocked list
      hostUrl,
      simUrl,
      idpUrl,
      flowsDir: path.resolve('flows'),
      timeoutMs: 30_000,
    });
    expect(report.ended).toBe(true);
    expect(report.outcome).toBe('rejected (busy)');
    expect(report.steps).toEqual(['screen', 'blocked']);
    expect(report.stepsSource).toBe('call-record');
    expect(report.graphRequests.map((g) => `${g.method} ${g.path}`)).toEqual(['POST …/reject']);
    expect(callExitCode(report)).toBe(0);
    expect(renderCallReport(report)).toMatch(/Outcome: rejected \(busy\)/);
  });
});
