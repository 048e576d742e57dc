import { describe, expect, it } from 'vitest';
import { checkPublishable, readFlowSource, runFlowTests, unifiedDiff } from '../../../shared/api/flow-ops.js';
import { AppError } from '../../../shared/errors/app-error.js';
import { FLOW_ID, flowWithError, flowWithFailingTest, validFlow } from '../../functions/api/flow-texts.js';

function codeOf(fn: () => unknown): { code: string; metadata: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, metadata: { ...err.metadata } };
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('readFlowSource', () => {
  it('returns the document, no problems and the typed flow for a valid text', () => {
    const r = readFlowSource(FLOW_ID, validFlow());
    expect(r.valid).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.document.id).toBe(FLOW_ID);
    expect(r.flow?.entry).toBe('start');
  });

  it('keeps a document with problems at their line, and an unusable text as { id }', () => {
    const bad = flowWithError();
    const r = readFlowSource(FLOW_ID, bad.text);
    expect(r.valid).toBe(false);
    expect(r.flow).toBeUndefined();
    expect(r.problems[0]).toMatchObject({ line: bad.line, code: 'FLOW.UNKNOWN_STEP' });
    expect((r.document.steps as Record<string, unknown>).news).toBeDefined();
    const broken = readFlowSource(FLOW_ID, 'steps: [');
    expect(broken.document).toEqual({ id: FLOW_ID });
    expect(broken.problems.length).toBeGreaterThan(0);
    const noId = readFlowSource(FLOW_ID, validFlow().replace(`id: ${FLOW_ID}\n`, ''));
    expect(noId.document.id).toBe(FLOW_ID);
    expect(noId.problems.some((p) => p.code === 'FLOW.MISSING_FIELD')).toBe(true);
  });

  it('refuses another flow id (with its line) and oversize texts', () => {
    const text = `# header\n${validFlow().replace(`id: ${FLOW_ID}`, 'id: someone-else')}`;
    expect(codeOf(() => readFlowSource(FLOW_ID, text))).toMatchObject({
      code: 'API.FLOW_ID_MISMATCH',
      metadata: { line: 2, field: 'id' },
    });
    expect(codeOf(() => readFlowSource(FLOW_ID, `# ${'x'.repeat(1_000_001)}`)).code).toBe('API.TOO_LARGE');
  });
});

describe('flow tests and the publish gate', () => {
  it('reports each scenario and coverage', () => {
    const report = runFlowTests(readFlowSource(FLOW_ID, flowWithFailingTest()).flow!);
    expect(report).toMatchObject({ passed: false, total: 2, failed: 1 });
    expect(report.results.map((r) => [r.name, r.passed])).toEqual([
      ['news', true],
      ['agent', false],
    ]);
    expect(report.coverage.edges).toBe(report.coverage.covered.length + report.coverage.uncovered.length);
  });

  it('refuses errors (FLOW.INVALID with problems) and failing tests (FLOW.TESTS_FAILED with the report)', () => {
    expect(codeOf(() => checkPublishable(readFlowSource(FLOW_ID, flowWithError().text)))).toMatchObject({
      code: 'FLOW.INVALID',
      metadata: { problems: [expect.objectContaining({ code: 'FLOW.UNKNOWN_STEP' })] },
    });
    expect(codeOf(() => checkPublishable(readFlowSource(FLOW_ID, flowWithFailingTest())))).toMatchObject({
      code: 'FLOW.TESTS_FAILED',
      metadata: { tests: expect.objectContaining({ failed: 1 }) },
    });
    expect(checkPublishable(readFlowSource(FLOW_ID, validFlow())).tests.passed).toBe(true);
  });
});

describe('unifiedDiff', () => {
  it('produces a unified diff with headers and hunks, or empty for equal texts', () => {
    const d = unifiedDiff({ label: 'f@1', text: 'a\nb\nc\n' }, { label: 'f@draft', text: 'a\nB\nc\n' });
    expect(d).toContain('--- f@1');
    expect(d).toContain('+++ f@draft');
    expect(d).toContain('@@ -1,3 +1,3 @@');
    expect(d).toContain('-b\n+B');
    expect(unifiedDiff({ label: 'x', text: 'same' }, { label: 'y', text: 'same' })).toBe('');
  });
});
