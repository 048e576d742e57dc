/**
 * Flow benchmarks (`npm run bench -- flow`):
 *  - flow_validate_500_steps_ms: median time to validate (parse + schema + semantic + graph checks)
 *    a 500-step flow from YAML text. Target < 100 ms.
 *  - interpreter_transition_us_p50: median time of one `handleEvent` call (menu tone -> play ->
 *    menu prompt -> timer...), state copied as in production. Target < 20 µs.
 * The last stdout line is the JSON figures object.
 */
import { handleEvent, startCall } from '../shared/flow/interpreter.js';
import type { CallState, FlowEvent, StepResult } from '../shared/flow/model.js';
import { validateFlowSource } from '../shared/flow/validate.js';

function bigFlow(steps: number): string {
  const lines = [
    'id: big',
    'version: 1',
    'description: 500-step benchmark flow',
    'timezone: America/New_York',
    'entry: s0',
    'allowedHosts: [api.example.com]',
    'variables: { n: 0 }',
    'prompts:',
    '  p: { text: "Hello ${callerNumber}" }',
    '  bye: { text: Bye }',
    'steps:',
  ];
  for (let i = 0; i < steps - 1; i++) {
    const next = i === steps - 2 ? 'end' : `s${i + 1}`;
    switch (i % 5) {
      case 0:
        lines.push(
          `  s${i}:`,
          '    type: menu',
          '    prompt: p',
          `    options: { "1": ${next}, "2": end, "#": s${Math.max(0, i - 5)} }`,
          `    noInput: { next: ${next} }`,
          `    noMatch: { next: end }`,
        );
        break;
      case 1:
        lines.push(`  s${i}:`, '    type: play', '    prompts: [p]', `    next: ${next}`);
        break;
      case 2:
        lines.push(
          `  s${i}:`,
          '    type: switch',
          `    cases: [{ when: "n > ${i} && callerNumber.startsWith(\\"+1\\")", next: end }]`,
          `    default: ${next}`,
        );
        break;
      case 3:
        lines.push(`  s${i}:`, '    type: setVariables', '    set: { n: "n + 1" }', `    next: ${next}`);
        break;
      default:
        lines.push(
          `  s${i}:`,
          '    type: httpRequest',
          '    method: GET',
          `    url: "https://api.example.com/x/\${n}"`,
          `    success: ${next}`,
          '    error: end',
        );
    }
  }
  lines.push('  end:', '    type: hangup', '    prompt: bye');
  return lines.join('\n') + '\n';
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const text = bigFlow(500);
const first = validateFlowSource(text, { file: 'big.yaml' });
const errors = first.issues.filter((i) => i.severity === 'error');
if (!first.flow || errors.length > 0)
  throw new Error(`bench flow invalid: ${errors.map((e) => e.message).join('; ')}`);
process.stdout.write(`500-step flow: ${text.length} bytes, ${first.issues.length} warnings\n`);
const validateMs: number[] = [];
for (let i = 0; i < 15; i++) {
  const t0 = performance.now();
  validateFlowSource(text, { file: 'big.yaml' });
  validateMs.push(performance.now() - t0);
}

// Interpreter: a menu <-> play loop driven by the events the call would produce.
const loop = validateFlowSource(
  `id: loop
version: 1
description: bench
timezone: America/New_York
entry: menu
prompts:
  m: { text: "Press 1, \${callerNumber}" }
  p: { text: Thanks }
steps:
  menu:
    type: menu
    prompt: m
    options: { "1": play, "2": bye }
    noInput: { retries: 3, next: bye }
    noMatch: { next: bye }
  play:
    type: play
    prompts: [p]
    next: menu
  bye:
    type: hangup
`,
).flow!;
const at = '2026-01-07T16:00:00.000Z';
const start = startCall(loop, {
  callId: 'bench',
  callerNumber: '+14255550199',
  dialledNumber: '+14255550100',
  at,
});
let r: StepResult = start;
let seq = 0;
const nextEvent = (state: CallState, last: StepResult, i: number): FlowEvent => {
  const play = last.commands.find((c) => c.type === 'playPrompts');
  const timer = last.commands.find((c) => c.type === 'startTimer');
  if (play && 'id' in play) return { type: 'promptCompleted', commandId: play.id, status: 'completed', at };
  if (timer && state.step === 'menu' && i % 5 === 0)
    return { type: 'timerFired', name: (timer as { name: string }).name, at };
  return { type: 'tone', key: '1', sequenceId: ++seq, at };
};
const samples: number[] = [];
for (let i = 0; i < 60_000; i++) {
  if (r.state.status === 'ended' || r.state.entered > 600) r = start;
  const ev = nextEvent(r.state, r, i);
  const t0 = process.hrtime.bigint();
  const out = handleEvent(loop, r.state, ev);
  const dt = Number(process.hrtime.bigint() - t0) / 1000;
  if (i >= 10_000) samples.push(dt);
  r = out;
}

const figures = {
  flow_validate_500_steps_ms: Math.round(median(validateMs) * 100) / 100,
  interpreter_transition_us_p50: Math.round(median(samples) * 100) / 100,
};
process.stdout.write(
  `validate runs: ${validateMs.map((x) => x.toFixed(1)).join(' ')} ms; transitions sampled: ${samples.length}\n`,
);
process.stdout.write(JSON.stringify(figures) + '\n');
