import { describe, expect, it } from 'vitest';

import { cycles, toDot, toMermaid } from '../../../shared/flow/graph.js';
import { flowFrom, flowYaml } from './helpers.js';

const flow = flowFrom(
  flowYaml(`  start:
    type: menu
    prompt: menu
    options: { "1": start, "2": bye-now }
    noInput: { next: bye-now }
    noMatch: { next: bye-now }
  bye-now:
    type: hangup
`),
);

describe('graph export', () => {
  it('draws Mermaid with safe node ids and labelled edges', () => {
    const m = toMermaid(flow);
    expect(m.split('\n')[0]).toBe('flowchart TD');
    expect(m).toContain('start(("start")) --> s0');
    expect(m).toContain('s1(["bye-now<br/><i>hangup</i>"])');
    expect(m).toContain('s0 -->|"option:1"| s0');
    expect(m).toContain('s0 -->|"noInput"| s1');
  });

  it('draws DOT with quoted ids', () => {
    const d = toDot(flow);
    expect(d.startsWith('digraph "t" {')).toBe(true);
    expect(d).toContain('"start" -> "bye-now" [label="option:2", style=bold];');
    expect(d).toContain('"start" -> "bye-now" [label="noInput", style=dashed];');
    expect(d.trim().endsWith('}')).toBe(true);
  });

  it('cycles finds loops (Tarjan) including self-loops', () => {
    const adj = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['c']],
      ['d', []],
    ]);
    expect(cycles(['a', 'b', 'c', 'd'], adj).map((c) => c.sort())).toEqual([['c'], ['a', 'b']]);
  });
});
