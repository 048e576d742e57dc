#!/usr/bin/env node
// `npm test`: type-check, lint, then the Vitest suite. Ends with the plain line
// `tests: N passed, N failed`, read from Vitest's own JSON report, and exits non-zero if any
// stage failed. Extra arguments are passed to Vitest (e.g. `npm test -- test/shared/flow`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const bin = (name) => join('node_modules', '.bin', name);
const run = (label, cmd, args) => {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  return r.status === 0;
};

const stages = [];
const only = process.argv.slice(2);
if (only.length === 0) {
  stages.push(['typecheck', run('typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])]);
  stages.push(['lint', run('lint', bin('eslint'), ['--max-warnings', '0', '.'])]);
}
mkdirSync('.vitest', { recursive: true });
const report = join('.vitest', 'report.json');
rmSync(report, { force: true });
const vitestOk = run('tests', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...only,
]);
stages.push(['tests', vitestOk]);

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + (r.numRuntimeErrorTests ?? 0);
  // A file that failed outside its tests (it did not load, or a beforeAll hook threw so its tests
  // were reported as skipped) is a failure all the same: each test it did not pass counts as
  // failed, and a file with no test counts once.
  for (const f of r.testResults ?? []) {
    const results = f.assertionResults ?? [];
    if (f.status !== 'failed' || results.some((a) => a.status === 'failed')) continue;
    failed += Math.max(1, results.filter((a) => a.status !== 'passed').length);
  }
}
const bad = stages.filter(([, ok]) => !ok).map(([name]) => name);
if (bad.length) process.stdout.write(`\nfailed stages: ${bad.join(', ')}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
process.exit(bad.length ? 1 : 0);
