import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runScenarios } from '../../shared/flow/flow-test.js';
import { expandFlowPaths, loadFlowFile, loadNumbersFile } from '../../shared/flow/node/load.js';

const flowsDir = join(import.meta.dirname, '..', '..', 'flows');
const files = expandFlowPaths([flowsDir]);

describe('example flows', () => {
  it('there are at least three, including the main line and the pharmacy', () => {
    const ids = files.map((f) => loadFlowFile(f).flow?.id);
    expect(ids).toEqual(expect.arrayContaining(['contoso-main', 'pharmacy-refill']));
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files.map((f) => [f.slice(flowsDir.length + 1), f]))(
    '%s: valid, scenarios pass, every branch covered',
    (_name, file) => {
      const loaded = loadFlowFile(file);
      expect(loaded.issues).toEqual([]);
      const { results, coverage } = runScenarios(
        loaded.flow!,
        loaded.scenarios.map((s) => s.scenario),
      );
      expect(results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.failures.join('; ')}`)).toEqual([]);
      expect(coverage.uncovered).toEqual([]);
      expect(new Set(results.map((r) => r.outcome?.kind)).size).toBeGreaterThanOrEqual(3);
    },
  );

  it('numbers.yaml binds E.164 numbers to existing flows', () => {
    const r = loadNumbersFile(join(flowsDir, 'numbers.yaml'));
    expect(r.issues).toEqual([]);
    expect(Object.keys(r.numbers ?? {}).length).toBeGreaterThanOrEqual(3);
  });
});
