import { describe, expect, it } from 'vitest';

import {
  celEnvironment,
  checkExpression,
  evaluate,
  renderTemplate,
  templateParts,
} from '../../../shared/flow/expressions.js';
import { parseDuration } from '../../../shared/flow/duration.js';

const env = celEnvironment(['n', 'acct', 'name']);

describe('CEL expressions', () => {
  it('evaluates with JSON variables (whole numbers as ints) and returns JSON', () => {
    expect(evaluate(env, 'n + 1', { n: 41 })).toBe(42);
    expect(evaluate(env, 'acct.tier == "gold" && n > 2', { n: 3, acct: { tier: 'gold' } })).toBe(true);
    expect(evaluate(env, '{"a": [n, 2]}', { n: 1 })).toEqual({ a: [1, 2] });
  });

  it('classifies problems: syntax, undeclared variable, type', () => {
    expect(checkExpression(env, 'n +')?.code).toBe('FLOW.EXPRESSION_SYNTAX');
    expect(checkExpression(env, 'other == 1')?.code).toBe('FLOW.UNDECLARED_VARIABLE');
    expect(checkExpression(env, '"a" + 1')?.code).toBe('FLOW.EXPRESSION_TYPE');
    expect(checkExpression(env, 'n > 1')).toBeUndefined();
  });

  it('is bounded: huge expressions are refused, not evaluated', () => {
    expect(checkExpression(env, Array(2000).fill('1').join(' + '))).toBeDefined();
    expect(checkExpression(env, '('.repeat(500) + '1' + ')'.repeat(500))).toBeDefined();
  });

  it('run-time failures are AppErrors without values', () => {
    expect(() => evaluate(env, 'acct.missing', { acct: {} })).toThrow(/expression failed/);
  });

  it('renders templates', () => {
    expect(templateParts('a ${n} b ${ name }')).toEqual({
      parts: ['a ', { expr: 'n' }, ' b ', { expr: 'name' }],
    });
    expect(templateParts('x ${n').error).toMatch(/unclosed/);
    expect(renderTemplate(env, 'Hi ${name}, ${n * 2}${acct}', { name: 'Ann', n: 2, acct: null })).toBe(
      'Hi Ann, 4',
    );
  });
});

describe('durations', () => {
  it('reads ms, s and m and refuses numbers', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(() => parseDuration(5)).toThrow(/durations are strings/);
    expect(() => parseDuration('5 s')).toThrow();
  });
});
