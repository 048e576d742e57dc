/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- wire JSON is checked by assertions against the fixtures, not by types */
// The Graph simulator's calls API and notifications, driven with plain fetch and checked against
// the shapes of Microsoft's own bodies in ../shared/fixtures/graph/.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulator } from '../../../local/graph-sim/index.js';
import {
  BOT,
  fixture,
  graphFor,
  keys,
  notificationsFor as notesOf,
  startTestSimulator,
  startWebhook,
  tempDir,
  waitFor,
  waitForNotificationOf,
  writeWav,
} from './helpers.js';
import type { Webhook, graph } from './helpers.js';

let sim: GraphSimulator;
let hook: Webhook;
let g: ReturnType<typeof graph>;
let dir: string;

beforeEach(async () => {
  hook = await startWebhook();
  dir = tempDir();
  sim = await startTestSimulator(hook.url, { notificationRetry: { retryBaseMs: 100 } });
  g = await graphFor(sim);
});

afterEach(async () => {
  await sim.stop();
  await hook.close();
});

const notificationsFor = (callId: string) => notesOf(hook, callId);
const stateNotes = (callId: string) =>
  notificationsFor(callId)
    .filter((n) => n.resourceData?.['@odata.type'] === '#microsoft.graph.call')
    .map((n) => n.resourceData.state);

async function answered(script: Parameters<GraphSimulator['placeCall']>[0]) {
  const call = await sim.placeCall(script);
  await waitFor(() => notificationsFor(call.id).length >= 1, 5000, 'incoming notification');
  // The fixture's callbackUri is the docs' bot.contoso.com: point it back at our webhook.
  const res = await g('POST', `/communications/calls/${call.id}/answer`, {
    ...fixture('request-answer-service-hosted-media.json'),
    callbackUri: hook.url,
  });
  expect(res.status).toBe(202);
  return call;
}

