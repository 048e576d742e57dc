/**
 * The flow validator: schema (Ajv on the TypeBox schema, all errors) then semantic checks, every
 * problem located at its YAML node (`file:line:col`). Reports all problems in one pass. Pure:
 * checks needing files (audio WAV headers) come in through `options.checkAudio`
 * (shared/flow/node/ supplies it).
 *
 * Codes (all `FLOW.*`): TOO_LARGE, BINARY, TOO_DEEP, YAML_SYNTAX, DUPLICATE_KEY, SCHEMA, DURATION,
 * UNKNOWN_FIELD, BAD_NAME, MISSING_FIELD, UNKNOWN_STEP_TYPE, TOO_MANY_STEPS, UNKNOWN_STEP, UNKNOWN_PROMPT,
 * UNUSED_PROMPT (w), UNREACHABLE (w), CANNOT_END, STUCK_CYCLE, AUTO_LOOP (w), INVALID_DTMF_KEY,
 * DUPLICATE_DTMF_KEY, MENU_NO_INPUT (w), MENU_NO_MATCH (w), BAD_TIMEZONE, BAD_HOURS,
 * OVERLAPPING_HOURS, BAD_HOLIDAY, EXPRESSION_SYNTAX, UNDECLARED_VARIABLE, EXPRESSION_TYPE,
 * BAD_URL, HOST_NOT_ALLOWED, AUDIO_FORMAT, AUDIO_MISSING, BAD_PATTERN, DIGITS_RANGE, BAD_TARGET,
 * REDIRECT_AFTER_ANSWER, TEST_UNKNOWN_STEP, TEST_UNKNOWN_PROMPT, BAD_PRESS.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { IANAZone } from 'luxon';

import { celEnvironment, checkExpression, templateParts } from './expressions.js';
import { parsePress } from './flow-test.js';
import { canEnd, flowCycles, flowEdges, reachable, reachableUnanswered } from './graph.js';
import { flowVariableNames } from './interpreter.js';
import { LIMITS, parseSource, pathString, type FlowIssue, type ParsedSource } from './parse.js';
import {
  DTMF_KEYS,
  FlowSchema,
  FlowTestFileSchema,
  NumbersSchema,
  STEP_TYPES,
  stepSchemas,
  type Flow,
  type Scenario,
  type Step,
  type StepType,
} from './schema.js';
import { handlerFor } from './steps/index.js';

export type { FlowIssue } from './parse.js';

/** Validation options. */
export interface ValidateOptions {
  /** Name shown in issues. Default `<flow>`. */
  file?: string;
  /** The deployment's allowlist, added to the flow's `allowedHosts`. */
  allowedHosts?: readonly string[];
  /** Checks a prompt's `audio` (16 kHz 16-bit mono PCM WAV); returns a problem or undefined. */
  checkAudio?: (audio: string) => { code: string; message: string } | undefined;
}

/** Issues and, when there is no error, the typed flow. */
export interface ValidationResult {
  flow?: Flow;
  issues: FlowIssue[];
}

let ajvInstance: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();
function validatorFor(key: string, schema: object): ValidateFunction {
  if (!ajvInstance) {
    ajvInstance = new Ajv({ allErrors: true, strict: true, verbose: true, allowUnionTypes: true });
    ajvInstance.addVocabulary(['x-kind']);
  }
  let v = compiled.get(key);
  if (!v) {
    v = ajvInstance.compile(schema);
    compiled.set(key, v);
  }
  return v;
}

