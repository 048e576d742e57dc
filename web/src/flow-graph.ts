/**
 * The flow graph beside the editor: steps as boxes in layers (breadth-first from `entry`), edges
 * labelled with the key or branch that takes them, and each step's and branch's traffic from the
 * metrics API. Drawn as SVG elements built one by one (no markup strings, no inline styles: the
 * console's CSP forbids both).
 */
import { s } from './dom.js';
import { edgeTraffic, NODE_H, NODE_W, type GraphLayout, type Traffic } from './graph-layout.js';
import type { GraphEdge } from './schema-nav.js';

/**
 * Draws the graph as an `<svg>` with a title and description for screen readers; each step is a
 * group titled with its name, type and traffic. `highlight` marks steps (e.g. a test call's path).
 */
export function renderGraph(
  layout: GraphLayout,
  edges: readonly GraphEdge[],
  traffic: Traffic | undefined,
  highlight: ReadonlySet<string> = new Set(),
): SVGSVGElement {
  const at = new Map(layout.nodes.map((n) => [n.name, n]));
  const svg = s('svg', {
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: layout.width,
    height: layout.height,
    role: 'img',
    'aria-labelledby': 'graph-title',
    class: 'flow-graph',
  });
  svg.append(
    s(
      'title',
      { id: 'graph-title' },
      `Flow graph: ${layout.nodes.length} steps, ${edges.length} transitions`,
    ),
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }),
      ),
    ),
  );
  const edgeLayer = s('g', { class: 'edges' });
  const nodeLayer = s('g', { class: 'nodes' });
  for (const e of edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W / 2;
    const y1 = a.y + NODE_H;
    const x2 = b.x + NODE_W / 2;
    const y2 = b.y;
    let d: string;
    let lx: number;
    let ly: number;
    if (b.rank > a.rank) {
      const my = (y1 + y2) / 2;
      d = `M ${x1} ${y1} C ${x1} ${my}, ${x2} ${my}, ${x2} ${y2}`;
      lx = (x1 + x2) / 2;
      ly = my - 4;
    } else {
      // Back edge (a loop, a retry): curve around the right side of both boxes.
      const side = Math.max(a.x, b.x) + NODE_W + 24;
      d = `M ${a.x + NODE_W} ${a.y + NODE_H / 2} C ${side} ${a.y + NODE_H / 2}, ${side} ${b.y + NODE_H / 2}, ${b.x + NODE_W} ${b.y + NODE_H / 2}`;
      lx = side - 10;
      ly = (a.y + b.y + NODE_H) / 2;
    }
    const count = edgeTraffic(traffic, e.from, e.to);
    const label = [e.label, count > 0 ? `(${count})` : ''].filter(Boolean).join(' ');
    edgeLayer.append(
      s(
        'g',
        {
          class: `edge${highlight.has(e.from) && highlight.has(e.to) ? ' on-path' : ''}`,
          'data-from': e.from,
          'data-to': e.to,
        },
        s('title', {}, `${e.from} → ${e.to}${e.label ? ` on ${e.label}` : ''}: ${count} calls`),
        s('path', { d, 'marker-end': 'url(#arrow)' }),
        label ? s('text', { x: lx, y: ly, 'text-anchor': 'middle', class: 'edge-label' }, label) : null,
      ),
    );
  }
  for (const n of layout.nodes) {
    const calls = traffic?.steps[n.name] ?? 0;
    nodeLayer.append(
      s(
        'g',
        { class: `node type-${n.type}${highlight.has(n.name) ? ' on-path' : ''}`, 'data-step': n.name },
        s('title', {}, `${n.name} (${n.type}): ${calls} calls`),
        s('rect', { x: n.x, y: n.y, width: NODE_W, height: NODE_H, rx: 6 }),
        s(
          'text',
          { x: n.x + 10, y: n.y + 19, class: 'node-name' },
          n.name.length > 20 ? `${n.name.slice(0, 19)}…` : n.name,
        ),
        s('text', { x: n.x + 10, y: n.y + 37, class: 'node-type' }, n.type),
        s(
          'text',
          { x: n.x + NODE_W - 10, y: n.y + 37, 'text-anchor': 'end', class: 'node-traffic' },
          `${calls} ${calls === 1 ? 'call' : 'calls'}`,
        ),
      ),
    );
  }
  svg.append(edgeLayer, nodeLayer);
  return svg;
}
