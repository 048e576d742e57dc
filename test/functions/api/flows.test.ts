import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from './harness.js';
import { FLOW_ID, flowWithError, flowWithFailingTest, validFlow } from './flow-texts.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

const ann = 'ann@contoso.test';
const bob = 'bob@contoso.test';

async function editorToken(user = ann): Promise<string> {
  return api.token('FlowEditor', user);
}

describe('flows API through the local host', () => {
  let etag = '';

  it('lists no flows at first and 404s an unknown one with where/what', async () => {
    expect((await api.call('GET', 'flows')).body).toEqual({ items: [] });
    const res = await api.call('GET', `flows/${FLOW_ID}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'API.NOT_FOUND', details: { what: 'flow', id: FLOW_ID } });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('creates a draft from YAML text (201, ETag) and records who', async () => {
    const res = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      body: validFlow(),
      headers: { authorization: `Bearer ${await editorToken()}`, 'content-type': 'application/yaml' },
    });
    expect(res.status).toBe(201);
    expect(res.body.valid).toBe(true);
    expect(res.body.problems).toEqual([]);
    expect(res.body.draft).toMatchObject({
      flowId: FLOW_ID,
      createdBy: ann,
      updatedBy: ann,
      source: validFlow(),
    });
    etag = res.headers.get('etag') ?? '';
    expect(etag).toBe(res.body.draft.etag);
    const detail = await api.call('GET', `flows/${FLOW_ID}`);
    expect(detail.status).toBe(200);
    expect(detail.headers.get('etag')).toBe(etag);
    expect(detail.body).toMatchObject({
      flowId: FLOW_ID,
      published: null,
      pointer: null,
      versions: [],
      problems: [],
    });
  });

  it('refuses a second create without If-Match (412) and a stale If-Match (412), overwriting nothing', async () => {
    const noMatch = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      as: 'FlowEditor',
      body: validFlow('Hi.'),
    });
    expect(noMatch.status).toBe(412);
    expect(noMatch.body.error.code).toBe('API.PRECONDITION_FAILED');
    expect(noMatch.body.error.message).toMatch(/already has a draft.*If-Match/);

    const first = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      body: validFlow('Hello from Bob.'),
      headers: { authorization: `Bearer ${await editorToken(bob)}`, 'if-match': etag },
    });
    expect(first.status).toBe(200);
    expect(first.body.draft.updatedBy).toBe(bob);
    const stale = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      as: 'FlowEditor',
      body: validFlow('Hello from Ann.'),
      headers: { 'if-match': etag },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.message).toMatch(/changed by someone else.*nothing was saved/);
    const detail = await api.call('GET', `flows/${FLOW_ID}`);
    expect(detail.body.draft.source).toContain('Hello from Bob.');
    etag = detail.headers.get('etag') ?? '';
  });

  it('saves a draft with errors and answers its problems at their line', async () => {
    const bad = flowWithError();
    const res = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      as: 'FlowEditor',
      body: bad.text,
      headers: { 'if-match': etag },
    });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(false);
    expect(res.body.problems).toContainEqual(
      expect.objectContaining({
        line: bad.line,
        severity: 'error',
        code: 'FLOW.UNKNOWN_STEP',
        path: 'steps.news.next',
      }),
    );
    etag = res.headers.get('etag') ?? '';
    const detail = await api.call('GET', `flows/${FLOW_ID}`);
    expect(detail.body.draft.source).toBe(bad.text);
    expect(detail.body.problems[0].line).toBe(bad.line);
  });

  it('validates text or the saved draft, with line/column problems', async () => {
    const draft = await api.call('POST', `flows/${FLOW_ID}/validate`, { as: 'FlowEditor' });
    expect(draft.status).toBe(200);
    expect(draft.body.valid).toBe(false);
    expect(draft.body.problems[0]).toMatchObject({ line: flowWithError().line, col: expect.any(Number) });
    const ok = await api.call('POST', `flows/${FLOW_ID}/validate`, { as: 'FlowEditor', body: validFlow() });
    expect(ok.body).toEqual({ valid: true, problems: [] });
    const yamlError = await api.call('POST', `flows/${FLOW_ID}/validate`, {
      as: 'FlowEditor',
      body: 'id: [',
    });
    expect(yamlError.body.valid).toBe(false);
    expect(yamlError.body.problems[0]).toMatchObject({ line: 1, severity: 'error' });
  });

  it('refuses a text whose id names another flow (400 with the line)', async () => {
    const res = await api.call('POST', `flows/${FLOW_ID}/validate`, {
      as: 'FlowEditor',
      body: validFlow().replace(`id: ${FLOW_ID}`, 'id: other-flow'),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'API.FLOW_ID_MISMATCH',
      details: { where: 'body', field: 'id', line: 1 },
    });
  });

  it('refuses to run tests or publish while the draft has errors (422 with the problems)', async () => {
    const test = await api.call('POST', `flows/${FLOW_ID}/test`, { as: 'FlowEditor' });
    expect(test.status).toBe(422);
    expect(test.body.error.code).toBe('FLOW.INVALID');
    const pub = await api.call('POST', `flows/${FLOW_ID}/publish`, { as: 'FlowPublisher' });
    expect(pub.status).toBe(422);
    expect(pub.body.error.code).toBe('FLOW.INVALID');
    expect(pub.body.error.details.problems[0]).toMatchObject({
      code: 'FLOW.UNKNOWN_STEP',
      line: flowWithError().line,
    });
    expect((await api.call('GET', `flows/${FLOW_ID}/versions`)).body.items).toEqual([]);
  });

  it('runs the flow tests: a failing expectation is reported, and blocks publishing', async () => {
    const save = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      as: 'FlowEditor',
      body: flowWithFailingTest(),
      headers: { 'if-match': etag },
    });
    etag = save.headers.get('etag') ?? '';
    const test = await api.call('POST', `flows/${FLOW_ID}/test`, { as: 'FlowEditor' });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ passed: false, total: 2, failed: 1 });
    const failing = test.body.results.find((r: { passed: boolean }) => !r.passed);
    expect(failing.name).toBe('agent');
    expect(failing.failures[0]).toMatch(/^path: expected start > news/);
    const pub = await api.call('POST', `flows/${FLOW_ID}/publish`, { as: 'FlowPublisher' });
    expect(pub.status).toBe(422);
    expect(pub.body.error.code).toBe('FLOW.TESTS_FAILED');
    expect(pub.body.error.details.tests.failed).toBe(1);
  });

  it('runs posted text rather than the draft when a body is given', async () => {
    const res = await api.call('POST', `flows/${FLOW_ID}/test`, { as: 'FlowEditor', body: validFlow() });
    expect(res.body).toMatchObject({ passed: true, total: 2, failed: 0 });
    expect(res.body.coverage.covered).toContain('start --option:1--> news');
  });

  it('publishes immutable versions, records who, and refuses a stale If-Match', async () => {
    const save = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      as: 'FlowEditor',
      body: validFlow(),
      headers: { 'if-match': etag },
    });
    const reviewed = save.headers.get('etag') ?? '';
    const pub = await api.call('POST', `flows/${FLOW_ID}/publish`, {
      body: { reason: 'first release' },
      headers: {
        authorization: `Bearer ${await api.token('FlowPublisher', 'pat@contoso.test')}`,
        'if-match': reviewed,
      },
    });
    expect(pub.status).toBe(201);
    expect(pub.body.version).toMatchObject({ flowId: FLOW_ID, version: 1, publishedBy: 'pat@contoso.test' });
    expect(pub.body.version.document.version).toBe(1);
    expect(pub.body.pointer).toMatchObject({ liveVersion: 1, latestVersion: 1 });
    expect(pub.body.tests.passed).toBe(true);

    const v2 = await api.call('PUT', `flows/${FLOW_ID}/draft`, {
      as: 'FlowEditor',
      body: validFlow('Welcome back.'),
      headers: { 'if-match': reviewed },
    });
    const stale = await api.call('POST', `flows/${FLOW_ID}/publish`, {
      as: 'FlowPublisher',
      headers: { 'if-match': reviewed },
    });
    expect(stale.status).toBe(412);
    const pub2 = await api.call('POST', `flows/${FLOW_ID}/publish`, {
      as: 'FlowPublisher',
      headers: { 'if-match': v2.headers.get('etag') ?? '' },
    });
    expect(pub2.status).toBe(201);
    expect(pub2.body.version.version).toBe(2);
    const v1 = await api.call('GET', `flows/${FLOW_ID}/versions/1`);
    expect(v1.body.source).toBe(validFlow());
    const versions = await api.call('GET', `flows/${FLOW_ID}/versions`);
    expect(versions.body).toMatchObject({
      liveVersion: 2,
      items: [
        { version: 1, live: false, publishedBy: 'pat@contoso.test' },
        { version: 2, live: true },
      ],
    });
    expect((await api.call('GET', `flows/${FLOW_ID}/versions/9`)).status).toBe(404);
    const badVersion = await api.call('GET', `flows/${FLOW_ID}/versions/zero`);
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.error.details).toMatchObject({ where: 'path', field: 'version' });
  });

  it('diffs two versions, and the live version against the draft', async () => {
    const d = await api.call('GET', `flows/${FLOW_ID}/diff?from=1&to=2`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ from: 1, to: 2 });
    expect(d.body.diff).toContain(`--- ${FLOW_ID}@1`);
    expect(d.body.diff).toContain('-  menu: { text: "Welcome to the demo line.');
    expect(d.body.diff).toContain('+  menu: { text: "Welcome back.');
    const same = await api.call('GET', `flows/${FLOW_ID}/diff`);
    expect(same.body).toMatchObject({ from: 2, to: 'draft', diff: '' });
    const bad = await api.call('GET', `flows/${FLOW_ID}/diff?from=latest`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toMatchObject({ where: 'query', field: 'from' });
    expect((await api.call('GET', `flows/${FLOW_ID}/diff?from=7`)).status).toBe(404);
  });

  it('rolls back to an earlier version, recording who and why', async () => {
    const res = await api.call('POST', `flows/${FLOW_ID}/rollback`, {
      body: { toVersion: 1, reason: 'callers confused' },
      headers: { authorization: `Bearer ${await api.token('FlowPublisher', 'pat@contoso.test')}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.pointer).toMatchObject({
      liveVersion: 1,
      latestVersion: 2,
      updatedBy: 'pat@contoso.test',
    });
    expect(res.body.pointer.history.at(-1)).toMatchObject({
      kind: 'rollback',
      fromVersion: 2,
      toVersion: 1,
      by: 'pat@contoso.test',
      reason: 'callers confused',
    });
    const notEarlier = await api.call('POST', `flows/${FLOW_ID}/rollback`, {
      as: 'FlowPublisher',
      body: { toVersion: 2 },
    });
    expect(notEarlier.status).toBe(409);
    const missing = await api.call('POST', `flows/${FLOW_ID}/rollback`, { as: 'FlowPublisher', body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toMatchObject({ where: 'body', field: 'toVersion' });
    const notJson = await api.call('POST', `flows/${FLOW_ID}/rollback`, {
      as: 'FlowPublisher',
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.details.where).toBe('body');
  });

  it('lists the flow with its live and latest version', async () => {
    const res = await api.call('GET', 'flows');
    expect(res.body.items).toEqual([{ flowId: FLOW_ID, liveVersion: 1, latestVersion: 2, hasDraft: true }]);
  });

  it('rejects a malformed flow id in the path (400 where: path)', async () => {
    const res = await api.call('GET', 'flows/Not_A_Flow');
    expect(res.status).toBe(400);
    expect(res.body.error.details).toMatchObject({ where: 'path', field: 'flowId' });
  });

  it('binds, lists and unbinds numbers, recording who; only published flows can be bound', async () => {
    const put = await api.call('PUT', 'numbers/%2B14255550100', {
      body: { flowId: FLOW_ID },
      headers: { authorization: `Bearer ${await api.token('FlowPublisher', 'pat@contoso.test')}` },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ number: '+14255550100', flowId: FLOW_ID, boundBy: 'pat@contoso.test' });
    const list = await api.call('GET', `numbers?flowId=${FLOW_ID}`);
    expect(list.body.items.map((b: { number: string }) => b.number)).toEqual(['+14255550100']);

    await api.call('PUT', 'flows/draft-only/draft', {
      as: 'FlowEditor',
      body: validFlow().replace(FLOW_ID, 'draft-only'),
    });
    const unpublished = await api.call('PUT', 'numbers/%2B14255550101', {
      as: 'FlowPublisher',
      body: { flowId: 'draft-only' },
    });
    expect(unpublished.status).toBe(409);
    const unknown = await api.call('PUT', 'numbers/%2B14255550101', {
      as: 'FlowPublisher',
      body: { flowId: 'nope' },
    });
    expect(unknown.status).toBe(404);
    const badNumber = await api.call('PUT', 'numbers/12345', {
      as: 'FlowPublisher',
      body: { flowId: FLOW_ID },
    });
    expect(badNumber.status).toBe(400);
    expect(badNumber.body.error.details).toMatchObject({ where: 'path', field: 'number' });

    const del = await api.call('DELETE', 'numbers/%2B14255550100', { as: 'FlowPublisher' });
    expect(del.status).toBe(204);
    expect((await api.call('GET', 'numbers')).body.items).toEqual([]);
    expect((await api.call('DELETE', 'numbers/%2B14255550100', { as: 'FlowPublisher' })).status).toBe(404);
    const history = await api.store.numbers.list();
    expect(history).toEqual([]);
  });

  it('deletes a draft only with the current ETag when one is given', async () => {
    const detail = await api.call('GET', 'flows/draft-only');
    const stale = await api.call('DELETE', 'flows/draft-only/draft', {
      as: 'FlowEditor',
      headers: { 'if-match': '"stale"' },
    });
    expect(stale.status).toBe(412);
    const ok = await api.call('DELETE', 'flows/draft-only/draft', {
      as: 'FlowEditor',
      headers: { 'if-match': detail.headers.get('etag') ?? '' },
    });
    expect(ok.status).toBe(204);
    expect((await api.call('GET', 'flows/draft-only')).status).toBe(404);
  });
});
