/**
 * Test app for the API tests: the real API routes (functions/api) and health, plus a stand-in
 * `call` orchestration that sets a custom status and waits for an external event (so an instance
 * stays running, as a live call's does) and an anonymous starter for it.
 */
import * as df from 'durable-functions';
import '../../../functions/health.http.js';
import '../../../functions/api/index.js';

df.app.orchestration('call', function* (context: df.OrchestrationContext) {
  context.df.setCustomStatus({ step: 'mainMenu' });
  const event: unknown = yield context.df.waitForExternalEvent('hangUp');
  return { ended: event };
});

df.app.client.http('testStartCall', {
  route: 'test/start/{id}',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (req, client) => {
    const id = req.params.id ?? '';
    await client.startNew('call', { instanceId: id, input: { callId: id } });
    return { status: 202, jsonBody: { id } };
  },
});
