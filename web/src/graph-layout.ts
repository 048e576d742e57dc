/**
 * Placement of the flow graph's steps and the traffic per edge (pure: no DOM; tested in Node).
 */
import type { GraphEdge } from './schema-nav.js';

/** A step placed on the drawing: top-left corner in SVG user units. */
export interface PlacedNode {
  name: string;
  type: string;
  rank: number;
  x: number;
  y: number;
}

/** The placement of every step; `width`/`height` of the whole drawing. */
export interface GraphLayout {
  nodes: PlacedNode[];
  width: number;
  height: number;
}

export const NODE_W = 168;
export const NODE_H = 48;
const GAP_X = 36;
const GAP_Y = 56;
const MARGIN = 16;

/**
 * Places steps in layers: rank = breadth-first distance from `entry`; steps not reachable from it
 * go in one last layer. Within a layer, steps keep the order they were first reached; layers are
 * centred on the widest one.
 */
export function layoutGraph(
  entry: string,
  steps: Record<string, string>,
  edges: readonly GraphEdge[],
): GraphLayout {
  const rank = new Map<string, number>();
  const order: string[] = [];
  const adj = new Map<string, string[]>();
  for (const e of edges) if (e.to in steps) (adj.get(e.from) ?? adj.set(e.from, []).get(e.from)!).push(e.to);
  if (entry in steps) {
    rank.set(entry, 0);
    order.push(entry);
  }
  for (let i = 0; i < order.length; i++) {
    const n = order[i] as string;
    for (const m of adj.get(n) ?? []) {
      if (!rank.has(m)) {
        rank.set(m, (rank.get(n) ?? 0) + 1);
        order.push(m);
      }
    }
  }
  const last = Math.max(-1, ...rank.values()) + 1;
  for (const n of Object.keys(steps)) {
    if (!rank.has(n)) {
      rank.set(n, last);
      order.push(n);
    }
  }
  const layers: string[][] = [];
  for (const n of order) (layers[rank.get(n) as number] ??= []).push(n);
  const widest = Math.max(1, ...layers.map((l) => l?.length ?? 0));
  const width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const nodes: PlacedNode[] = [];
  layers.forEach((layer, r) => {
    if (!layer) return;
    const used = layer.length * NODE_W + (layer.length - 1) * GAP_X;
    const left = (width - used) / 2;
    layer.forEach((name, i) =>
      nodes.push({
        name,
        type: steps[name] ?? '',
        rank: r,
        x: left + i * (NODE_W + GAP_X),
        y: MARGIN + r * (NODE_H + GAP_Y),
      }),
    );
  });
  const height = MARGIN * 2 + layers.length * NODE_H + Math.max(0, layers.length - 1) * GAP_Y;
  return { nodes, width, height };
}

/** Traffic from the metrics API: calls that entered each step, and per `from --reason--> to` branch. */
export interface Traffic {
  steps: Record<string, number>;
  branches: Record<string, number>;
}

/** Calls that went from `from` to `to`, summed over the branch reasons. */
export function edgeTraffic(traffic: Traffic | undefined, from: string, to: string): number {
  if (!traffic) return 0;
  let n = 0;
  for (const [key, count] of Object.entries(traffic.branches)) {
    const m = /^(.*?) --.*?--> (.*)$/.exec(key);
    if (m && m[1] === from && m[2] === to) n += count;
  }
  return n;
}
