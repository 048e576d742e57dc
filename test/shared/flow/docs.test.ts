import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { generatedFlowFiles, ROOT } from '../../../scripts/flow-docs.js';
import { flowFormatMarkdown, replaceFlowFormatSection } from '../../../shared/flow/docs.js';
import { STEP_TYPES } from '../../../shared/flow/schema.js';

describe('generated schema and README reference', () => {
  it('schemas/*.json and the README section are up to date (run `npm run docs:flow`)', async () => {
    for (const [rel, expected] of Object.entries(await generatedFlowFiles())) {
      expect(readFileSync(join(ROOT, rel), 'utf8'), `${rel} is stale: run npm run docs:flow`).toBe(expected);
    }
  });

  it('documents every step type and says which expression language', () => {
    const md = flowFormatMarkdown();
    for (const t of STEP_TYPES) expect(md).toContain(`#### \`${t}\``);
    expect(md).toContain('CEL');
    expect(md).toContain('non-Turing-complete');
  });

  it('replaces only the text between the markers', () => {
    const readme = 'before\n<!-- flow-format:begin (x) -->\nold\n<!-- flow-format:end -->\nafter\n';
    expect(replaceFlowFormatSection(readme, 'new\n')).toBe(
      'before\n<!-- flow-format:begin (x) -->\nnew\n<!-- flow-format:end -->\nafter\n',
    );
    expect(() => replaceFlowFormatSection('no markers', 'x')).toThrow(/markers/);
  });
});
