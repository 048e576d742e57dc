#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts in its own process (clean heap, no cross-talk),
// merges the flat `{ name: number }` figures each prints as its last stdout line (JSON), and
// writes them to bench/results/latest.json. `npm run bench -- flow` runs only files matching.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const filter = process.argv[2];
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();
const figures = {};
let failed = false;
for (const file of files) {
  process.stdout.write(`== ${file}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join('bench', file)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = r.stdout.trim().split('\n');
  process.stdout.write(lines.slice(0, -1).map((l) => `   ${l}\n`).join(''));
  try {
    const out = JSON.parse(lines.at(-1) ?? '');
    Object.assign(figures, out);
    for (const [k, v] of Object.entries(out)) process.stdout.write(`   ${k} = ${v}\n`);
  } catch {
    failed = true;
    process.stdout.write(`   no figures (exit ${r.status})\n${r.stdout}\n`);
  }
  if (r.status !== 0) failed = true;
}
mkdirSync(join('bench', 'results'), { recursive: true });
writeFileSync(join('bench', 'results', 'latest.json'), JSON.stringify(figures, null, 2) + '\n');
process.stdout.write(`wrote bench/results/latest.json (${Object.keys(figures).length} figures)\n`);
process.exit(failed ? 1 : 0);
