/** Entry point for the test-call API tests: only the test-call routes and health. */
import '../../functions/health.http.js';
import '../../functions/api/testcall.http.js';
