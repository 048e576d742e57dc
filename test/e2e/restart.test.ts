/**
 * The host process is killed (SIGKILL, no shutdown) in the middle of a call and started again on the
 * same data folder: the call continues where it was (Durable history and the embedded store are on
 * disk; Graph's notification retries cover the gap) and ends as its flow says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimClock, startGraphSimulator, type GraphSimulator } from '../../local/graph-sim/index.js';
import { freePort, LOCAL_BOT } from '../../local/stack.js';
import { callerSteps } from '../../cli/commands/call-script.js';
import { loadFlowFile } from '../../shared/flow/node/load.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-e2e-restart-'));
let sim: GraphSimulator | undefined;
let child: ChildProcess | undefined;

function startChild(config: object): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/e2e/stack-child.ts', JSON.stringify(config)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`child did not start: ${err}`)), 60_000);
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/READY \S+ 200/.test(out)) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

afterAll(async () => {
  child?.kill('SIGKILL');
  await sim?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('host killed and restarted mid-call', () => {
  it('continues the call after kill -9 and a restart on the same data folder', async () => {
    const port = await freePort();
    sim = await startGraphSimulator({
      botAppId: LOCAL_BOT.appId,
      botClientSecret: LOCAL_BOT.clientSecret,
      tenantId: LOCAL_BOT.tenantId,
      clock: createSimClock({ speed: 1 }),
      defaultCallbackUri: `http://127.0.0.1:${port}/api/calling`,
      // Generous notification retries: the host is down for a few seconds.
      notificationRetry: { maxRetries: 6, retryBaseMs: 1000 },
    });
    const config = {
      port,
      dataDir: path.join(tmp, 'data'),
      flowsDir: path.resolve('flows'),
      sim: {
        graphBaseUrl: sim.graphBaseUrl,
        authorityHost: sim.authorityHost,
        authorityMetadata: sim.authorityMetadata,
        openIdConfigurationUrl: sim.openIdConfigurationUrl,
        notificationIssuer: sim.notificationIssuer,
        tenantId: sim.tenantId,
      },
    };
    child = await startChild(config);

    const flow = loadFlowFile(path.resolve('flows/city-power-outage.yaml')).flow!;
    const press = 'w 1 w 98052 w 2';
    const call = await sim.placeCall({
      from: '+14255550142',
      to: '+14255550150',
      steps: callerSteps({ press, callerNumber: '+14255550142', dialledNumber: '+14255550150' }, flow),
    });
    // Wait until the ZIP code is in and the outage is being read out, then kill the host.
    await call.waitForState('established');
    const deadline = Date.now() + 60_000;
    while (!call.transcript.some((e) => e.type === 'promptStarted' && e.text?.includes('known outage')))
      if (Date.now() > deadline) throw new Error('the call never reached the outage prompt');
      else await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child?.once('exit', r));
    const requestsWhileDown = sim.requests(call.id).length;
    child = await startChild(config);

    const outcome = await call.ended();
    expect(outcome.reason).toBe('botHungUp');
    const prompts = call.transcript.flatMap((e) => (e.type === 'promptStarted' ? [e.text ?? ''] : []));
    expect(prompts.at(-1)).toMatch(/Thank you for calling City Power. Goodbye./);
    // Requests were made after the restart: the same instance carried on.
    expect(sim.requests(call.id).length).toBeGreaterThan(requestsWhileDown);
    expect(sim.requests(call.id).filter((r) => r.path.endsWith('/answer'))).toHaveLength(1);
  }, 180_000);
});