describe('incoming call, answer, prompt, tones, hang-up', () => {
  it('posts Graph-shaped notifications in order, signed for the bot', async () => {
    const wav = writeWav(dir, 'welcome.wav', 2000);
    const call = await sim.placeCall({
      from: '+14255550100',
      to: '+18005550199',
      steps: [
        { type: 'waitForPrompt', n: 1, phase: 'end' },
        'w 12',
        { type: 'wait', ms: 500 },
        { type: 'hangUp' },
      ],
    });
    const incoming = await waitFor(() => notificationsFor(call.id)[0], 5000, 'incoming');
    const ref = fixture('notification-incoming-call-pstn-app-instance.json');
    expect(incoming['@odata.type']).toBe(ref.value[0]['@odata.type']);
    expect(incoming.changeType).toBe('created');
    expect(incoming.resourceUrl).toBe(`/communications/calls/${call.id}`);
    expect(incoming.resourceData).toMatchObject({
      '@odata.type': '#microsoft.graph.call',
      state: 'incoming',
      direction: 'incoming',
      id: call.id,
    });
    expect(incoming.resourceData.source.identity.phone.id).toBe('+14255550100');
    expect(incoming.resourceData.targets[0].identity.phone.id).toBe('+18005550199');
    for (const k of keys(ref.value[0].resourceData)) expect(incoming.resourceData).toHaveProperty([k]);
    expect(hook.received[0]!.body['@odata.type']).toBe('#microsoft.graph.commsNotifications');

    // The bearer token verifies against the simulator's OpenID configuration, like api.aps.skype.com.
    const oidc = (await (await fetch(sim.openIdConfigurationUrl)).json()) as {
      jwks_uri: string;
      issuer: string;
    };
    expect(oidc.issuer).toBe('https://api.botframework.com');
    const token = hook.received[0]!.authorization!.replace(/^Bearer /, '');
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(oidc.jwks_uri)), {
      issuer: 'https://api.botframework.com',
      audience: BOT,
    });
    expect(payload.tid).toBe(sim.tenantId);
    expect(typeof payload.exp).toBe('number');

    const answer = { ...fixture('request-answer-service-hosted-media.json'), callbackUri: hook.url };
    expect((await g('POST', `/communications/calls/${call.id}/answer`, answer)).status).toBe(202);
    // Answering twice is refused.
    const twice = await g('POST', `/communications/calls/${call.id}/answer`, answer);
    expect(twice.status).toBe(409);
    expect(keys(twice.body.error)).toEqual(['code', 'innerError', 'message']);
    expect(keys(twice.body.error.innerError)).toEqual(['client-request-id', 'date', 'request-id']);

    await waitFor(() => stateNotes(call.id).includes('established'), 5000, 'established');
    const est = notificationsFor(call.id).find((n) => n.resourceData.state === 'established');
    expect(est.changeType).toBe('updated');
    expect(est.resourceData.mediaState.audio).toBe('active');

    const sub = await g(
      'POST',
      `/communications/calls/${call.id}/subscribeToTone`,
      fixture('request-subscribetotone.json'),
    );
    expect(sub.status).toBe(200);
    expect(keys(sub.body)).toEqual(
      expect.arrayContaining(keys(fixture('response-subscribetotone-operation.json'))),
    );
    expect(sub.body.status).toBe('completed');
    expect(sub.body.clientContext).toBe(fixture('request-subscribetotone.json').clientContext);

    const play = await g('POST', `/communications/calls/${call.id}/playPrompt`, {
      clientContext: 'ctx-play-1',
      prompts: [{ '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: wav, resourceId: 'r1' } }],
    });
    expect(play.status).toBe(200);
    expect(keys(play.body)).toEqual(
      expect.arrayContaining(keys(fixture('response-playprompt-operation.json'))),
    );
    expect(play.body).toMatchObject({
      '@odata.type': '#microsoft.graph.playPromptOperation',
      status: 'running',
      clientContext: 'ctx-play-1',
    });
    expect(play.headers.get('location')).toContain(
      `/communications/calls/${call.id}/operations/${play.body.id}`,
    );

    const outcome = await call.ended();
    expect(outcome.reason).toBe('callerHungUp');
    await sim.notificationsIdle(call.id);

    const done = notificationsFor(call.id).find(
      (n) => n.resourceData['@odata.type'] === '#microsoft.graph.playPromptOperation',
    );
    const doneRef = fixture('notification-playprompt-completed.json').value[0];
    expect(done.changeType).toBe('deleted');
    expect(done.resourceUrl).toBe(`/communications/calls/${call.id}/operations/${play.body.id}`);
    expect(done.resourceData).toMatchObject({
      status: 'completed',
      clientContext: 'ctx-play-1',
      resultInfo: { code: 200, subcode: 0 },
    });
    for (const k of keys(doneRef.resourceData)) expect(done.resourceData).toHaveProperty([k]);

    // The prompt lasted its audio's length in simulated time.
    const playDelivery = sim
      .deliveries(call.id)
      .find((d) => d.odataType === '#microsoft.graph.playPromptOperation')!;
    const promptStart = call.transcript.find((e) => e.type === 'promptStarted')!;
    expect(promptStart).toMatchObject({ n: 1, uri: wav, durationMs: 2000 });
    expect(playDelivery.outcome).toBe('delivered');
    const finished = call.transcript.find((e) => e.type === 'promptFinished')!;
    expect(finished.at - promptStart.at).toBeGreaterThanOrEqual(2000);

    // Tones: call `updated` with toneInfo, increasing sequenceId, after the prompt ended.
    const tones = notificationsFor(call.id).filter((n) => n.resourceData.toneInfo);
    expect(tones.map((n) => n.resourceData.toneInfo.tone)).toEqual(['tone1', 'tone2']);
    expect(tones.map((n) => n.resourceData.toneInfo.sequenceId)).toEqual([1, 2]);
    expect(tones[0].resourceData.toneInfo['@odata.type']).toBe(
      fixture('notification-tone-received.json').value[0].resourceData.toneInfo['@odata.type'],
    );

    const last = notificationsFor(call.id).at(-1);
    expect(last.changeType).toBe('deleted');
    expect(last.resourceData.state).toBe('terminated');
    expect(last.resourceData.resultInfo).toMatchObject({ '@odata.type': '#microsoft.graph.resultInfo' });
    expect(stateNotes(call.id)).toEqual([
      'incoming',
      'establishing',
      'established',
      'established',
      'established',
      'terminated',
    ]);

    // Actions on a terminated call: 404 with Graph's error body.
    const after = await g('POST', `/communications/calls/${call.id}/playPrompt`, {
      prompts: [{ mediaInfo: { uri: wav } }],
    });
    expect(after.status).toBe(404);
    expect(after.body.error.code).toBe('itemNotFound');

    // Everything the bot asked, in order, with statuses.
    expect(sim.requests(call.id).map((r) => `${r.method} ${r.path.split('/').at(-1)} ${r.status}`)).toEqual([
      `POST answer 202`,
      `POST answer 409`,
      `POST subscribeToTone 200`,
      `POST playPrompt 200`,
      `POST playPrompt 404`,
    ]);
    expect(
      call.transcript
        .filter((e) => e.type === 'keyPressed')
        .map((e) => (e.type === 'keyPressed' ? e.key : '')),
    ).toEqual(['1', '2']);
  });

  it('bot hang-up sends terminating then terminated 200/5001; unknown calls are 404', async () => {
    const call = await answered({ from: { userId: 'u-1', displayName: 'Ann' }, to: BOT });
    await waitFor(() => call.state === 'established', 5000, 'established');
    expect((await g('DELETE', `/communications/calls/${call.id}`)).status).toBe(204);
    const outcome = await call.ended();
    expect(outcome.reason).toBe('botHungUp');
    expect(outcome.resultInfo).toMatchObject({ code: 200, subcode: 5001 });
    await sim.notificationsIdle(call.id);
    expect(stateNotes(call.id).slice(-2)).toEqual(['terminating', 'terminated']);
    const missing = await g('GET', '/communications/calls/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error.innerError['request-id']).toBe(missing.headers.get('request-id'));
  });

  it('drops an incoming call that is not answered within the ringing timeout', async () => {
    await sim.stop();
    sim = await startTestSimulator(hook.url, { ringingTimeoutMs: 15_000 });
    const call = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    const outcome = await call.ended();
    expect(outcome.reason).toBe('notAnswered');
    expect(outcome.at).toBeGreaterThanOrEqual(15_000);
    await sim.notificationsIdle(call.id);
    expect(stateNotes(call.id)).toEqual(['incoming', 'terminated']);
  });

  it('reject posts the deleted notification of the reject fixture; redirect terminates', async () => {
    const c1 = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    expect(
      (await g('POST', `/communications/calls/${c1.id}/reject`, fixture('request-reject-busy.json'))).status,
    ).toBe(202);
    expect((await c1.ended()).reason).toBe('rejected');
    await sim.notificationsIdle(c1.id);
    const del = notificationsFor(c1.id).at(-1);
    expect(del.changeType).toBe('deleted');
    expect(keys(del.resourceData)).toEqual(
      keys(fixture('notification-call-deleted-after-reject.json').value[0].resourceData),
    );

    const c2 = await sim.placeCall({ from: '+14255550100', to: '+18005550199' });
    expect(
      (await g('POST', `/communications/calls/${c2.id}/redirect`, fixture('request-redirect-pstn.json')))
        .status,
    ).toBe(202);
    expect((await c2.ended()).reason).toBe('redirected');
    expect(c2.transcript.some((e) => e.type === 'transfer' && e.target.startsWith('phone:'))).toBe(true);
  });
});

describe('prompts Graph cannot play', () => {
  it('fails the playPrompt operation for a wrong format, an unreachable host and a missing file', async () => {
    const call = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => call.state === 'established', 5000, 'established');
    const bad8k = writeWav(dir, 'eight-k.wav', 500, 8000);
    const stereo = writeWav(dir, 'stereo.wav', 500, 16000, 2);
    for (const [ctx, uri] of [
      ['fmt', bad8k],
      ['stereo', stereo],
      ['remote', 'https://cdn.contoso.com/beep.wav'],
      ['missing', `file://${dir}/nope.wav`],
    ] as const) {
      const res = await g('POST', `/communications/calls/${call.id}/playPrompt`, {
        clientContext: ctx,
        prompts: [{ mediaInfo: { uri } }],
      });
      expect(res.status).toBe(200);
    }
    await waitFor(
      () =>
        notificationsFor(call.id).filter(
          (n) => n.resourceData['@odata.type'] === '#microsoft.graph.playPromptOperation',
        ).length === 4,
      5000,
      'four failures',
    );
    const ops = notificationsFor(call.id).filter(
      (n) => n.resourceData['@odata.type'] === '#microsoft.graph.playPromptOperation',
    );
    expect(
      ops.map((n) => [
        n.resourceData.clientContext,
        n.resourceData.status,
        n.resourceData.resultInfo.code,
        n.resourceData.resultInfo.subcode,
      ]),
    ).toEqual([
      ['fmt', 'failed', 400, 8535],
      ['stereo', 'failed', 400, 8535],
      ['remote', 'failed', 400, 8536],
      ['missing', 'failed', 400, 8536],
    ]);
    expect(call.transcript.filter((e) => e.type === 'promptStarted')).toHaveLength(0);
  });

  it('cancelMediaProcessing fails the running prompt with 400/8508 and completes synchronously', async () => {
    const long = writeWav(dir, 'long.wav', 30_000);
    const call = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => call.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${call.id}/playPrompt`, {
      clientContext: 'long',
      prompts: [{ mediaInfo: { uri: long } }],
    });
    await waitFor(() => call.transcript.some((e) => e.type === 'promptStarted'), 5000, 'prompt start');
    const cancel = await g(
      'POST',
      `/communications/calls/${call.id}/cancelMediaProcessing`,
      fixture('request-cancelmediaprocessing.json'),
    );
    expect(cancel.status).toBe(200);
    expect(keys(cancel.body)).toEqual(
      expect.arrayContaining(keys(fixture('response-cancelmediaprocessing-operation.json'))),
    );
    const failed = await waitFor(
      () => notificationsFor(call.id).find((n) => n.resourceData.clientContext === 'long'),
      5000,
      'canceled op',
    );
    expect(failed.resourceData).toMatchObject({ status: 'failed', resultInfo: { code: 400, subcode: 8508 } });
    expect(call.transcript.find((e) => e.type === 'promptFinished')).toMatchObject({ interrupted: true });
  });

  it('speaks text-only prompts at the speaking rate', async () => {
    const call = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => call.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${call.id}/playPrompt`, {
      prompts: [{ text: 'one two three four five' }],
    });
    const started = await waitFor(
      () => call.transcript.find((e) => e.type === 'promptStarted'),
      5000,
      'prompt',
    );
    // 5 words at 150 wpm = 2 s
    expect(started).toMatchObject({ durationMs: 2000, text: 'one two three four five' });
  });
});

