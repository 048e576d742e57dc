/**
 * Switchboard's one entry point (package.json `main`, built to dist/index.js). Azure Functions'
 * Node worker loads it and every module below registers its functions; the local host
 * (`local/`) loads this same file. No globs: adding a function means adding its import here.
 */
import './functions/health.http.js';
