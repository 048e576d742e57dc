/** Test helpers: build a validated flow from YAML text (throws listing the issues when invalid). */
import { validateFlowSource } from '../../../shared/flow/validate.js';
import type { Flow } from '../../../shared/flow/schema.js';

export function flowFrom(yaml: string, options: { allowedHosts?: string[] } = {}): Flow {
  const r = validateFlowSource(yaml, { file: 'test.yaml', ...options });
  if (!r.flow) throw new Error(r.issues.map((i) => `${i.line}:${i.col} ${i.code} ${i.message}`).join('\n'));
  return r.flow;
}

/** A flow header with the given steps (YAML, indented two spaces under `steps:`). */
export function flowYaml(steps: string, extra = ''): string {
  return `id: t
version: 1
description: test
timezone: Europe/London
entry: start
${extra}
prompts:
  hello: { text: Hello }
  menu: { text: Press 1 or 2 }
  again: { text: Again }
  bye: { text: Bye }
  sorry: { text: Sorry }
steps:
${steps}`;
}

export const AT = '2026-01-07T12:00:00Z';