describe('recordResponse', () => {
  it('ends on silence after speech and serves the WAV only with the access token', async () => {
    const call = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [{ type: 'say', ms: 1500 }],
    });
    await waitFor(() => call.state === 'established', 5000, 'established');
    const res = await g('POST', `/communications/calls/${call.id}/recordResponse`, {
      ...fixture('request-recordresponse.json'),
      prompts: [],
    });
    expect(res.status).toBe(200);
    expect(keys(res.body)).toEqual(
      expect.arrayContaining(keys(fixture('response-recordresponse-operation.json'))),
    );
    const done = await waitForNotificationOf(hook, call.id, '#microsoft.graph.recordOperation', 10_000);
    expect(done.resourceData).toMatchObject({
      status: 'completed',
      clientContext: 'd45324c1-fcb5-430a-902c-f20af696537c',
      resultInfo: { code: 200, subcode: 8513 },
    });
    for (const k of keys(fixture('notification-recordresponse-completed.json').value[0].resourceData))
      expect(done.resourceData).toHaveProperty([k]);
    const rec = call.transcript.find((e) => e.type === 'recording');
    // 300 ms beep, then 1.5 s speech + 2 s max silence
    expect(rec && rec.type === 'recording' ? rec.durationMs : 0).toBeGreaterThanOrEqual(3500);
    expect((await fetch(done.resourceData.recordingLocation)).status).toBe(401);
    const wav = await fetch(done.resourceData.recordingLocation, {
      headers: { authorization: `Bearer ${done.resourceData.recordingAccessToken}` },
    });
    expect(wav.status).toBe(200);
    const { wavDurationMs } = await import('../../../local/graph-sim/index.js');
    expect(wavDurationMs(new Uint8Array(await wav.arrayBuffer()))).toBeGreaterThanOrEqual(3500);
  });

  it('ends on a stop tone, on max duration, and fails on initial silence', async () => {
    const c1 = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [{ type: 'say', ms: 500 }, '#'],
    });
    await waitFor(() => c1.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${c1.id}/recordResponse`, {
      clientContext: 'stop',
      stopTones: ['#'],
      maxRecordDurationInSeconds: 10,
    });
    const stop = await waitFor(
      () => notificationsFor(c1.id).find((n) => n.resourceData.clientContext === 'stop'),
      10_000,
      'stop',
    );
    expect(stop.resourceData.resultInfo).toMatchObject({ code: 200, subcode: 8514 });

    const c2 = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [{ type: 'say', ms: 60_000 }],
    });
    await waitFor(() => c2.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${c2.id}/recordResponse`, {
      clientContext: 'max',
      maxRecordDurationInSeconds: 3,
    });
    const max = await waitFor(
      () => notificationsFor(c2.id).find((n) => n.resourceData.clientContext === 'max'),
      10_000,
      'max',
    );
    expect(max.resourceData.resultInfo).toMatchObject({ code: 200, subcode: 8515 });

    const c3 = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => c3.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${c3.id}/recordResponse`, {
      clientContext: 'quiet',
      initialSilenceTimeoutInSeconds: 2,
    });
    const quiet = await waitFor(
      () => notificationsFor(c3.id).find((n) => n.resourceData.clientContext === 'quiet'),
      10_000,
      'quiet',
    );
    expect(quiet.resourceData).toMatchObject({
      status: 'failed',
      resultInfo: { code: 400, subcode: 8510 },
      recordingLocation: null,
    });
  });
});

describe('recordResponse barge-in and cancel', () => {
  it('stops its prompt when the caller speaks (bargeInAllowed) and records; cancel fails it with 8508', async () => {
    const long = writeWav(dir, 'record-prompt.wav', 10_000);
    const call = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [
        { type: 'waitForPrompt', n: 1 },
        { type: 'wait', ms: 1000 },
        { type: 'say', ms: 800, waitForRecording: false },
      ],
    });
    await waitFor(() => call.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${call.id}/recordResponse`, {
      clientContext: 'barge',
      bargeInAllowed: true,
      maxSilenceTimeoutInSeconds: 1,
      prompts: [{ mediaInfo: { uri: long } }],
    });
    const done = await waitFor(
      () => notificationsFor(call.id).find((n) => n.resourceData.clientContext === 'barge'),
      10_000,
      'barge',
    );
    expect(done.resourceData).toMatchObject({ status: 'completed', resultInfo: { subcode: 8513 } });
    const finished = call.transcript.find((e) => e.type === 'promptFinished')!;
    const started = call.transcript.find((e) => e.type === 'promptStarted')!;
    expect(finished).toMatchObject({ interrupted: true });
    expect(finished.at - started.at).toBeLessThan(10_000);

    await g('POST', `/communications/calls/${call.id}/recordResponse`, {
      clientContext: 'cancel-me',
      bargeInAllowed: true,
      prompts: [{ mediaInfo: { uri: long } }],
    });
    await waitFor(
      () => call.transcript.filter((e) => e.type === 'promptStarted').length === 2,
      5000,
      'second prompt',
    );
    await g('POST', `/communications/calls/${call.id}/cancelMediaProcessing`, { clientContext: 'c' });
    const canceled = await waitFor(
      () => notificationsFor(call.id).find((n) => n.resourceData.clientContext === 'cancel-me'),
      5000,
      'canceled',
    );
    expect(canceled.resourceData).toMatchObject({
      status: 'failed',
      resultInfo: { code: 400, subcode: 8508 },
    });
  });
});

