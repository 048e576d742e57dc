/**
 * The YAML flow editor: CodeMirror 6 with YAML highlighting, completion from the published flow
 * schema (keys of the object under the cursor, enum values, step and prompt names), and live
 * validation markers from the validate API at the line and column it reports.
 */
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { yaml as yamlLanguage } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { parseDocument } from 'yaml';

import flowSchema from '../../schemas/flow.schema.json';
import { keySuggestions, valueSuggestions, yamlPlace, schemaAt, type JsonSchema } from './schema-nav.js';
import type { Problem } from './types.js';

export const FLOW_SCHEMA = flowSchema as unknown as JsonSchema;

/** The page's CSP nonce (index.html's `<meta property="csp-nonce">`, filled in by the server). */
export function cspNonce(): string {
  return document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce ?? '';
}

/** Parses YAML leniently (a half-typed document still gives what it can); undefined on failure. */
export function parseLenient(text: string): unknown {
  try {
    return parseDocument(text, { prettyErrors: false }).toJS({ maxAliasCount: 50 }) as unknown;
  } catch {
    return undefined;
  }
}

function completeFromSchema(ctx: CompletionContext): CompletionResult | null {
  const line = ctx.state.doc.lineAt(ctx.pos);
  const lines: string[] = [];
  for (let n = 1; n <= line.number; n++) lines.push(ctx.state.doc.line(n).text);
  const place = yamlPlace(lines, ctx.pos - line.from);
  if (!place) return null;
  if (!ctx.explicit && place.prefix === '' && place.mode === 'key' && !/^\s*-?\s*$/.test(line.text))
    return null;
  const doc = parseLenient(ctx.state.doc.toString());
  let mode = place.mode;
  // `- x` in a list of names is a value, not a key.
  if (mode === 'key' && /^\s*-\s/.test(line.text.slice(0, ctx.pos - line.from))) {
    const listSchema = schemaAt(FLOW_SCHEMA, doc, place.path.slice(0, -1));
    if (listSchema?.items && listSchema.items.type !== 'object') mode = 'value';
  }
  const options =
    mode === 'key'
      ? keySuggestions(FLOW_SCHEMA, doc, place.path).map((sug) => ({
          label: sug.label,
          type: 'property',
          detail: sug.detail,
          apply: `${sug.label}: `,
        }))
      : valueSuggestions(
          FLOW_SCHEMA,
          doc,
          mode === 'value' && place.mode === 'key' ? place.path.slice(0, -1) : place.path,
        ).map((sug) => ({
          label: sug.label,
          type: sug.kind === 'value' ? 'enum' : 'variable',
          detail: sug.detail,
        }));
  if (options.length === 0) return null;
  return { from: line.from + place.wordStart, options, validFor: /^[\w-]*$/ };
}

/** Turns API problems (1-based line/col) into CodeMirror diagnostics on the current document. */
export function toDiagnostics(view: EditorView, problems: readonly Problem[]): Diagnostic[] {
  const doc = view.state.doc;
  return problems.map((p) => {
    const line = doc.line(Math.min(Math.max(1, p.line), doc.lines));
    const from = Math.min(line.from + Math.max(0, p.col - 1), line.to);
    const wordEnd = /^[^\s:,\]}]*/.exec(doc.sliceString(from, line.to))?.[0].length ?? 0;
    return {
      from,
      to: Math.max(from + wordEnd, Math.min(from + 1, line.to)),
      severity: p.severity,
      source: p.code,
      message: p.message,
    };
  });
}

/** Options of `createEditor`. */
export interface EditorOptions {
  parent: HTMLElement;
  text: string;
  readOnly?: boolean;
  /** Validates the text (the validate API); its problems become markers. */
  validate: (text: string) => Promise<Problem[]>;
  /** Called after each validation with the problems (for the problems list). */
  onProblems: (problems: Problem[]) => void;
  /** Called on every edit. */
  onChange: (text: string) => void;
  /** Accessible name of the editing area. */
  label: string;
}

/** Creates the editor; returns the view. */
export function createEditor(o: EditorOptions): EditorView {
  const lint = linter(
    async (view) => {
      const problems = await o.validate(view.state.doc.toString());
      o.onProblems(problems);
      return toDiagnostics(view, problems);
    },
    { delay: 400 },
  );
  return new EditorView({
    parent: o.parent,
    state: EditorState.create({
      doc: o.text,
      extensions: [
        EditorView.cspNonce.of(cspNonce()),
        basicSetup,
        keymap.of([indentWithTab]),
        yamlLanguage(),
        lint,
        lintGutter(),
        autocompletion({ override: [completeFromSchema], activateOnTyping: true }),
        EditorState.readOnly.of(o.readOnly ?? false),
        EditorView.contentAttributes.of({ 'aria-label': o.label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) o.onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
}

/** Moves the cursor to a 1-based line/column and focuses the editor. */
export function goTo(view: EditorView, line: number, col: number): void {
  const l = view.state.doc.line(Math.min(Math.max(1, line), view.state.doc.lines));
  const pos = Math.min(l.from + Math.max(0, col - 1), l.to);
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}
