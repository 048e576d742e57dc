/**
 * The flow language's public surface (pure: safe to import from orchestrator code).
 *
 * - Interpreter: `startCall(flow, call)`, `handleEvent(flow, state, event)` -> `{ state, commands, transitions }`.
 * - Validation: `validateFlowSource(text, options)` (YAML/JSON text, positions) and
 *   `validateFlowObject(value)` (an already-parsed flow, e.g. from the store; no positions).
 * - Flow tests: `runScenario`, `runScenarios`, `simulate`, `parsePress`, `checkExpectations`.
 * - Graph export: `toMermaid`, `toDot`. Outcomes: `renderOutcome`.
 * File-system helpers (loading files, WAV checks) are in `./node/load.js`.
 */
import { validateFlowValue, type ValidateOptions, type ValidationResult } from './validate.js';

export {
  handleEvent,
  startCall,
  MAX_AUTO_STEPS,
  MAX_STEPS_PER_CALL,
  flowVariableNames,
} from './interpreter.js';
export type * from './model.js';
export { renderOutcome, renderTarget } from './model.js';
export {
  validateFlowSource,
  validateNumbersSource,
  validateTestFileSource,
  type FlowIssue,
  type ValidateOptions,
  type ValidationResult,
} from './validate.js';
export {
  checkExpectations,
  parsePress,
  runScenario,
  runScenarios,
  simulate,
  type Coverage,
  type PressToken,
  type ScenarioResult,
  type ScenarioRun,
} from './flow-test.js';
export { toDot, toMermaid, flowEdges } from './graph.js';
export { parseDuration } from './duration.js';
export {
  DTMF_KEYS,
  FlowSchema,
  STEP_TYPES,
  stepSchemas,
  type Flow,
  type Scenario,
  type Step,
  type StepOf,
  type StepType,
} from './schema.js';

/**
 * Validates an already-parsed flow object (e.g. a published version read from the store before
 * a call pins it). Issues carry `line: 1, col: 1` and the document `path`. Never throws.
 */
export function validateFlowObject(value: unknown, options: ValidateOptions = {}): ValidationResult {
  const keysAt = (path: readonly (string | number)[]): { key: string; line: number; col: number }[] => {
    let node: unknown = value;
    for (const seg of path)
      node =
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[String(seg)]
          : undefined;
    return node !== null && typeof node === 'object' && !Array.isArray(node)
      ? Object.keys(node).map((key) => ({ key, line: 1, col: 1 }))
      : [];
  };
  return validateFlowValue(value, { locate: () => ({ line: 1, col: 1 }), keysAt }, options);
}
