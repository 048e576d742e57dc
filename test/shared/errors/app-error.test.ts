import { describe, expect, it } from 'vitest';

import { AppError, ensureError } from '../../../shared/errors/app-error.js';

describe('AppError', () => {
  it('carries code, retry class and frozen metadata, and serialises without a stack', () => {
    const err = new AppError('GRAPH.THROTTLED', 'Graph asked us to slow down', {
      retryable: true,
      metadata: { status: 429 },
    });
    expect(err.name).toBe('AppError');
    expect(err.toJSON()).toEqual({
      code: 'GRAPH.THROTTLED',
      message: 'Graph asked us to slow down',
      retryable: true,
      metadata: { status: 429 },
    });
    expect(Object.isFrozen(err.metadata)).toBe(true);
    expect(JSON.stringify(err)).not.toContain('at ');
  });

  it('defaults to not retryable', () => {
    expect(new AppError('FLOW.INVALID', 'x').retryable).toBe(false);
  });
});

describe('ensureError', () => {
  it.each([
    ['an Error', new TypeError('t'), 't'],
    ['a string', 'plain', 'plain'],
    ['an object', { a: 1 }, '{"a":1}'],
  ])('turns %s into an Error', (_label, value, message) => {
    const e = ensureError(value);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe(message);
  });
});
