/**
 * The flows and ops HTTP API (functions/api/README.md): importing this module registers every
 * route. The root `index.ts` imports it once.
 */
import './me.http.js';
import './flows.http.js';
import './flow-drafts.http.js';
import './flow-publish.http.js';
import './numbers.http.js';
import './calls.http.js';
import './call-terminate.http.js';
import './metrics.http.js';