describe('transfer', () => {
  it('completes with transferring, transferAccepted and terminated 0/7015', async () => {
    const call = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [{ type: 'transferTarget', outcome: 'accept', afterMs: 500 }],
    });
    await waitFor(() => call.state === 'established', 5000, 'established');
    expect(
      (await g('POST', `/communications/calls/${call.id}/transfer`, fixture('request-transfer-pstn.json')))
        .status,
    ).toBe(202);
    const outcome = await call.ended();
    expect(outcome.reason).toBe('transferred');
    await sim.notificationsIdle(call.id);
    expect(stateNotes(call.id).slice(-3)).toEqual(['transferring', 'transferAccepted', 'terminated']);
    const last = notificationsFor(call.id).at(-1);
    expect(last.resourceData.resultInfo).toEqual(
      fixture('notification-transfer-completed.json').value[0].resourceData.resultInfo,
    );
  });

  it('fails back to established with 500/7000, and the caller can hang up during a transfer', async () => {
    const call = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [{ type: 'transferTarget', outcome: 'fail' }],
    });
    await waitFor(() => call.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${call.id}/transfer`, fixture('request-transfer.json'));
    await waitFor(() => call.transcript.some((e) => e.type === 'transfer'), 5000, 'transfer result');
    await sim.notificationsIdle(call.id);
    const last = notificationsFor(call.id).at(-1);
    expect(last.resourceData).toMatchObject({
      state: 'established',
      resultInfo: { code: 500, subcode: 7000 },
    });
    expect(call.state).toBe('established');

    const c2 = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [
        { type: 'transferTarget', outcome: 'accept', afterMs: 5000 },
        { type: 'hangUp', when: 'duringTransfer' },
      ],
    });
    await waitFor(() => c2.state === 'established', 5000, 'established');
    await g('POST', `/communications/calls/${c2.id}/transfer`, fixture('request-transfer.json'));
    expect((await c2.ended()).reason).toBe('callerHungUp');
  });
});

describe('other call actions', () => {
  it('mute, unmute, updateRecordingStatus, keepAlive, sendDtmfTones and participants', async () => {
    const call = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => call.state === 'established', 5000, 'established');
    const base = `/communications/calls/${call.id}`;
    const mute = await g('POST', `${base}/mute`, fixture('request-mute.json'));
    expect(mute.body).toMatchObject({
      '@odata.type': '#microsoft.graph.muteParticipantOperation',
      status: 'completed',
    });
    expect((await g('POST', `${base}/unmute`, fixture('request-unmute.json'))).body['@odata.type']).toBe(
      '#microsoft.graph.unmuteParticipantOperation',
    );
    expect(
      (await g('POST', `${base}/updateRecordingStatus`, fixture('request-updaterecordingstatus.json')))
        .status,
    ).toBe(400);
    expect(
      (await g('POST', `${base}/updateRecordingStatus`, { clientContext: 'c', status: 'recording' })).body
        .status,
    ).toBe('completed');
    expect((await g('POST', `${base}/keepAlive`)).status).toBe(200);
    const dtmf = await g('POST', `${base}/sendDtmfTones`, fixture('request-senddtmftones.json'));
    expect(dtmf.body.status).toBe('running');
    const dtmfDone = await waitForNotificationOf(
      hook,
      call.id,
      '#microsoft.graph.sendDtmfTonesOperation',
      10_000,
    );
    expect(dtmfDone.resourceData).toMatchObject({
      status: 'completed',
      completionReason: 'completedSuccessfully',
    });

    const list = await g('GET', `${base}/participants`);
    expect(list.body.value).toHaveLength(2);
    const invite = await g(
      'POST',
      `${base}/participants/invite`,
      fixture('request-participants-invite.json'),
    );
    expect(invite.body['@odata.type']).toBe('#microsoft.graph.inviteParticipantsOperation');
    await waitForNotificationOf(hook, call.id, '#microsoft.graph.inviteParticipantsOperation', 10_000);
    expect((await g('GET', `${base}/participants`)).body.value).toHaveLength(3);
    const roster = notificationsFor(call.id).filter((n) => n.resourceUrl.endsWith('/participants'));
    expect(Array.isArray(roster.at(-1).resourceData)).toBe(true);
    const third = (await g('GET', `${base}/participants`)).body.value[2].id as string;
    expect(
      (await g('POST', `${base}/participants/${third}/mute`, fixture('request-participant-mute.json'))).body
        .status,
    ).toBe('completed');
    expect((await g('DELETE', `${base}/participants/${third}`)).status).toBe(204);
    expect((await g('GET', `${base}/participants/${third}`)).status).toBe(404);
    expect((await g('POST', `${base}/frobnicate`, {})).status).toBe(400);
    const get = await g('GET', base);
    expect(get.body).toMatchObject({ id: call.id, state: 'established', direction: 'incoming' });
  });

  it('creates an outbound call (201, establishing) that becomes established', async () => {
    const body = { ...fixture('request-create-call-service-hosted-media.json'), callbackUri: hook.url };
    const res = await g('POST', '/communications/calls', body);
    expect(res.status).toBe(201);
    for (const k of [
      '@odata.type',
      'state',
      'direction',
      'callbackUri',
      'source',
      'targets',
      'requestedModalities',
      'mediaConfig',
      'myParticipantId',
      'id',
    ]) {
      expect(res.body).toHaveProperty([k]);
    }
    expect(res.body).toMatchObject({ state: 'establishing', direction: 'outgoing' });
    expect(res.headers.get('location')).toBe(`${sim.graphBaseUrl}/communications/calls/${res.body.id}`);
    await waitFor(() => stateNotes(res.body.id).includes('established'), 5000, 'outbound established');
    expect((await g('POST', '/communications/calls', { callbackUri: hook.url })).status).toBe(400);
  });

  it('rejects missing, malformed and foreign tokens with 401 and Graph error bodies', async () => {
    const none = await fetch(`${sim.graphBaseUrl}/communications/calls/x`);
    expect(none.status).toBe(401);
    const body = (await none.json()) as any;
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.message).toBe('Access token is empty.');
    const junk = await fetch(`${sim.graphBaseUrl}/communications/calls/x`, {
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect(junk.status).toBe(401);
    // A notification token (signed by the other key, other audience) is no Graph access token.
    const other = hook.received[0]?.authorization;
    if (other !== undefined)
      expect(
        (await fetch(`${sim.graphBaseUrl}/communications/calls/x`, { headers: { authorization: other } }))
          .status,
      ).toBe(401);
    expect(sim.requests().every((r) => r.status === 401)).toBe(true);
  });
});

describe('hold music, screen sharing role and keep-alive', () => {
  it('puts a participant on hold and back with operations completed by notification', async () => {
    const call = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => call.state === 'established', 5000, 'established');
    const base = `/communications/calls/${call.id}`;
    const caller = (await g('GET', `${base}/participants`)).body.value[0].id as string;
    const start = await g(
      'POST',
      `${base}/participants/${caller}/startHoldMusic`,
      fixture('request-participant-startholdmusic.json'),
    );
    expect(start.status).toBe(202);
    expect(keys(start.body)).toEqual(
      expect.arrayContaining(keys(fixture('response-startholdmusic-operation.json'))),
    );
    // The fixture's customPrompt is on cdn.contoso.com: unreachable from here, so the operation fails.
    const failed = await waitForNotificationOf(
      hook,
      call.id,
      '#microsoft.graph.startHoldMusicOperation',
      5000,
    );
    expect(failed.resourceData).toMatchObject({ status: 'failed', resultInfo: { code: 400, subcode: 8536 } });
    expect((await g('POST', `${base}/participants/${caller}/stopHoldMusic`, {})).status).toBe(409);
    expect(
      (await g('POST', `${base}/participants/${caller}/startHoldMusic`, { clientContext: 'hold' })).status,
    ).toBe(202);
    await waitFor(
      () => notificationsFor(call.id).find((n) => n.resourceData.clientContext === 'hold'),
      5000,
      'hold',
    );
    expect((await g('POST', `${base}/participants/${caller}/startHoldMusic`, {})).status).toBe(409);
    expect(
      (await g('POST', `${base}/participants/${caller}/stopHoldMusic`, { clientContext: 'unhold' })).status,
    ).toBe(202);
    const unhold = await waitFor(
      () => notificationsFor(call.id).find((n) => n.resourceData.clientContext === 'unhold'),
      5000,
      'unhold',
    );
    expect(unhold.resourceData).toMatchObject({
      '@odata.type': '#microsoft.graph.stopHoldMusicOperation',
      status: 'completed',
    });
    expect(
      (await g('POST', `${base}/changeScreenSharingRole`, fixture('request-changescreensharingrole.json')))
        .status,
    ).toBe(200);
    expect((await g('POST', `${base}/changeScreenSharingRole`, { role: 'owner' })).status).toBe(400);
  });

  it('ends an established call that gets no keepAlive within the interval, and keepAlive extends it', async () => {
    await sim.stop();
    sim = await startTestSimulator(hook.url, { keepAliveTimeoutMs: 100_000 });
    g = await graphFor(sim);
    const call = await answered({ from: '+14255550100', to: '+18005550199' });
    await waitFor(() => call.state === 'established', 5000, 'established');
    const established = call.transcript.find((e) => e.type === 'state' && e.state === 'established')!.at;
    await sim.clock.sleep(20_000);
    expect((await g('POST', `/communications/calls/${call.id}/keepAlive`)).status).toBe(200);
    const outcome = await call.ended();
    expect(outcome.reason).toBe('keepAliveExpired');
    expect(outcome.at - established).toBeGreaterThanOrEqual(120_000);
  });
});

describe('prompt sources', () => {
  it('plays relative paths under promptBaseDir, loopback http URLs and a custom fetchPrompt, and reads .txt sidecars', async () => {
    await sim.stop();
    writeWav(dir, 'hello.wav', 1200);
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'Hello and welcome.\n');
    const served = fs.readFileSync(path.join(dir, 'hello.wav'));
    const web = http.createServer((_req, res) => res.end(served));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const httpUri = `http://127.0.0.1:${(web.address() as { port: number }).port}/p/hello.wav`;
    const fetched: string[] = [];
    for (const variant of ['base', 'custom'] as const) {
      sim = await startTestSimulator(hook.url, {
        promptBaseDir: dir,
        ...(variant === 'custom'
          ? { fetchPrompt: (uri: string) => (fetched.push(uri), Promise.resolve(served)) }
          : {}),
      });
      g = await graphFor(sim);
      const call = await answered({ from: '+14255550100', to: '+18005550199' });
      await waitFor(() => call.state === 'established', 5000, 'established');
      const uris = variant === 'base' ? ['hello.wav', httpUri] : ['x-custom:hello'];
      await g('POST', `/communications/calls/${call.id}/playPrompt`, {
        clientContext: variant,
        prompts: uris.map((uri) => ({ mediaInfo: { uri } })),
      });
      const done = await waitFor(
        () => notificationsFor(call.id).find((n) => n.resourceData.clientContext === variant),
        5000,
        variant,
      );
      expect(done.resourceData.status).toBe('completed');
      const heard = call.transcript.filter((e) => e.type === 'promptStarted');
      expect(heard.map((e) => (e.type === 'promptStarted' ? [e.uri, e.durationMs] : []))).toEqual(
        uris.map((u) => [u, 1200]),
      );
      if (variant === 'base') expect(heard[0]).toMatchObject({ text: 'Hello and welcome.' });
      await sim.stop();
    }
    expect(fetched).toEqual(['x-custom:hello']);
    await new Promise<void>((resolve) => web.close(() => resolve()));
  });
});

