/**
 * The step graph of a flow: edges from the step handlers, the analyses the validator runs
 * (reachability, can-end, stuck cycles, automatic loops) and exports to Mermaid and Graphviz DOT.
 */
import type { Flow } from './schema.js';
import { handlerFor } from './steps/index.js';
import type { Edge } from './steps/step.js';

/** An edge with its source step. */
export type FlowEdge = Edge & { from: string };

/** All edges of the flow whose source step exists (targets may not: the validator reports those). */
export function flowEdges(flow: Flow): FlowEdge[] {
  const out: FlowEdge[] = [];
  for (const [name, step] of Object.entries(flow.steps))
    for (const e of handlerFor(step.type).edges(step, name)) out.push({ ...e, from: name });
  return out;
}

function adjacency(
  flow: Flow,
  edges: FlowEdge[],
  keep: (e: FlowEdge) => boolean = () => true,
): Map<string, string[]> {
  const adj = new Map<string, string[]>(Object.keys(flow.steps).map((n) => [n, []]));
  for (const e of edges) if (keep(e) && adj.has(e.to)) adj.get(e.from)?.push(e.to);
  return adj;
}

/** Steps reachable from `entry`. */
export function reachable(flow: Flow, edges = flowEdges(flow)): Set<string> {
  const adj = adjacency(flow, edges);
  const seen = new Set<string>();
  const stack = flow.steps[flow.entry] ? [flow.entry] : [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const m of adj.get(n) ?? []) stack.push(m);
  }
  return seen;
}

/** Steps from which the call can end (reach a step that can end it by itself, or a dangling reference). */
export function canEnd(flow: Flow, edges = flowEdges(flow)): Set<string> {
  const rev = new Map<string, string[]>();
  // A step's generic `error` branch is for Graph failures, not a way out in normal operation.
  const normal = (e: FlowEdge): boolean =>
    !(e.label === 'error' && flow.steps[e.from]?.type !== 'httpRequest');
  for (const e of edges)
    if (flow.steps[e.to] && normal(e)) (rev.get(e.to) ?? rev.set(e.to, []).get(e.to)!).push(e.from);
  const ok = new Set<string>();
  // Edges to missing steps are reported as UNKNOWN_STEP; do not pile CANNOT_END on top of them.
  const dangling = new Set(edges.filter((e) => !flow.steps[e.to]).map((e) => e.from));
  const stack = Object.entries(flow.steps)
    .filter(([n, s]) => handlerFor(s.type).terminal(s) || dangling.has(n))
    .map(([n]) => n);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (ok.has(n)) continue;
    ok.add(n);
    for (const m of rev.get(n) ?? []) stack.push(m);
  }
  return ok;
}

/** Strongly connected components that form cycles (size > 1 or a self-loop), Tarjan, iterative. */
export function cycles(nodes: string[], adj: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  for (const root of nodes) {
    if (idx.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    idx.set(root, index);
    low.set(root, index++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, i] = top;
      const succ = adj.get(v) ?? [];
      if (i < succ.length) {
        top[1]++;
        const w = succ[i]!;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      } else {
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1]![0];
          low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
        }
        if (low.get(v) === idx.get(v)) {
          const comp: string[] = [];
          let w: string;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            comp.push(w);
          } while (w !== v);
          if (comp.length > 1 || succ.includes(v)) out.push(comp.reverse());
        }
      }
    }
  }
  return out;
}

/** Cycles of the whole graph and of its automatic edges only (no caller input, timer or result). */
export function flowCycles(flow: Flow, edges = flowEdges(flow)): { all: string[][]; automatic: string[][] } {
  const nodes = Object.keys(flow.steps);
  return {
    all: cycles(nodes, adjacency(flow, edges)),
    automatic: cycles(
      nodes,
      adjacency(flow, edges, (e) => e.kind === 'auto' && !handlerFor(flow.steps[e.from]!.type).answers),
    ),
  };
}

/** Steps reachable from `entry` before the call is answered (only through non-media steps). */
export function reachableUnanswered(flow: Flow, edges = flowEdges(flow)): Set<string> {
  const adj = adjacency(flow, edges);
  const seen = new Set<string>();
  const stack = flow.steps[flow.entry] ? [flow.entry] : [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const s = flow.steps[n];
    if (s && !handlerFor(s.type).answers) for (const m of adj.get(n) ?? []) stack.push(m);
  }
  return seen;
}

const esc = (s: string): string => s.replace(/["\\]/g, (c) => (c === '"' ? '#quot;' : '\\\\'));

/** Mermaid `flowchart TD` of the flow (node ids `s0`, `s1`... labelled `name` + type; edges by label). */
export function toMermaid(flow: Flow): string {
  const ids = new Map(Object.keys(flow.steps).map((n, i) => [n, `s${i}`]));
  const id = (n: string): string => ids.get(n) ?? `missing_${ids.size}`;
  const lines = ['flowchart TD', `  start(("start")) --> ${id(flow.entry)}`];
  for (const [name, step] of Object.entries(flow.steps)) {
    const terminal = handlerFor(step.type).terminal(step);
    const label = `${esc(name)}<br/><i>${step.type}</i>`;
    const branch = step.type === 'menu' || step.type === 'switch' || step.type === 'checkHours';
    lines.push(
      terminal
        ? `  ${id(name)}(["${label}"])`
        : branch
          ? `  ${id(name)}{"${label}"}`
          : `  ${id(name)}["${label}"]`,
    );
  }
  for (const e of flowEdges(flow)) lines.push(`  ${id(e.from)} -->|"${esc(e.label)}"| ${id(e.to)}`);
  return lines.join('\n') + '\n';
}

/** Graphviz DOT of the flow. */
export function toDot(flow: Flow): string {
  const q = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;
  const lines = [
    `digraph ${q(flow.id)} {`,
    '  rankdir=TB;',
    '  node [shape=box, fontname="Helvetica"];',
    `  __start [shape=circle, label="start"];`,
    `  __start -> ${q(flow.entry)};`,
  ];
  for (const [name, step] of Object.entries(flow.steps)) {
    const shape = handlerFor(step.type).terminal(step)
      ? 'doubleoctagon'
      : step.type === 'menu' || step.type === 'switch' || step.type === 'checkHours'
        ? 'diamond'
        : 'box';
    lines.push(`  ${q(name)} [label=${q(name).slice(0, -1)}\\n${step.type}", shape=${shape}];`);
  }
  for (const e of flowEdges(flow))
    lines.push(
      `  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}${e.kind === 'auto' ? '' : `, style=${e.kind === 'input' ? 'bold' : 'dashed'}`}];`,
    );
  lines.push('}');
  return lines.join('\n') + '\n';
}
