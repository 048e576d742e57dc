/**
 * What the flows API does with a flow's text, kept out of the HTTP triggers (STYLE practice 1):
 * read a submitted YAML/JSON source into the document the store keeps plus the validator's
 * problems (line/column), run the flow's own tests (`tests:` in the flow), gate publishing, and
 * diff two texts. Pure: no store, no I/O.
 */
import { createTwoFilesPatch } from 'diff';
import { AppError } from '../errors/app-error.js';
import { runScenarios, validateFlowSource, type Flow, type FlowIssue } from '../flow/index.js';
import { LIMITS, parseSource } from '../flow/parse.js';
import type { FlowDocument } from '../store/index.js';

/** A validator problem as the API returns it (FlowIssue without the file name). */
export type Problem = Omit<FlowIssue, 'file'>;

/** A submitted flow text, read. */
export interface ReadFlow {
  /** What the store keeps as the draft's document: the parsed value, or `{ id }` when unusable. */
  document: FlowDocument;
  /** Every problem, errors and warnings, in line order. */
  problems: Problem[];
  /** True when no problem is an error. */
  valid: boolean;
  /** The typed flow when valid. */
  flow?: Flow;
}

/** Flow ids, as the flow schema's `id` (lowercase letters, digits, `-`; 1–64). */
export const FLOW_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Reads flow text submitted for `flowId`. Throws `API.TOO_LARGE` over 1 MB and
 * `API.FLOW_ID_MISMATCH` (with line/col) when the text's `id` names another flow; everything
 * else (syntax errors, schema errors, dangling steps…) is reported in `problems`, never thrown.
 */
export function readFlowSource(flowId: string, text: string): ReadFlow {
  if (Buffer.byteLength(text, 'utf8') > LIMITS.maxBytes)
    throw new AppError('API.TOO_LARGE', `the flow text is larger than ${LIMITS.maxBytes} bytes`, {
      metadata: { where: 'body', limitBytes: LIMITS.maxBytes },
    });
  const result = validateFlowSource(text, { file: flowId });
  const problems = result.issues.map(toProblem);
  const src = parseSource(text, flowId);
  const value = src.value;
  let document: FlowDocument = { id: flowId };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    if (id !== undefined && id !== flowId) {
      const at = src.locate(['id']);
      throw new AppError(
        'API.FLOW_ID_MISMATCH',
        `line ${at.line}: the flow's id is ${JSON.stringify(id)} but it is being saved as "${flowId}"`,
        { metadata: { where: 'body', field: 'id', line: at.line, col: at.col } },
      );
    }
    document = { ...(value as Record<string, unknown>), id: flowId };
  }
  const valid = !problems.some((p) => p.severity === 'error');
  return { document, problems, valid, ...(valid && result.flow ? { flow: result.flow } : {}) };
}

/** The result of a flow's tests. */
export interface TestReport {
  /** Every scenario passed (true when the flow has none). */
  passed: boolean;
  total: number;
  failed: number;
  results: {
    name: string;
    passed: boolean;
    failures: string[];
    path: string[];
    prompts: string[];
    /** The outcome as flow tests write it (`transferred to application …`). */
    outcome: string;
  }[];
  /** Branch coverage: edges `step --label--> step`. */
  coverage: { edges: number; covered: string[]; uncovered: string[] };
}

/** Runs the scenarios under the flow's `tests:` against the pure interpreter (shared/flow/flow-test). */
export function runFlowTests(flow: Flow): TestReport {
  const { results, coverage } = runScenarios(flow, flow.tests ?? []);
  const failed = results.filter((r) => !r.passed).length;
  return {
    passed: failed === 0,
    total: results.length,
    failed,
    results: results.map((r) => ({
      name: r.name,
      passed: r.passed,
      failures: r.failures,
      path: r.path,
      prompts: r.prompts,
      outcome: r.outcomeText,
    })),
    coverage,
  };
}

/**
 * The publish gate: returns the flow and its test report when the text may be published. Throws
 * `FLOW.INVALID` (422, `details.problems`) while there are errors, and `FLOW.TESTS_FAILED` (422,
 * `details.tests`) when a flow test fails.
 */
export function checkPublishable(read: ReadFlow): { flow: Flow; tests: TestReport } {
  const flow = requireValid(read);
  const tests = runFlowTests(flow);
  if (!tests.passed)
    throw new AppError('FLOW.TESTS_FAILED', `${tests.failed} of ${tests.total} flow test(s) failed`, {
      metadata: { tests },
    });
  return { flow, tests };
}

/** The typed flow; throws `FLOW.INVALID` (422, `details.problems`) while the text has errors. */
export function requireValid(read: ReadFlow): Flow {
  if (!read.valid || read.flow === undefined) {
    const errors = read.problems.filter((p) => p.severity === 'error');
    throw new AppError('FLOW.INVALID', `the flow has ${errors.length} error(s); fix them first`, {
      metadata: { problems: read.problems },
    });
  }
  return read.flow;
}

/**
 * A unified diff (the `diff` library's `createTwoFilesPatch`, 3 lines of context) from `from` to
 * `to`, each `{ label, text }`; `''` when the texts are equal.
 */
export function unifiedDiff(
  from: { label: string; text: string },
  to: { label: string; text: string },
): string {
  if (from.text === to.text) return '';
  return createTwoFilesPatch(from.label, to.label, from.text, to.text, undefined, undefined, { context: 3 });
}

function toProblem(i: FlowIssue): Problem {
  return { line: i.line, col: i.col, severity: i.severity, code: i.code, message: i.message, path: i.path };
}