describe('outbound callees', () => {
  it('follows queued callee scripts: accept with key presses, decline, no answer', async () => {
    await sim.stop();
    sim = await startTestSimulator(hook.url, { ringingTimeoutMs: 20_000 });
    g = await graphFor(sim);
    const create = () =>
      g('POST', '/communications/calls', {
        ...fixture('request-create-call-pstn-service-hosted-media.json'),
        callbackUri: hook.url,
      });
    sim.expectOutboundCall({
      answer: 'accept',
      afterMs: 300,
      steps: [{ type: 'waitForPrompt', n: 1 }, '42'],
    });
    sim.expectOutboundCall({ answer: 'decline', afterMs: 500 });
    sim.expectOutboundCall({ answer: 'noAnswer' });
    expect(() => sim.expectOutboundCall({ answer: 'maybe' as 'accept' })).toThrow(
      /answer must be accept, decline or noAnswer/,
    );

    const a = (await create()).body.id as string;
    await waitFor(() => stateNotes(a).includes('established'), 5000, 'accepted');
    await g('POST', `/communications/calls/${a}/subscribeToTone`, {});
    await g('POST', `/communications/calls/${a}/playPrompt`, { prompts: [{ text: 'Your code please' }] });
    await waitFor(
      () => notificationsFor(a).filter((n) => n.resourceData.toneInfo).length === 2,
      5000,
      'callee keys',
    );
    expect(
      notificationsFor(a)
        .filter((n) => n.resourceData.toneInfo)
        .map((n) => n.resourceData.toneInfo.tone),
    ).toEqual(['tone4', 'tone2']);

    const d = (await create()).body.id as string;
    expect((await sim.call(d)!.ended()).reason).toBe('declined');
    const n = (await create()).body.id as string;
    const outcome = await sim.call(n)!.ended();
    expect(outcome.reason).toBe('notAnswered');
    expect(outcome.at).toBeGreaterThanOrEqual(20_000);
    // The queue is used up: the next callee answers by default.
    const e = (await create()).body.id as string;
    await waitFor(() => stateNotes(e).includes('established'), 5000, 'default answer');
  });
});

