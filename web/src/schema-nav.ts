/**
 * Reading the published flow JSON Schema (`schemas/flow.schema.json`, draft-07) the way the editor
 * needs it: which keys and values fit at a place in a YAML flow, and which values name steps
 * (`x-kind: step`) so the graph can be drawn from the schema instead of a copy of the step rules.
 * Pure (no DOM): tested in Node under test/web/.
 */

/** The parts of a JSON Schema the editor reads. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  allOf?: { if?: JsonSchema; then?: JsonSchema }[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  'x-kind'?: string;
  required?: string[];
}

/** One completion: a label to insert, its kind and its schema description. */
export interface Suggestion {
  label: string;
  kind: 'property' | 'value' | 'step' | 'prompt';
  detail?: string | undefined;
}

/** A value at `path` inside `doc` (undefined when absent). */
export function getIn(doc: unknown, path: readonly string[]): unknown {
  let node = doc;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}

/**
 * The schema with the `allOf` branches whose `if` matches `value` merged in (the flow schema picks
 * a step's fields by `if: {properties: {type: {const: …}}}`).
 */
export function effective(schema: JsonSchema, value: unknown): JsonSchema {
  if (!schema.allOf) return schema;
  let props: Record<string, JsonSchema> = { ...(schema.properties ?? {}) };
  let merged: JsonSchema = { ...schema };
  for (const branch of schema.allOf) {
    const cond = branch.if?.properties ?? {};
    const matches = Object.entries(cond).every(
      ([k, sub]) =>
        value !== null && typeof value === 'object' && (value as Record<string, unknown>)[k] === sub.const,
    );
    if (matches && branch.then) {
      props = { ...props, ...(branch.then.properties ?? {}) };
      merged = { ...merged, ...branch.then };
    }
  }
  return { ...merged, properties: props };
}

/** The schema of `key` inside an object governed by `schema` (with `value` the object itself). */
export function child(schema: JsonSchema, key: string, value: unknown): JsonSchema | undefined {
  const eff = effective(schema, value);
  if (eff.items && /^\d+$/.test(key)) return eff.items;
  const direct = eff.properties?.[key];
  if (direct) return direct;
  for (const [pattern, sub] of Object.entries(eff.patternProperties ?? {})) {
    if (new RegExp(pattern, 'u').test(key)) return sub;
  }
  return typeof eff.additionalProperties === 'object' ? eff.additionalProperties : undefined;
}

