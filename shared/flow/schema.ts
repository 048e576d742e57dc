/**
 * The ONE schema of Switchboard's flow format (TypeBox). From it come the TypeScript types
 * (`Static<>`), the Ajv validator (shared/flow/validate.ts), the JSON Schema for editors
 * (`schemas/flow.schema.json`, written by `scripts/flow-schema.ts`) and the README reference
 * (`npm run docs:flow`). Every field documents its unit and default here, because the
 * `description`s are what analysts see in VS Code and in the README.
 *
 * Durations are strings (`500ms`, `5s`, `2m`); plain numbers are refused so seconds and
 * milliseconds are never mixed up. Expressions are CEL (https://github.com/google/cel-spec).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Keys a caller can press (DTMF, RFC 4733 events 0-15). */
export const DTMF_KEYS = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '*',
  '#',
  'A',
  'B',
  'C',
  'D',
] as const;

const NAME = '^[A-Za-z_][A-Za-z0-9_-]{0,63}$';
const VAR = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';

/** A duration string: digits then `ms`, `s` or `m` (e.g. `500ms`, `5s`, `2m`). */
export const Duration = (description: string, dflt?: string) =>
  Type.String({
    pattern: '^[0-9]{1,7}(ms|s|m)$',
    'x-kind': 'duration',
    description,
    ...(dflt === undefined ? {} : { default: dflt }),
  });
const StepRef = (description: string) => Type.String({ pattern: NAME, 'x-kind': 'step', description });
const PromptRef = (description: string) => Type.String({ pattern: NAME, 'x-kind': 'prompt', description });
const VarName = (description: string) => Type.String({ pattern: VAR, description });
const Expr = (description: string) =>
  Type.String({ minLength: 1, maxLength: 2000, 'x-kind': 'expression', description });
const Template = (description: string) => Type.String({ maxLength: 4000, 'x-kind': 'template', description });
const Key = (description: string) => Type.String({ pattern: '^([0-9*#A-D])$', description });

/** Where a transfer or redirect goes: exactly one of `user`, `phone`, `application`. */
export const TargetSchema = Type.Object(
  {
    user: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Teams user: AAD object id.' }),
    ),
    phone: Type.Optional(
      Type.String({
        pattern: '^\\+[1-9][0-9]{6,14}$',
        description: 'PSTN number in E.164, e.g. `+14255550100`.',
      }),
    ),
    application: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Another bot or call queue: its app id.' }),
    ),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description: 'Exactly one of user, phone, application.',
  },
);
/** A transfer / redirect target: exactly one of `user` (AAD object id), `phone` (E.164), `application`. */
export type TargetSpec = Static<typeof TargetSchema>;

const common = {
  description: Type.Optional(
    Type.String({ maxLength: 2000, description: 'Free text for people reading the flow.' }),
  ),
};
const errorBranch = {
  error: Type.Optional(
    StepRef(
      "Step taken when this step's call operation fails (a Graph error). Without it the caller hears the flow's apology prompt and is transferred to `fallback` (or the call ends).",
    ),
  ),
};
const retryHandling = (what: string) =>
  Type.Object(
    {
      prompt: Type.Optional(PromptRef(`Prompt played on ${what} before the menu prompt is repeated.`)),
      retries: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 9,
          default: 2,
          description: `Reprompts on ${what} before \`next\`. Default 2.`,
        }),
      ),
      next: Type.Optional(
        StepRef(
          `Step after the last retry. Without it the call takes the flow's failure path (apology, fallback).`,
        ),
      ),
    },
    { additionalProperties: false, description: `What happens on ${what}.` },
  );