/** Turns Ajv errors into issues under `prefix`. */
export function schemaIssues(
  errors: ErrorObject[] | null | undefined,
  prefix: (string | number)[],
  src: Pick<ParsedSource, 'locate'>,
  file: string,
): FlowIssue[] {
  const out: FlowIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const path = [
      ...prefix,
      ...e.instancePath
        .split('/')
        .slice(1)
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')),
    ];
    let code = 'FLOW.SCHEMA';
    let message = `${pathString(path) || 'file'}: ${e.message ?? 'invalid'}`;
    let at = path;
    let key = false;
    const kind = (e.parentSchema as { 'x-kind'?: string } | undefined)?.['x-kind'];
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      at = [...path, extra];
      key = true;
      const patterns = Object.keys(
        (e.parentSchema as { patternProperties?: object } | undefined)?.patternProperties ?? {},
      );
      code = patterns.length > 0 ? 'FLOW.BAD_NAME' : 'FLOW.UNKNOWN_FIELD';
      message =
        patterns.length > 0
          ? `"${extra}" is not a valid name in ${pathString(path) || 'file'} (must match ${patterns.join(' or ')})`
          : `unknown field "${extra}"${path.length ? ` in ${pathString(path)}` : ''}`;
    } else if (e.keyword === 'required') {
      code = 'FLOW.MISSING_FIELD';
      message = `missing field "${String((e.params as { missingProperty: string }).missingProperty)}"${path.length ? ` in ${pathString(path)}` : ''}`;
    } else if (kind === 'duration') {
      code = 'FLOW.DURATION';
      message = `${pathString(path)}: durations are strings like "500ms", "5s" or "2m"${typeof e.data === 'number' ? ' (plain numbers are refused: seconds or milliseconds?)' : ''}`;
    } else if (e.keyword === 'propertyNames' || (e.keyword === 'pattern' && e.propertyName !== undefined)) {
      key = true;
    }
    const id = `${pathString(at)}|${code}|${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ file, ...src.locate(at, key), severity: 'error', code, message, path: pathString(at) });
  }
  return out;
}

function sortIssues(issues: FlowIssue[]): FlowIssue[] {
  return issues.sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.code.localeCompare(b.code),
  );
}

/** Validates flow text (YAML or JSON). Never throws. */
export function validateFlowSource(text: string, options: ValidateOptions = {}): ValidationResult {
  const file = options.file ?? '<flow>';
  const src = parseSource(text, file);
  if (src.value === undefined) return { issues: sortIssues(src.issues) };
  const res = validateFlowValue(src.value, src, options);
  return { ...res, issues: sortIssues([...src.issues, ...res.issues]) };
}

/** Validates a parsed flow value; `src` locates paths (use `parseSource`). */
export function validateFlowValue(
  value: unknown,
  src: Pick<ParsedSource, 'locate' | 'keysAt'>,
  options: ValidateOptions = {},
): ValidationResult {
  const file = options.file ?? '<flow>';
  const issues: FlowIssue[] = [];
  const add = (
    path: (string | number)[],
    severity: 'error' | 'warning',
    code: string,
    message: string,
    key = false,
  ): void => {
    issues.push({ file, ...src.locate(path, key), severity, code, message, path: pathString(path) });
  };
  const top = validatorFor('flow', FlowSchema);
  if (!top(value)) issues.push(...schemaIssues(top.errors, [], src, file));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { issues };
  const raw = value as Record<string, unknown>;
  const stepsRaw = raw.steps;
  if (stepsRaw === null || typeof stepsRaw !== 'object' || Array.isArray(stepsRaw)) return { issues };
  const promptsRaw =
    raw.prompts !== null && typeof raw.prompts === 'object' && !Array.isArray(raw.prompts)
      ? (raw.prompts as Record<string, unknown>)
      : {};

  const names = Object.keys(stepsRaw);
  if (names.length > LIMITS.maxSteps) {
    add(['steps'], 'error', 'FLOW.TOO_MANY_STEPS', `${names.length} steps; the limit is ${LIMITS.maxSteps}`);
    return { issues };
  }
  const steps: Record<string, Step> = {};
  for (const [name, s] of Object.entries(stepsRaw as Record<string, unknown>)) {
    const type = s !== null && typeof s === 'object' ? (s as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !(STEP_TYPES as string[]).includes(type)) {
      add(
        ['steps', name, ...(type === undefined ? [] : ['type'])],
        'error',
        'FLOW.UNKNOWN_STEP_TYPE',
        `step "${name}": type must be one of ${STEP_TYPES.join(', ')}`,
      );
      continue;
    }
    const v = validatorFor(`step:${type}`, stepSchemas[type as StepType]);
    if (v(s)) steps[name] = s as Step;
    else {
      issues.push(...schemaIssues(v.errors, ['steps', name], src, file));
      // Drop the offending optional fields and retry, so the step still takes part in the
      // reference and graph checks (one typo must not hide the rest of the report).
      const repaired = repairStep(s, v);
      if (repaired) steps[name] = repaired;
    }
  }
  const schemaOk = issues.length === 0;
  // Semantic checks run on what is well-formed, so one bad step does not hide the rest.
  const flow: Flow = { ...(raw as unknown as Flow), steps, prompts: (promptsRaw as Flow['prompts']) ?? {} };
  const entry = typeof raw.entry === 'string' ? raw.entry : undefined;

  if (typeof raw.timezone === 'string' && !IANAZone.isValidZone(raw.timezone))
    add(
      ['timezone'],
      'error',
      'FLOW.BAD_TIMEZONE',
      `"${raw.timezone}" is not an IANA timezone (e.g. America/New_York)`,
    );
  if (entry !== undefined && !(entry in stepsRaw))
    add(['entry'], 'error', 'FLOW.UNKNOWN_STEP', `entry step "${entry}" does not exist`);

  // References: steps and prompts.
  const usedPrompts = new Set<string>();
  const promptRef = (path: (string | number)[], name: string): void => {
    usedPrompts.add(name);
    if (!Object.prototype.hasOwnProperty.call(promptsRaw, name))
      add(path, 'error', 'FLOW.UNKNOWN_PROMPT', `prompt "${name}" is not defined in prompts`);
  };
  if (typeof raw.apologyPrompt === 'string') promptRef(['apologyPrompt'], raw.apologyPrompt);
  const edges = flowEdges(flow);
  for (const e of edges)
    if (!Object.prototype.hasOwnProperty.call(stepsRaw, e.to))
      add(e.path, 'error', 'FLOW.UNKNOWN_STEP', `step "${e.to}" does not exist`);

  const env = celEnvironment(flowVariableNames(flow));
  const checkExpr = (
    path: (string | number)[],
    source: string,
    kind: 'expression' | 'condition' | 'template',
  ): void => {
    const exprs: string[] = [];
    if (kind === 'template') {
      const t = templateParts(source);
      if (t.error) return add(path, 'error', 'FLOW.EXPRESSION_SYNTAX', t.error);
      for (const p of t.parts) if (typeof p !== 'string') exprs.push(p.expr);
    } else exprs.push(source);
    for (const x of exprs) {
      const p = checkExpression(env, x, kind === 'condition');
      if (p)
        add(path, 'error', p.code, `${kind} "${x.length > 60 ? `${x.slice(0, 60)}…` : x}": ${p.message}`);
    }
  };
  const allow = [...(flow.allowedHosts ?? []), ...(options.allowedHosts ?? [])];
  const checkFlow: Flow = { ...flow, allowedHosts: allow };
  for (const [name, step] of Object.entries(steps)) {
    const h = handlerFor(step.type);
    const r = h.refs(step, name);
    for (const p of r.prompts) promptRef(p.path, p.name);
    for (const x of r.expressions) checkExpr(x.path, x.source, x.kind);
    for (const p of h.check?.(step, name, checkFlow) ?? []) add(p.path, p.severity, p.code, p.message);
    if (step.type === 'menu') {
      const seen = new Map<string, number>();
      for (const k of src.keysAt(['steps', name, 'options'])) {
        if (!(DTMF_KEYS as readonly string[]).includes(k.key))
          issues.push({
            file,
            line: k.line,
            col: k.col,
            severity: 'error',
            code: 'FLOW.INVALID_DTMF_KEY',
            message: `"${k.key}" is not a DTMF key (0-9 * # A-D)`,
            path: pathString(['steps', name, 'options', k.key]),
          });
        seen.set(k.key, (seen.get(k.key) ?? 0) + 1);
        if (seen.get(k.key) === 2)
          issues.push({
            file,
            line: k.line,
            col: k.col,
            severity: 'error',
            code: 'FLOW.DUPLICATE_DTMF_KEY',
            message: `key "${k.key}" is used twice in this menu`,
            path: pathString(['steps', name, 'options', k.key]),
          });
      }
    }
  }
  for (const [name, p] of Object.entries(promptsRaw)) {
    if (p === null || typeof p !== 'object') continue;
    const prompt = p as { text?: unknown; audio?: unknown };
    if (typeof prompt.text === 'string') checkExpr(['prompts', name, 'text'], prompt.text, 'template');
    if (typeof prompt.audio === 'string' && options.checkAudio) {
      const problem = options.checkAudio(prompt.audio);
      if (problem) add(['prompts', name, 'audio'], 'error', problem.code, problem.message);
    }
    if (!usedPrompts.has(name))
      add(['prompts', name], 'warning', 'FLOW.UNUSED_PROMPT', `prompt "${name}" is never played`, true);
  }

  // Graph analyses.
  if (entry !== undefined && steps[entry]) {
    const reach = reachable(flow, edges);
    const ending = canEnd(flow, edges);
    const { all, automatic } = flowCycles(flow, edges);
    const inCycle = new Map<string, string[]>();
    for (const c of all) for (const n of c) inCycle.set(n, c);
    const stuckReported = new Set<string>();
    for (const name of Object.keys(steps)) {
      if (!reach.has(name)) {
        add(
          ['steps', name],
          'warning',
          'FLOW.UNREACHABLE',
          `step "${name}" can never be reached from "${entry}"`,
          true,
        );
        continue;
      }
      if (ending.has(name)) continue;
      const cyc = inCycle.get(name);
      if (cyc && cyc.every((n) => !ending.has(n))) {
        const key = cyc.join(',');
        if (stuckReported.has(key)) continue;
        stuckReported.add(key);
        add(
          ['steps', name],
          'error',
          'FLOW.STUCK_CYCLE',
          `steps ${cyc.map((n) => `"${n}"`).join(' -> ')} form a loop that no caller input or timer can leave: a caller would be stuck forever`,
          true,
        );
      } else
        add(
          ['steps', name],
          'error',
          'FLOW.CANNOT_END',
          `the call can never end from step "${name}" (no path to a hangup, transfer, voicemail or failure exit)`,
          true,
        );
    }
    for (const c of automatic) {
      if (!reach.has(c[0]!)) continue;
      add(
        ['steps', c[0]!],
        'warning',
        'FLOW.AUTO_LOOP',
        `steps ${c.map((n) => `"${n}"`).join(' -> ')} loop with no caller input or timer; only their conditions end it (the interpreter stops after 100 steps)`,
        true,
      );
    }
    const unanswered = reachableUnanswered(flow, edges);
    for (const [name, s] of Object.entries(steps))
      if ((s.type === 'redirect' || s.type === 'reject') && reach.has(name) && !unanswered.has(name))
        add(
          ['steps', name],
          'error',
          'FLOW.REDIRECT_AFTER_ANSWER',
          `${s.type} step "${name}" can be reached after the call was answered (a prompt played); ${s.type} only works before`,
          true,
        );
  }

  // Scenarios written in the flow file.
  if (Array.isArray(raw.tests))
    issues.push(...scenarioIssues(raw.tests as Scenario[], ['tests'], stepsRaw, promptsRaw, src, file));

  const hasError = issues.some((i) => i.severity === 'error');
  return hasError || !schemaOk ? { issues } : { flow, issues };
}

