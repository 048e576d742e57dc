/**
 * `npm run docs:flow`: writes the JSON Schemas under `schemas/` and the README "Flow format
 * reference" section, both generated from shared/flow/schema.ts and formatted with the project's
 * Prettier settings. `generatedFlowFiles` is shared with the staleness test.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as prettier from 'prettier';

import { flowFormatMarkdown, publishedSchemas, replaceFlowFormatSection } from '../shared/flow/docs.js';

/** Repository root. */
export const ROOT = join(import.meta.dirname, '..');

/** Every generated file (repo-relative path -> expected content), Prettier-formatted. */
export async function generatedFlowFiles(root = ROOT): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const fmt = async (rel: string, text: string): Promise<string> => {
    const options = (await prettier.resolveConfig(join(root, rel))) ?? {};
    return prettier.format(text, { ...options, filepath: join(root, rel) });
  };
  for (const [name, text] of Object.entries(publishedSchemas())) {
    // flow.schema.json is listed in .prettierignore (big; left as JSON.stringify writes it).
    out[`schemas/${name}`] = name === 'flow.schema.json' ? text : await fmt(`schemas/${name}`, text);
  }
  // Only the section between the markers is ours: format it alone, leave the rest of README as is.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  out['README.md'] = replaceFlowFormatSection(readme, await fmt('README.md', flowFormatMarkdown()));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  mkdirSync(join(ROOT, 'schemas'), { recursive: true });
  for (const [rel, text] of Object.entries(await generatedFlowFiles())) {
    writeFileSync(join(ROOT, rel), text);
    process.stdout.write(`wrote ${rel}\n`);
  }
}