/** `play`: plays one or more prompts, then goes to `next`. */
export const PlayStep = Type.Object(
  {
    type: Type.Literal('play'),
    ...common,
    prompts: Type.Array(PromptRef('A prompt name.'), {
      minItems: 1,
      maxItems: 20,
      description: 'Prompts played in order.',
    }),
    next: StepRef('Step after the prompts finish.'),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Plays prompts, then goes to `next`.' },
);

/** `menu`: a prompt, then one key chooses the next step. */
export const MenuStep = Type.Object(
  {
    type: Type.Literal('menu'),
    ...common,
    prompt: PromptRef('The menu prompt.'),
    options: Type.Record(Type.String(), StepRef('Step for this key.'), {
      description: 'DTMF key (0-9 * # A-D) -> step. Quote `*` and `#` in YAML.',
    }),
    timeout: Type.Optional(Duration('No-input timeout after the prompt ends. Default `5s`.', '5s')),
    bargeIn: Type.Optional(
      Type.Boolean({
        default: true,
        description: 'A key pressed during the prompt stops it and counts. Default true.',
      }),
    ),
    noInput: Type.Optional(retryHandling('no input (timeout)')),
    noMatch: Type.Optional(retryHandling('a key that is not an option')),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Menu: prompt, then a key picks the next step.' },
);

/** `collectDigits`: gathers a number (account, date of birth...) into a variable. */
export const CollectDigitsStep = Type.Object(
  {
    type: Type.Literal('collectDigits'),
    ...common,
    prompt: PromptRef('Prompt asking for the digits (keys during it count).'),
    into: VarName('Variable that receives the digits (a string); also available as `digits`.'),
    minDigits: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 32, default: 1, description: 'Default 1.' }),
    ),
    maxDigits: Type.Integer({ minimum: 1, maximum: 32, description: 'Collection ends at this many digits.' }),
    terminator: Type.Optional(Key('Key that ends the entry (not stored). Default `#`.')),
    firstDigitTimeout: Type.Optional(
      Duration('Wait for the first key after the prompt. Default `5s`.', '5s'),
    ),
    interDigitTimeout: Type.Optional(Duration('Wait between keys; ends the entry. Default `3s`.', '3s')),
    pattern: Type.Optional(
      Type.String({
        maxLength: 200,
        description: 'Regular expression the whole entry must match, e.g. `^[0-9]{6}$`.',
      }),
    ),
    retries: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 9,
        default: 2,
        description: 'Re-asks after no input or an invalid entry. Default 2.',
      }),
    ),
    noInputPrompt: Type.Optional(PromptRef('Played before re-asking after no input.')),
    invalidPrompt: Type.Optional(PromptRef('Played before re-asking after an invalid entry.')),
    next: StepRef('Step after a valid entry.'),
    failed: Type.Optional(StepRef("Step after the last retry. Without it: the flow's failure path.")),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Collects digits into a variable.' },
);

const Ranges = Type.Array(Type.String({ description: '`HH:MM-HH:MM`, 24 h, end after start.' }), {
  maxItems: 12,
  description: 'Open ranges that day, e.g. `["08:00-12:00", "13:00-17:30"]`.',
});

/** `checkHours`: weekly schedule + holidays in the flow's timezone. */
export const CheckHoursStep = Type.Object(
  {
    type: Type.Literal('checkHours'),
    ...common,
    schedule: Type.Object(
      {
        mon: Type.Optional(Ranges),
        tue: Type.Optional(Ranges),
        wed: Type.Optional(Ranges),
        thu: Type.Optional(Ranges),
        fri: Type.Optional(Ranges),
        sat: Type.Optional(Ranges),
        sun: Type.Optional(Ranges),
      },
      {
        additionalProperties: false,
        description: 'Open hours per weekday (`mon`..`sun`) in the flow timezone; a missing day is closed.',
      },
    ),
    holidays: Type.Optional(
      Type.Array(Type.String({ description: '`YYYY-MM-DD`' }), {
        maxItems: 366,
        description: 'Closed all day.',
      }),
    ),
    open: StepRef('Step when open now.'),
    closed: StepRef('Step when closed now.'),
    holiday: Type.Optional(StepRef('Step on a holiday. Default: `closed`.')),
  },
  { additionalProperties: false, description: 'Branches on the current time: open / closed / holiday.' },
);

