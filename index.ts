/**
 * Switchboard's one entry point (package.json `main`, built to dist/index.js). Azure Functions'
 * Node worker loads it and every module below registers its functions; the local host
 * (`local/`) loads this same file. No globs: adding a function means adding its import here.
 */
import './functions/health.http.js';
import './functions/calling.http.js';
import './orchestrations/call.orchestrator.js';
import './orchestrations/activities/resolve-flow.activity.js';
import './orchestrations/activities/reject-call.activity.js';
import './orchestrations/activities/answer-call.activity.js';
import './orchestrations/activities/run-commands.activity.js';
import './orchestrations/activities/keep-alive.activity.js';
import './orchestrations/activities/save-recording.activity.js';
import './orchestrations/activities/finish-call.activity.js';
import './functions/web.http.js';
import './functions/api/index.js';
import './functions/api/testcall.http.js';