function repairStep(step: Record<string, unknown>, v: ValidateFunction): Step | undefined {
  const cur: Record<string, unknown> = { ...step };
  const check = v as (x: unknown) => boolean;
  for (let round = 0; round < 3; round++) {
    for (const e of v.errors ?? []) {
      if (e.keyword === 'additionalProperties' && e.instancePath === '')
        delete cur[String((e.params as { additionalProperty: string }).additionalProperty)];
      else {
        const first = e.instancePath.split('/')[1];
        if (first !== undefined && first !== 'type')
          delete cur[first.replace(/~1/g, '/').replace(/~0/g, '~')];
      }
    }
    if (check(cur)) return cur as Step;
  }
  return undefined;
}

/** Checks that scenario expectations and stubs name existing steps and prompts. */
export function scenarioIssues(
  tests: Scenario[],
  prefix: (string | number)[],
  steps: object,
  prompts: object,
  src: Pick<ParsedSource, 'locate'>,
  file: string,
): FlowIssue[] {
  const out: FlowIssue[] = [];
  const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
  tests.forEach((t, i) => {
    if (t === null || typeof t !== 'object') return;
    const add = (path: (string | number)[], code: string, message: string): void => {
      out.push({
        file,
        ...src.locate([...prefix, i, ...path]),
        severity: 'error',
        code,
        message,
        path: pathString([...prefix, i, ...path]),
      });
    };
    (Array.isArray(t.expect?.path) ? t.expect.path : []).forEach((s, j) => {
      if (typeof s === 'string' && s !== '$recovery' && !has(steps, s))
        add(
          ['expect', 'path', j],
          'FLOW.TEST_UNKNOWN_STEP',
          `scenario "${t.name}": step "${s}" does not exist`,
        );
    });
    (Array.isArray(t.expect?.prompts) ? t.expect.prompts : []).forEach((p, j) => {
      if (typeof p === 'string' && !has(prompts, p) && p !== '$apology')
        add(
          ['expect', 'prompts', j],
          'FLOW.TEST_UNKNOWN_PROMPT',
          `scenario "${t.name}": prompt "${p}" does not exist`,
        );
    });
    if (typeof t.press === 'string') {
      try {
        parsePress(t.press);
      } catch (err) {
        add(
          ['press'],
          'FLOW.BAD_PRESS',
          `scenario "${t.name}": ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    for (const s of Object.keys(t.stubs?.http ?? {}))
      if (!has(steps, s))
        add(
          ['stubs', 'http', s],
          'FLOW.TEST_UNKNOWN_STEP',
          `scenario "${t.name}": step "${s}" does not exist`,
        );
    (t.stubs?.failSteps ?? []).forEach((s, j) => {
      if (!has(steps, s))
        add(
          ['stubs', 'failSteps', j],
          'FLOW.TEST_UNKNOWN_STEP',
          `scenario "${t.name}": step "${s}" does not exist`,
        );
    });
  });
  return out;
}

/** Validates a `*.test.yaml` file's shape (and, given the flow, its references). */
export function validateTestFileSource(
  text: string,
  file: string,
  flow?: Flow,
): { tests?: Scenario[]; flowPath?: string; issues: FlowIssue[] } {
  const src = parseSource(text, file);
  if (src.value === undefined) return { issues: src.issues };
  const v = validatorFor('tests', FlowTestFileSchema);
  if (!v(src.value)) return { issues: sortIssues([...src.issues, ...schemaIssues(v.errors, [], src, file)]) };
  const value = src.value as { tests: Scenario[]; flow?: string };
  const issues = flow ? scenarioIssues(value.tests, ['tests'], flow.steps, flow.prompts, src, file) : [];
  return {
    tests: value.tests,
    ...(value.flow === undefined ? {} : { flowPath: value.flow }),
    issues: sortIssues([...src.issues, ...issues]),
  };
}

/** Validates `flows/numbers.yaml`: E.164 numbers -> flow ids that exist in `knownFlowIds`. */
export function validateNumbersSource(
  text: string,
  file: string,
  knownFlowIds?: ReadonlySet<string>,
): { numbers?: Record<string, string>; issues: FlowIssue[] } {
  const src = parseSource(text, file);
  if (src.value === undefined) return { issues: src.issues };
  const v = validatorFor('numbers', NumbersSchema);
  if (!v(src.value)) return { issues: sortIssues([...src.issues, ...schemaIssues(v.errors, [], src, file)]) };
  const numbers = (src.value as { numbers: Record<string, string> }).numbers;
  const issues = [...src.issues];
  if (knownFlowIds)
    for (const [n, id] of Object.entries(numbers))
      if (!knownFlowIds.has(id))
        issues.push({
          file,
          ...src.locate(['numbers', n]),
          severity: 'error',
          code: 'FLOW.UNKNOWN_FLOW',
          message: `${n} is bound to flow "${id}", which does not exist`,
          path: `numbers.${n}`,
        });
  return { numbers, issues: sortIssues(issues) };
}