/** `setVariables`: assigns CEL expression results to variables. */
export const SetVariablesStep = Type.Object(
  {
    type: Type.Literal('setVariables'),
    ...common,
    set: Type.Record(Type.String({ pattern: VAR }), Expr('CEL expression, e.g. `attempts + 1`.'), {
      additionalProperties: false,
      description: 'Variable -> CEL expression, evaluated in order.',
    }),
    next: StepRef('Next step.'),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Sets variables from CEL expressions.' },
);

/** `switch`: ordered CEL conditions, first match wins, else `default`. */
export const SwitchStep = Type.Object(
  {
    type: Type.Literal('switch'),
    ...common,
    cases: Type.Array(
      Type.Object(
        { when: Expr('CEL condition (bool), e.g. `account.vip == true`.'), next: StepRef('Step if true.') },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50, description: 'Tried in order; the first true one wins.' },
    ),
    default: StepRef('Step when no case matches.'),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Branches on CEL conditions over variables.' },
);

/** `httpRequest`: calls an allowlisted HTTP API and stores `{status, body}`. */
export const HttpRequestStep = Type.Object(
  {
    type: Type.Literal('httpRequest'),
    ...common,
    method: Type.Union(
      [
        Type.Literal('GET'),
        Type.Literal('POST'),
        Type.Literal('PUT'),
        Type.Literal('PATCH'),
        Type.Literal('DELETE'),
      ],
      {
        description: 'HTTP method.',
      },
    ),
    url: Template(
      'URL; `${expr}` CEL templates allowed in path and query only. The host must be on `allowedHosts`.',
    ),
    headers: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Template('Header value (template).')),
    ),
    body: Type.Optional(Type.Unknown({ description: 'JSON body; strings in it are templates.' })),
    timeout: Type.Optional(Duration('Default `5s`.', '5s')),
    into: Type.Optional(VarName('Variable that receives `{status, body}`.')),
    success: StepRef('Step on a 2xx answer.'),
    error: StepRef('Step on any other answer, a timeout or a network failure.'),
  },
  { additionalProperties: false, description: 'Calls an HTTP API (allowlisted hosts only).' },
);

/** `transfer`: hands the call to a user, a number or an application. */
export const TransferStep = Type.Object(
  {
    type: Type.Literal('transfer'),
    ...common,
    prompt: Type.Optional(PromptRef('Played before transferring.')),
    target: TargetSchema,
    failed: Type.Optional(StepRef("Step if the transfer fails. Without it: the flow's failure path.")),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Transfers the call (ends the flow when accepted).' },
);

/** `redirect`: before answering, sends the call elsewhere. */
export const RedirectStep = Type.Object(
  {
    type: Type.Literal('redirect'),
    ...common,
    target: TargetSchema,
  },
  {
    additionalProperties: false,
    description: 'Redirects an unanswered call (only before any prompt); ends the flow.',
  },
);

/** `reject`: before answering, declines the call. */
export const RejectStep = Type.Object(
  {
    type: Type.Literal('reject'),
    ...common,
    reason: Type.Union([Type.Literal('busy'), Type.Literal('none')], { description: '`busy` or `none`.' }),
  },
  { additionalProperties: false, description: 'Rejects an unanswered call (only before any prompt).' },
);

/** `record`: voicemail. */
export const RecordStep = Type.Object(
  {
    type: Type.Literal('record'),
    ...common,
    prompt: Type.Optional(PromptRef('Played before the beep.')),
    beep: Type.Optional(Type.Boolean({ default: true, description: 'Default true.' })),
    maxDuration: Type.Optional(Duration('Longest recording. Default `60s`.', '60s')),
    stopKeys: Type.Optional(
      Type.Array(Key('A key'), {
        maxItems: 16,
        default: ['#'],
        description: 'Keys that end the recording. Default `["#"]`.',
      }),
    ),
    initialSilenceTimeout: Type.Optional(Duration('Default `5s`.', '5s')),
    maxSilenceTimeout: Type.Optional(Duration('Default `5s`.', '5s')),
    into: Type.Optional(VarName('Variable that receives the recording location.')),
    next: Type.Optional(StepRef('Step after recording. Without it the call ends with outcome `voicemail`.')),
    ...errorBranch,
  },
  { additionalProperties: false, description: 'Records a voicemail.' },
);

/** `hangup`: optional last prompt, then the flow hangs up. */
export const HangupStep = Type.Object(
  {
    type: Type.Literal('hangup'),
    ...common,
    prompt: Type.Optional(PromptRef('Played before hanging up.')),
  },
  { additionalProperties: false, description: 'Ends the call (after an optional prompt).' },
);

/** Every step type's schema, keyed by `type`. Adding a type here forces a handler (steps/index.ts). */
export const stepSchemas = {
  play: PlayStep,
  menu: MenuStep,
  collectDigits: CollectDigitsStep,
  checkHours: CheckHoursStep,
  setVariables: SetVariablesStep,
  switch: SwitchStep,
  httpRequest: HttpRequestStep,
  transfer: TransferStep,
  redirect: RedirectStep,
  reject: RejectStep,
  record: RecordStep,
  hangup: HangupStep,
} as const;

/** The TypeBox schema of each step type, by type name. */
export type StepSchemas = typeof stepSchemas;
/** The step type names. */
export type StepType = keyof StepSchemas;
/** The step of type `K`. */
export type StepOf<K extends StepType> = Static<StepSchemas[K]>;
/** Any step. */
export type Step = { [K in StepType]: StepOf<K> }[StepType];
/** Every step type name, in schema order (`play`, `menu`, ...). */
export const STEP_TYPES = Object.keys(stepSchemas) as StepType[];

/** A named prompt: `text` (captions / TTS) and/or `audio` (a WAV URI or a path beside the flow). */
export const PromptSchema = Type.Object(
  {
    text: Type.Optional(Template('What the prompt says (captions, TTS); `${expr}` templates allowed.')),
    audio: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          'https URI or a file path relative to the flow; 16 kHz 16-bit mono PCM WAV (what Graph plays).',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

// ---- flow tests (scenarios) ----

const HttpStub = Type.Object(
  {
    status: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 599,
        default: 200,
        description: 'HTTP status; 0 = network failure.',
      }),
    ),
    body: Type.Optional(Type.Unknown({ description: 'JSON body returned.' })),
  },
  { additionalProperties: false },
);