/** The schema governing the value at `path` of `doc`, or undefined when the schema has none. */
export function schemaAt(root: JsonSchema, doc: unknown, path: readonly string[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (let i = 0; i < path.length && schema; i++) {
    schema = child(schema, path[i] as string, getIn(doc, path.slice(0, i)));
  }
  return schema;
}

function names(doc: unknown, key: string): string[] {
  const v = getIn(doc, [key]);
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
}

/** Keys that may be written in the object at `path` (minus those already there). */
export function keySuggestions(root: JsonSchema, doc: unknown, path: readonly string[]): Suggestion[] {
  const schema = schemaAt(root, doc, path);
  if (!schema) return [];
  const here = getIn(doc, path);
  const eff = effective(schema, here);
  const present = new Set(here !== null && typeof here === 'object' ? Object.keys(here) : []);
  return Object.entries(eff.properties ?? {})
    .filter(([k]) => !present.has(k))
    .map(([k, sub]) => ({ label: k, kind: 'property' as const, detail: sub.description }));
}

/** Values that fit at `path`: enum members, booleans, step names (`x-kind: step`), prompt names. */
export function valueSuggestions(root: JsonSchema, doc: unknown, path: readonly string[]): Suggestion[] {
  let schema = schemaAt(root, doc, path);
  if (!schema) return [];
  // A discriminator (`type` of a step) lists every choice, not the one the current value selected.
  const parent = path.length > 0 ? schemaAt(root, doc, path.slice(0, -1)) : undefined;
  const base = parent?.properties?.[path.at(-1) as string];
  if (base?.enum) schema = base;
  if (schema.items && (schema.type === 'array' || schema.items)) schema = schema.items;
  const kind = schema['x-kind'];
  if (kind === 'step')
    return names(doc, 'steps').map((n) => ({ label: n, kind: 'step' as const, detail: 'step' }));
  if (kind === 'prompt')
    return names(doc, 'prompts').map((n) => ({ label: n, kind: 'prompt' as const, detail: 'prompt' }));
  const values =
    schema.enum ??
    (schema.const !== undefined ? [schema.const] : schema.type === 'boolean' ? [true, false] : []);
  return values.map((v) => ({ label: String(v), kind: 'value' as const, detail: schema.description }));
}

/** Where the cursor is in a YAML text: the key path of the enclosing object and whether a key or a value is being typed. */
export interface YamlPlace {
  /** Path of the object whose key is typed (mode `key`), or of the value being typed (mode `value`). */
  path: string[];
  mode: 'key' | 'value';
  /** What has been typed of the word so far. */
  prefix: string;
  /** Offset in the line where the word starts. */
  wordStart: number;
}

const KEY_LINE = /^(\s*)(-\s+)?(['"]?)([^'":#\s][^'":#]*?)\3\s*:(?:\s(.*))?$/;

function unquote(k: string): string {
  return k.replace(/^['"]|['"]$/g, '');
}

/**
 * The place of a cursor in block-style YAML, from indentation (the document may be half typed and
 * not parse). `lines` are the document's lines up to and including the cursor's; `column` is the
 * cursor's offset in the last one.
 */
export function yamlPlace(lines: readonly string[], column: number): YamlPlace | undefined {
  const current = (lines.at(-1) ?? '').slice(0, column);
  if (/^\s*#/.test(current)) return undefined;
  let indent: number;
  let mode: 'key' | 'value';
  let prefix: string;
  let own: string | undefined;
  let dash = false;
  const kv = /^(\s*)(-\s+)?(['"]?)([^'":#\s][^'":#]*?)\3\s*:\s+(.*)$/.exec(current);
  const keyOnly = /^(\s*)(-\s+)?([^:#]*)$/.exec(current);
  if (kv) {
    indent = (kv[1]?.length ?? 0) + (kv[2]?.length ?? 0);
    dash = kv[2] !== undefined;
    own = unquote(kv[4] ?? '');
    const rest = kv[5] ?? '';
    const flow = /[[{,]\s*([^[\]{},]*)$/.exec(rest);
    prefix = unquote((flow ? flow[1] : rest) ?? '').trim();
    mode = 'value';
  } else if (keyOnly) {
    indent = (keyOnly[1]?.length ?? 0) + (keyOnly[2]?.length ?? 0);
    dash = keyOnly[2] !== undefined;
    prefix = unquote((keyOnly[3] ?? '').trim());
    mode = 'key';
  } else {
    return undefined;
  }
  const wordStart = column - prefix.length;
  const parents: string[] = [];
  let limit = indent;
  if (dash) {
    parents.unshift('0');
    limit = indent - 2;
  }
  for (let i = lines.length - 2; i >= 0 && limit > 0; i--) {
    const line = lines[i] as string;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const m = KEY_LINE.exec(line);
    const lineIndent = /^\s*/.exec(line)?.[0].length ?? 0;
    const dashItem = /^(\s*)-\s+/.exec(line);
    const contentIndent = dashItem ? dashItem[0].length : lineIndent;
    if (m && contentIndent < limit) {
      parents.unshift(unquote(m[4] ?? ''));
      limit = contentIndent;
      if (dashItem) {
        parents.unshift('0');
        limit = lineIndent;
      }
    } else if (dashItem && lineIndent < limit) {
      parents.unshift('0');
      limit = lineIndent;
    }
  }
  if (mode === 'value' && own !== undefined) return { path: [...parents, own], mode, prefix, wordStart };
  if (mode === 'key' && dash && !kv) {
    // `- wo|` in a list: a value of the list unless its items are objects (the caller checks the schema).
    return { path: parents, mode, prefix, wordStart };
  }
  return { path: parents, mode, prefix, wordStart };
}

/** An edge of the flow graph: `from` step to `to` step, labelled by where it is written (`1`, `noInput`, `open`). */
export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

function edgeLabel(path: string[]): string {
  const p = path.filter((seg) => !/^\d+$/.test(seg) || path[0] === 'options');
  if (p[0] === 'options') return p.slice(1).join('.');
  if (p.at(-1) === 'next') p.pop();
  return p.join('.');
}

/** Every step reference (`x-kind: step`) in each step of `doc`, found through the schema. */
export function graphEdges(root: JsonSchema, doc: unknown): GraphEdge[] {
  const steps = getIn(doc, ['steps']);
  if (steps === null || typeof steps !== 'object') return [];
  const stepsSchema = root.properties?.steps;
  const out: GraphEdge[] = [];
  const walk = (schema: JsonSchema | undefined, value: unknown, from: string, path: string[]): void => {
    if (!schema) return;
    if (typeof value === 'string') {
      if (schema['x-kind'] === 'step') out.push({ from, to: value, label: edgeLabel(path) });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(schema.items, v, from, [...path, String(i)]));
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(child(schema, k, value), v, from, [...path, k]);
    }
  };
  for (const [name, step] of Object.entries(steps)) {
    const schema = stepsSchema ? child(stepsSchema, name, steps) : undefined;
    walk(schema, step, name, []);
  }
  return out;
}
