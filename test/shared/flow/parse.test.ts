import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { estimateDepth, LIMITS, parseSource } from '../../../shared/flow/parse.js';
import { validateFlowSource } from '../../../shared/flow/validate.js';
import { flowYaml } from './helpers.js';

const codes = (text: string) => validateFlowSource(text, { file: 'x.yaml' }).issues.map((i) => i.code);

describe('parseSource', () => {
  it('locates nodes and keys by document path (1-based)', () => {
    const src = parseSource('a:\n  b:\n    - x\n    - y\n  c: 1\n', 'f');
    expect(src.locate(['a', 'b', 1])).toEqual({ line: 4, col: 7 });
    expect(src.locate(['a', 'c'], true)).toEqual({ line: 5, col: 3 });
    expect(src.locate(['a', 'missing'])).toEqual({ line: 2, col: 3 });
  });

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    expect(parseSource('a: [1, 2\nb: 3\n', 'f').issues[0]?.code).toBe('FLOW.YAML_SYNTAX');
    const dup = parseSource('a: 1\nb: 2\na: 3\n', 'f').issues;
    expect(dup[0]).toMatchObject({ code: 'FLOW.DUPLICATE_KEY', line: 3, col: 1 });
  });

  it('refuses binary, oversized and deeply nested input before parsing', () => {
    expect(codes('\u0000\u0001\u0002PK')).toEqual(['FLOW.BINARY']);
    expect(codes('a: "' + 'x'.repeat(LIMITS.maxBytes) + '"')).toEqual(['FLOW.TOO_LARGE']);
    expect(codes('['.repeat(100_000))).toEqual(['FLOW.TOO_DEEP']);
    expect(codes('- '.repeat(5000) + 'x')).toEqual(['FLOW.TOO_DEEP']);
    expect(codes('{"a":'.repeat(2000) + '1' + '}'.repeat(2000))).toEqual(['FLOW.TOO_DEEP']);
  });

  it('caps alias expansion (billion laughs)', () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++)
      lol.push(
        `${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(9)
          .fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`)
          .join(',')}]`,
      );
    const r = codes(lol.join('\n'));
    expect(r).toContain('FLOW.YAML_SYNTAX');
  });

  it('estimateDepth follows indentation, sequences and flow brackets', () => {
    expect(estimateDepth('a:\n  b:\n    c: 1\n')).toBe(3);
    expect(estimateDepth('- - - x\n')).toBe(4);
    expect(estimateDepth('a: "[[[[["\n')).toBe(1);
  });
});

describe('hostile input (property-based): errors, never a crash or a hang', () => {
  const check = (text: string): void => {
    const t0 = performance.now();
    const r = validateFlowSource(text, { file: 'h.yaml' });
    expect(Array.isArray(r.issues)).toBe(true);
    for (const i of r.issues) {
      expect(i.line).toBeGreaterThanOrEqual(1);
      expect(i.col).toBeGreaterThanOrEqual(1);
      expect(typeof i.message).toBe('string');
    }
    expect(performance.now() - t0).toBeLessThan(5000);
  };

  it('arbitrary strings and bytes', () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => check(new TextDecoder().decode(bytes))),
      { numRuns: 200 },
    );
  });

  it('arbitrary JSON values, including deep nesting', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 80 }), (v) => check(JSON.stringify(v))),
      { numRuns: 200 },
    );
  });

  it('mutations of a valid flow', () => {
    const base = flowYaml(`  start:
    type: menu
    prompt: menu
    options: { "1": start, "2": bye }
    noInput: { next: bye }
    noMatch: { next: bye }
  bye:
    type: hangup
`);
    fc.assert(
      fc.property(fc.nat(base.length), fc.nat(200), fc.string({ maxLength: 40 }), (pos, del, ins) =>
        check(base.slice(0, pos) + ins + base.slice(pos + del)),
      ),
      { numRuns: 300 },
    );
  });

  it('flows with arbitrary step graphs validate without throwing', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const step = fc.oneof(
      fc.record({
        type: fc.constant('play'),
        prompts: fc.constant(['hello']),
        next: fc.constantFrom(...names, 'zz'),
      }),
      fc.record({ type: fc.constant('hangup') }),
      fc.record({
        type: fc.constant('menu'),
        prompt: fc.constant('menu'),
        options: fc.dictionary(fc.constantFrom('1', '2', '#', 'X'), fc.constantFrom(...names)),
        noInput: fc.option(fc.record({ next: fc.constantFrom(...names) }), { nil: undefined }),
      }),
      fc.record({
        type: fc.constant('switch'),
        cases: fc.constant([{ when: 'digits == "1"', next: 'a' }]),
        default: fc.constantFrom(...names),
      }),
    );
    fc.assert(
      fc.property(fc.tuple(...names.map(() => step)), (steps) => {
        const flow = {
          id: 'p',
          version: 1,
          description: 'd',
          timezone: 'UTC',
          entry: 'a',
          prompts: { hello: { text: 'h' }, menu: { text: 'm' } },
          steps: Object.fromEntries(names.map((n, i) => [n, steps[i]])),
        };
        check(JSON.stringify(flow));
      }),
      { numRuns: 300 },
    );
  });

  it('huge strings and many steps give limit errors quickly', () => {
    check(`id: x\ndescription: "${'a'.repeat(900_000)}"\n`);
    const many = Array.from({ length: LIMITS.maxSteps + 1 }, (_, i) => `  s${i}: { type: hangup }`).join(
      '\n',
    );
    expect(codes(flowYaml(many))).toContain('FLOW.TOO_MANY_STEPS');
  });
});