/** A flow-test scenario: caller input over time, stubs, and expectations. */
export const ScenarioSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'What the scenario shows.' }),
    at: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$',
        description: 'When the call starts (ISO-8601). Default `2026-01-07T16:00:00Z` (a Wednesday).',
      }),
    ),
    callerNumber: Type.Optional(Type.String({ maxLength: 32, description: 'Default `+14255550199`.' })),
    dialledNumber: Type.Optional(Type.String({ maxLength: 32, description: 'Default `+14255550100`.' })),
    press: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'Caller keys over time, space-separated tokens: keys `0-9 * # A-D` (200ms apart), `w` = wait until the prompt playing ends, `w2s` = pause 2s, `h` = hang up. E.g. `"w 2 w 123456#"`.',
      }),
    ),
    hangUp: Type.Optional(
      Type.Object(
        {
          afterPrompt: Type.Optional(
            Type.Integer({ minimum: 1, description: 'Hang up when the Nth prompt starts.' }),
          ),
          after: Type.Optional(Duration('Hang up this long after the call starts.')),
        },
        { additionalProperties: false },
      ),
    ),
    stubs: Type.Optional(
      Type.Object(
        {
          transfer: Type.Optional(
            Type.Union([Type.Literal('accepted'), Type.Literal('failed')], {
              description: 'Default `accepted`.',
            }),
          ),
          http: Type.Optional(
            Type.Record(Type.String(), HttpStub, { description: 'httpRequest step name -> answer.' }),
          ),
          recording: Type.Optional(
            Type.Object(
              {
                location: Type.Optional(Type.String()),
                duration: Type.Optional(Duration('Length of the message. Default `10s`.')),
                status: Type.Optional(Type.Union([Type.Literal('completed'), Type.Literal('failed')])),
              },
              { additionalProperties: false },
            ),
          ),
          failSteps: Type.Optional(
            Type.Array(Type.String(), { description: 'Steps whose call operations fail (Graph error).' }),
          ),
          promptDuration: Type.Optional(Duration('How long each prompt plays. Default `2s`.')),
        },
        { additionalProperties: false },
      ),
    ),
    expect: Type.Object(
      {
        path: Type.Optional(Type.Array(Type.String(), { description: 'Exact sequence of steps entered.' })),
        prompts: Type.Optional(
          Type.Array(Type.String(), { description: 'Exact sequence of prompts started.' }),
        ),
        outcome: Type.Optional(
          Type.String({
            description:
              'Rendered outcome, e.g. `transferred to +14255550100`, `voicemail`, `hung up by caller`.',
          }),
        ),
        variables: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), { description: 'Variables at the end (subset).' }),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/** One flow-test scenario: caller input over time, stubbed outcomes and expectations (see ScenarioSchema). */
