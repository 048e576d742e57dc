#!/usr/bin/env node
// `npm run build:web`: builds the web console (web/ → web/dist/) with Vite. `--if-stale` skips the
// build when web/dist/index.html is newer than every source (web/src, web/index.html, the Vite
// config, the flow schema): the browser tests call it before they start, so `npm test` always
// runs against a current build without rebuilding on every test file.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'web');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n))));
}

/** True when web/dist is missing or older than a source. */
export function isStale() {
  const built = join(web, 'dist', 'index.html');
  if (!existsSync(built)) return true;
  const sources = [
    join(web, 'src'),
    join(web, 'index.html'),
    join(web, 'vite.config.ts'),
    join(root, 'schemas', 'flow.schema.json'),
  ];
  return Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
}

/** Builds the console into web/dist (unless `ifStale` and it is current). Rejects on a build error. */
export async function buildWeb({ ifStale = false } = {}) {
  if (ifStale && !isStale()) return false;
  const { build } = await import('vite');
  await build({ configFile: join(web, 'vite.config.ts'), root: web, logLevel: 'warn' });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildWeb({ ifStale: process.argv.includes('--if-stale') });
  process.stdout.write(built ? 'web console built: web/dist\n' : 'web console is current: web/dist\n');
}
