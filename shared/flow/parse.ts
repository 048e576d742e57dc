/**
 * Reads flow-format text (YAML 1.2; JSON is YAML) into a value plus a locator from document
 * paths to `line:col`, defending against hostile input before the YAML library sees it: size,
 * binary content and nesting depth are checked first (the `yaml` package recurses per nesting
 * level and can exhaust the stack or memory on pathological input), aliases are capped
 * (billion laughs), and duplicate keys are errors (`uniqueKeys`).
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
} from 'yaml';

/** One problem found in a file, located at the YAML node it is about (1-based line and column). */
export interface FlowIssue {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  /** Stable code, `FLOW.REASON`. */
  code: string;
  message: string;
  /** Dotted document path, e.g. `steps.mainMenu.options.7` ('' for the whole file). */
  path: string;
}

/** Input limits. `maxBytes` ~ 1 MB, nesting 64 levels, 2000 steps. */
export const LIMITS = { maxBytes: 1_000_000, maxDepth: 64, maxSteps: 2000, maxAliases: 50 } as const;

/** A parsed document: its JS value (undefined when unusable) and a locator. */
export interface ParsedSource {
  value: unknown;
  issues: FlowIssue[];
  /** line:col of the node at `path` (its key when `key`), or of its nearest existing ancestor. */
  locate(path: readonly (string | number)[], key?: boolean): { line: number; col: number };
  /** The keys of the map at `path` as written (for duplicate detection after type coercion). */
  keysAt(path: readonly (string | number)[]): { key: string; line: number; col: number }[];
}

/** Dotted form of a document path. */
export function pathString(path: readonly (string | number)[]): string {
  return path.map(String).join('.');
}

/** A rough nesting depth (flow brackets, indentation levels, `- - -`), linear time, no parsing. */
export function estimateDepth(text: string): number {
  let max = 0;
  let flow = 0;
  const indents: number[] = [];
  for (const line of text.split('\n')) {
    let i = 0;
    while (i < line.length && line[i] === ' ') i++;
    if (i >= line.length || line[i] === '#') continue;
    while (indents.length > 0 && indents[indents.length - 1]! >= i) indents.pop();
    indents.push(i);
    let dashes = 0;
    let j = i;
    while ((line[j] === '-' || line[j] === '?') && (line[j + 1] === ' ' || j + 1 === line.length)) {
      dashes++;
      j += 2;
      while (line[j] === ' ') j++;
    }
    let quote: string | null = null;
    for (; j < line.length; j++) {
      const c = line[j];
      if (quote) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (line[j - 1] === ' ' || line[j - 1] === '\t')) break;
      else if (c === '[' || c === '{') {
        flow++;
        if (flow > max) max = flow;
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
    max = Math.max(max, indents.length + dashes + flow);
  }
  return max;
}

function valueDepth(v: unknown, limit: number): number {
  // Iterative, so a deep value cannot blow the stack here.
  let max = 0;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return max;
}

/** Parses `text` (from `file`) with the checks above. Never throws. */
export function parseSource(text: string, file: string): ParsedSource {
  const lc = new LineCounter();
  let doc: Document.Parsed | undefined;
  const issues: FlowIssue[] = [];
  const at = (offset: number): { line: number; col: number } => {
    const p = lc.linePos(Math.max(0, offset));
    return { line: p.line, col: p.col };
  };
  const nodeAt = (
    path: readonly (string | number)[],
    key: boolean,
  ): { node?: unknown; found: YamlNode | undefined } => {
    let node: unknown = doc?.contents;
    let found: YamlNode | undefined = (node as YamlNode | undefined) ?? undefined;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) return { found };
        const last = i === path.length - 1;
        node = last && key ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node)) {
        node = node.items[Number(seg)];
        if (node === undefined) return { found };
      } else return { found };
      if (node && typeof node === 'object' && 'range' in node) found = node as YamlNode;
    }
    return { node: node, found };
  };
  const locate = (path: readonly (string | number)[], key = false): { line: number; col: number } => {
    if (!doc) return { line: 1, col: 1 };
    const { found } = nodeAt(path, key);
    const range = (found as { range?: [number, number, number] } | undefined)?.range;
    return range ? at(range[0]) : { line: 1, col: 1 };
  };
  const keysAt = (path: readonly (string | number)[]): { key: string; line: number; col: number }[] => {
    const { node } = nodeAt(path, false);
    if (!isMap(node)) return [];
    return node.items.map((p) => {
      const k = p.key as { range?: [number, number, number] } | null;
      return {
        key: String(isScalar(p.key) ? p.key.value : p.key),
        ...(k?.range ? at(k.range[0]) : { line: 1, col: 1 }),
      };
    });
  };
  const fail = (code: string, message: string, pos = { line: 1, col: 1 }): ParsedSource => {
    issues.push({ file, ...pos, severity: 'error', code, message, path: '' });
    return { value: undefined, issues, locate, keysAt };
  };

  if (text.length > LIMITS.maxBytes)
    return fail('FLOW.TOO_LARGE', `file is ${text.length} characters; the limit is ${LIMITS.maxBytes}`);
  // eslint-disable-next-line no-control-regex
  const bin = /[\u0000-\u0008\u000E-\u001F\uFFFD]/.exec(text);
  if (bin) return fail('FLOW.BINARY', 'file is not text (control characters or invalid UTF-8)');
  const depth = estimateDepth(text);
  if (depth > LIMITS.maxDepth)
    return fail('FLOW.TOO_DEEP', `nesting is about ${depth} levels deep; the limit is ${LIMITS.maxDepth}`);

  try {
    doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (err) {
    return fail(
      'FLOW.YAML_SYNTAX',
      `cannot parse: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  for (const e of doc.errors) {
    const code = e.code === 'DUPLICATE_KEY' ? 'FLOW.DUPLICATE_KEY' : 'FLOW.YAML_SYNTAX';
    issues.push({
      file,
      ...at(e.pos[0]),
      severity: 'error',
      code,
      message: e.message.split('\n')[0] ?? e.message,
      path: '',
    });
  }
  for (const w of doc.warnings)
    issues.push({
      file,
      ...at(w.pos[0]),
      severity: 'warning',
      code: 'FLOW.YAML_WARNING',
      message: w.message.split('\n')[0] ?? w.message,
      path: '',
    });
  if (doc.errors.length > 0) return { value: undefined, issues, locate, keysAt };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: LIMITS.maxAliases });
  } catch (err) {
    return fail(
      'FLOW.YAML_SYNTAX',
      err instanceof Error ? (err.message.split('\n')[0] ?? 'bad YAML') : 'bad YAML',
    );
  }
  if (valueDepth(value, LIMITS.maxDepth) > LIMITS.maxDepth)
    return fail('FLOW.TOO_DEEP', `nesting is deeper than ${LIMITS.maxDepth} levels`);
  return { value, issues, locate, keysAt };
}
