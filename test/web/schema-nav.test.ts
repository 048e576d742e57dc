import fs from 'node:fs';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { layoutGraph, edgeTraffic } from '../../web/src/graph-layout.js';
import {
  graphEdges,
  keySuggestions,
  valueSuggestions,
  yamlPlace,
  type JsonSchema,
} from '../../web/src/schema-nav.js';

const schema = JSON.parse(fs.readFileSync('schemas/flow.schema.json', 'utf8')) as JsonSchema;
const contoso = parse(fs.readFileSync('flows/contoso-main.yaml', 'utf8')) as Record<string, unknown>;

describe('yamlPlace', () => {
  it('finds the enclosing object of a key being typed', () => {
    const lines = ['id: x', 'steps:', '  mainMenu:', '    type: menu', '    pro'];
    expect(yamlPlace(lines, 7)).toEqual({
      path: ['steps', 'mainMenu'],
      mode: 'key',
      prefix: 'pro',
      wordStart: 4,
    });
  });

  it('finds the value being typed, inside nested objects and flow sequences', () => {
    const lines = ['steps:', '  mainMenu:', '    noInput:', '      next: op'];
    expect(yamlPlace(lines, 14)).toMatchObject({
      path: ['steps', 'mainMenu', 'noInput', 'next'],
      mode: 'value',
      prefix: 'op',
    });
    const seq = ['steps:', '  greeting:', '    prompts: [welcome, ma'];
    expect(yamlPlace(seq, seq[2]!.length)).toMatchObject({
      path: ['steps', 'greeting', 'prompts'],
      mode: 'value',
      prefix: 'ma',
    });
  });

  it('skips blank and comment lines and handles list items', () => {
    const lines = ['tests:', '  - name: a', '', '    # note', '    exp'];
    expect(yamlPlace(lines, 7)).toMatchObject({ path: ['tests', '0'], mode: 'key', prefix: 'exp' });
  });
});

describe('schema suggestions', () => {
  it('offers the fields of the step type under the cursor, minus those present', () => {
    const doc = { steps: { m: { type: 'menu', prompt: 'p' } } };
    const keys = keySuggestions(schema, doc, ['steps', 'm']).map((s) => s.label);
    expect(keys).toEqual(expect.arrayContaining(['options', 'timeout', 'noInput', 'noMatch', 'bargeIn']));
    expect(keys).not.toContain('prompt');
    expect(keys).not.toContain('into'); // a collectDigits field
    const digits = keySuggestions(schema, { steps: { c: { type: 'collectDigits' } } }, ['steps', 'c']).map(
      (s) => s.label,
    );
    expect(digits).toEqual(expect.arrayContaining(['into', 'maxDigits', 'terminator']));
  });

  it('offers step names where a step is expected and prompt names where a prompt is', () => {
    expect(valueSuggestions(schema, contoso, ['steps', 'greeting', 'next']).map((s) => s.label)).toEqual(
      Object.keys(contoso.steps as object),
    );
    expect(valueSuggestions(schema, contoso, ['steps', 'greeting', 'prompts']).map((s) => s.label)).toEqual(
      Object.keys(contoso.prompts as object),
    );
    expect(valueSuggestions(schema, contoso, ['steps', 'greeting', 'type']).map((s) => s.label)).toContain(
      'collectDigits',
    );
  });
});

describe('graph from the schema', () => {
  it('finds every step reference of the example flow with its label', () => {
    const edges = graphEdges(schema, contoso);
    expect(edges).toContainEqual({ from: 'hours', to: 'greeting', label: 'open' });
    expect(edges).toContainEqual({ from: 'greeting', to: 'mainMenu', label: '' });
    expect(edges).toContainEqual({ from: 'mainMenu', to: 'sales', label: '1' });
    expect(edges).toContainEqual({ from: 'mainMenu', to: 'operator', label: 'noInput' });
    const steps = new Set(Object.keys(contoso.steps as object));
    for (const e of edges) expect(steps.has(e.from)).toBe(true);
  });

  it('lays steps out in breadth-first layers from the entry, unreachable ones last', () => {
    const steps = { a: 'play', b: 'menu', c: 'hangup', lost: 'hangup' };
    const layout = layoutGraph('a', steps, [
      { from: 'a', to: 'b', label: '' },
      { from: 'b', to: 'c', label: '1' },
      { from: 'b', to: 'a', label: '2' },
    ]);
    const rank = Object.fromEntries(layout.nodes.map((n) => [n.name, n.rank]));
    expect(rank).toEqual({ a: 0, b: 1, c: 2, lost: 3 });
    const ys = layout.nodes.map((n) => n.y);
    expect(new Set(ys).size).toBe(4);
    expect(layout.height).toBeGreaterThan(Math.max(...ys));
  });

  it('sums branch traffic between two steps over reasons', () => {
    const t = { steps: {}, branches: { 'm --1--> s': 3, 'm --noInput--> s': 2, 'm --2--> x': 7 } };
    expect(edgeTraffic(t, 'm', 's')).toBe(5);
    expect(edgeTraffic(t, 'm', 'x')).toBe(7);
    expect(edgeTraffic(undefined, 'm', 's')).toBe(0);
  });
});
