/**
 * `GET /api/health`: liveness for load balancers and `npm start`'s readiness check. Anonymous,
 * answers `200 {"status":"ok"}` with no dependency checks (a dependency outage must not take the
 * calling webhook out of rotation).
 */
import { app, type HttpResponseInit } from '@azure/functions';

export function health(): HttpResponseInit {
  return { status: 200, jsonBody: { status: 'ok', service: 'switchboard' } };
}

app.http('health', { methods: ['GET'], authLevel: 'anonymous', route: 'health', handler: health });
