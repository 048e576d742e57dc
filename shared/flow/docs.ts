/**
 * Generated documentation and published schemas, all derived from `schema.ts` so they cannot
 * drift: the README "Flow format reference" section (`flowFormatMarkdown`) and the JSON Schema
 * files under `schemas/` (`publishedSchemas`). `npm run docs:flow` writes them
 * (scripts/flow-docs.ts); tests fail when the committed copies are stale.
 */
import type { TSchema } from '@sinclair/typebox';

import { BUILTIN_VARIABLES } from './expressions.js';
import {
  editorJsonSchema,
  FlowSchema,
  FlowTestFileSchema,
  NumbersSchema,
  PromptSchema,
  ScenarioSchema,
  STEP_TYPES,
  stepSchemas,
  TargetSchema,
} from './schema.js';

type S = TSchema & {
  properties?: Record<string, S>;
  required?: string[];
  items?: S;
  anyOf?: S[];
  const?: unknown;
  patternProperties?: Record<string, S>;
  additionalProperties?: boolean | S;
};

/** The files under `schemas/` (name -> JSON text). */
export function publishedSchemas(): Record<string, string> {
  const plain = (title: string, s: TSchema): string =>
    JSON.stringify(
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        title,
        ...(JSON.parse(JSON.stringify(s)) as object),
      },
      null,
      2,
    ) + '\n';
  return {
    'flow.schema.json': JSON.stringify(editorJsonSchema(), null, 2) + '\n',
    'flow-test.schema.json': plain('Switchboard flow tests', FlowTestFileSchema),
    'numbers.schema.json': plain('Switchboard demo numbers', NumbersSchema),
  };
}

function typeName(s: S): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.anyOf) return s.anyOf.map(typeName).join(' \\| ');
  const kind = (s as { 'x-kind'?: string })['x-kind'];
  if (kind === 'duration') return 'duration';
  if (kind === 'step') return 'step name';
  if (kind === 'prompt') return 'prompt name';
  if (kind === 'expression') return 'CEL expression';
  if (kind === 'template') return 'template';
  switch (s.type) {
    case 'array':
      return `list of ${s.items ? typeName(s.items) : 'any'}`;
    case 'object':
      return s.patternProperties ? 'map' : 'object';
    case undefined:
      return 'JSON';
    default:
      return String(s.type);
  }
}

const cell = (t: string | undefined): string => (t ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function fieldTable(s: S, skip: string[] = []): string {
  const rows = ['| field | type | required | description |', '| --- | --- | --- | --- |'];
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (skip.includes(k)) continue;
    rows.push(
      `| \`${k}\` | ${typeName(p)} | ${s.required?.includes(k) ? 'yes' : ''} | ${cell(p.description)} |`,
    );
  }
  return rows.join('\n');
}

/** The README section between the `flow-format` markers (Markdown, ends with a newline). */
export function flowFormatMarkdown(): string {
  const out: string[] = [];
  out.push(
    'A flow is one YAML file (JSON is accepted) in `flows/`, checked by `npx switchboard flow validate FILE...`',
    '(`path:line:col: error|warning CODE: message`, exit 1 on any error, `--format json`), tested by',
    '`npx switchboard flow test FILE|DIR...` and drawn by `npx switchboard flow graph FILE --format mermaid|dot`.',
    'Editors get completion from `schemas/flow.schema.json`: start a flow file with',
    '`# yaml-language-server: $schema=../schemas/flow.schema.json`.',
    '',
    '- **Durations** are strings: `500ms`, `5s`, `2m`. Plain numbers are refused (seconds or milliseconds?).',
    '- **Expressions** (`switch` conditions, `setVariables`) and **templates** (`${...}` inside prompt text, URLs,',
    '  headers and bodies) use [CEL](https://github.com/google/cel-spec), the Common Expression Language, through',
    '  `@marcbachmann/cel-js`: safe and non-Turing-complete (no loops, no recursion, no `eval`), it sees only the',
    '  call\'s variables. Examples: `account.body.tier == "gold"`, `attempts + 1`, `has(x.body.eta)`.',
    `- **Variables** every step sees: ${BUILTIN_VARIABLES.map((v) => `\`${v}\``).join(', ')} (current time in the`,
    "  flow's timezone, ISO-8601), the flow's `variables` and whatever steps store (`into`, `setVariables`).",
    "- **Failures never leave dead air**: when a call operation fails, the step's `error` branch runs; without one",
    '  the caller hears `apologyPrompt` and is transferred to `fallback` (or the call ends).',
    '- **DTMF keys** are `0-9`, `*`, `#`, `A-D`; quote them in YAML (`"1": sales`).',
    '',
    '### Flow file',
    '',
    fieldTable(FlowSchema),
    '',
    '**Prompt** (`prompts.NAME`):',
    '',
    fieldTable(PromptSchema),
    '',
    '**Target** (`fallback`, `transfer.target`, `redirect.target`): exactly one of',
    '',
    fieldTable(TargetSchema),
    '',
    '### Steps',
    '',
    'Each step has a `type` and an optional `description`.',
  );
  for (const t of STEP_TYPES) {
    const s = stepSchemas[t] as S;
    out.push('', `#### \`${t}\``, '', s.description ?? '', '', fieldTable(s, ['type', 'description']));
  }
  out.push(
    '',
    '### Outcomes',
    '',
    'A call ends as one of: `transferred to TARGET`, `voicemail`, `hung up by caller`, `completed` (the flow hung up),',
    '`rejected (busy|none)`, `redirected to TARGET`, `failed (CODE)`. Flow tests compare these strings.',
    '',
    '### Flow tests',
    '',
    'Scenarios go under `tests:` in the flow file or in `NAME.test.yaml` beside it (`tests:` list,',
    '`schemas/flow-test.schema.json`). `flow test` plays each one on the interpreter with a virtual clock and',
    'reports every branch no scenario took.',
    '',
    fieldTable(ScenarioSchema),
    '',
    '`expect`:',
    '',
    fieldTable((ScenarioSchema as S).properties!.expect!),
    '',
    '`stubs`:',
    '',
    fieldTable((ScenarioSchema as S).properties!.stubs!),
    '',
    '### Demo numbers',
    '',
    '`flows/numbers.yaml` maps E.164 numbers to flow ids (`numbers: { "+14255550100": contoso-main }`); `flow validate`',
    'checks the numbers and that each flow id exists.',
  );
  return out.join('\n') + '\n';
}

/** Replaces the text between the README markers; throws when a marker is missing. */
export function replaceFlowFormatSection(readme: string, section: string): string {
  const begin = readme.indexOf('<!-- flow-format:begin');
  const beginEnd = begin < 0 ? -1 : readme.indexOf('-->', begin);
  const end = readme.indexOf('<!-- flow-format:end -->');
  if (begin < 0 || beginEnd < 0 || end < beginEnd)
    throw new Error('README.md has no <!-- flow-format:begin/end --> markers');
  return `${readme.slice(0, beginEnd + 3)}\n${section}${readme.slice(end)}`;
}