export type Scenario = Static<typeof ScenarioSchema>;

/** A flow file. */
export const FlowSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Editor hint: the JSON Schema URL or path.' })),
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
      description: 'Flow id (lowercase, digits, `-`); numbers bind to it.',
    }),
    version: Type.Integer({ minimum: 1, description: 'Version number (published versions are immutable).' }),
    description: Type.String({ maxLength: 4000, description: 'What the flow is for.' }),
    timezone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA timezone for hours and `now`, e.g. `America/New_York`.',
    }),
    entry: StepRef('First step.'),
    fallback: Type.Optional(TargetSchema),
    apologyPrompt: Type.Optional(
      PromptRef('Played when a call operation fails and the step has no `error` branch.'),
    ),
    allowedHosts: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9.-]{1,253}$' }), {
        maxItems: 50,
        description: 'Hosts `httpRequest` may call.',
      }),
    ),
    prompts: Type.Record(Type.String({ pattern: NAME }), PromptSchema, {
      additionalProperties: false,
      description: 'Named prompts.',
    }),
    variables: Type.Optional(
      Type.Record(
        Type.String({ pattern: VAR }),
        Type.Union([Type.String({ maxLength: 4000 }), Type.Number(), Type.Boolean(), Type.Null()]),
        {
          additionalProperties: false,
          description: 'Flow variables with their defaults.',
        },
      ),
    ),
    steps: Type.Record(Type.String({ pattern: NAME }), Type.Unknown(), {
      additionalProperties: false,
      description: 'Named steps (see step types).',
    }),
    tests: Type.Optional(Type.Array(ScenarioSchema, { description: 'Flow-test scenarios.' })),
  },
  { additionalProperties: false },
);

/** A flow as written (steps typed through the per-type schemas after validation). */
export type Flow = Omit<Static<typeof FlowSchema>, 'steps'> & { steps: Record<string, Step> };

/** A `*.test.yaml` file beside a flow. */
export const FlowTestFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    flow: Type.Optional(
      Type.String({ description: 'Flow file, relative to this file. Default: same name without `.test`.' }),
    ),
    tests: Type.Array(ScenarioSchema),
  },
  { additionalProperties: false },
);
/** A `*.test.yaml` file: the flow it tests (optional path) and its scenarios. */
export type FlowTestFile = Static<typeof FlowTestFileSchema>;

/** `flows/numbers.yaml`: demo phone numbers (E.164) -> flow ids. */
export const NumbersSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    numbers: Type.Record(
      Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$' }),
      Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
      {
        additionalProperties: false,
        description: 'E.164 number -> flow id.',
      },
    ),
  },
  { additionalProperties: false },
);
/** The parsed `numbers.yaml`: `numbers` maps an E.164 number to a flow id. */
export type NumbersFile = Static<typeof NumbersSchema>;

/**
 * The JSON Schema for editors: the flow schema with `steps` spelled out per type through
 * `if type == X then <X schema>`, which gives the best squiggles in the VS Code YAML extension.
 */
export function editorJsonSchema(): Record<string, unknown> {
  const strip = (s: TSchema): unknown => JSON.parse(JSON.stringify(s)) as unknown;
  const flow = strip(FlowSchema) as { properties: Record<string, unknown> };
  flow.properties.steps = {
    type: 'object',
    description: 'Named steps.',
    propertyNames: { pattern: NAME },
    additionalProperties: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: STEP_TYPES } },
      allOf: STEP_TYPES.map((t) => ({
        if: { properties: { type: { const: t } } },
        then: strip(stepSchemas[t]),
      })),
    },
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://switchboard.example/schemas/flow.schema.json',
    title: 'Switchboard flow',
    ...flow,
  };
}