describe('caller behaviour', () => {
  it('stays silent, then hangs up during the next prompt: the prompt is cut and never completes', async () => {
    const long = writeWav(dir, 'long.wav', 10_000);
    const call = await answered({
      from: '+14255550100',
      to: '+18005550199',
      steps: [
        { type: 'silence', ms: 3000 },
        { type: 'hangUp', when: 'duringNextPrompt', afterMs: 400 },
      ],
    });
    await waitFor(() => call.state === 'established', 5000, 'established');
    // Wait past the silence so the prompt is "the next" one for the hang-up step.
    await waitFor(() => call.transcript.some((e) => e.type === 'silence'), 5000, 'silence');
    await sim.clock.sleep(3500);
    await g('POST', `/communications/calls/${call.id}/playPrompt`, {
      clientContext: 'cut',
      prompts: [{ mediaInfo: { uri: long } }],
    });
    const outcome = await call.ended();
    expect(outcome.reason).toBe('callerHungUp');
    const started = call.transcript.find((e) => e.type === 'promptStarted')!;
    expect(outcome.at - started.at).toBeGreaterThanOrEqual(400);
    expect(outcome.at - started.at).toBeLessThan(10_000);
    expect(call.transcript.find((e) => e.type === 'promptFinished')).toMatchObject({ interrupted: true });
    expect(call.transcript.find((e) => e.type === 'silence')).toMatchObject({ ms: 3000 });
    await sim.notificationsIdle(call.id);
    expect(notificationsFor(call.id).some((n) => n.resourceData.clientContext === 'cut')).toBe(false);
    expect(call.scriptError).toBeUndefined();
  });
});
