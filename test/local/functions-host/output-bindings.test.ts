import { describe, expect, it } from 'vitest';
import { typedDataToValue, unsupportedBindings } from '../../../local/functions-host/output-bindings.js';
import type { RegisteredFunction } from '../../../local/functions-host/registry.js';

function fn(bindings: RegisteredFunction['bindings'], triggerName: string): RegisteredFunction {
  const trigger = bindings[triggerName] as RegisteredFunction['trigger']['binding'];
  return {
    name: 'f',
    functionId: 'f',
    bindings,
    trigger: { name: triggerName, binding: trigger },
    rawBindings: [],
    handler: () => undefined,
  };
}

describe('output bindings', () => {
  it('converts typed data to values', () => {
    expect(typedDataToValue({ json: '{"a":1}' })).toEqual({ a: 1 });
    expect(typedDataToValue({ string: 'x' })).toBe('x');
    expect(typedDataToValue({ int: 3 })).toBe(3);
    expect(Buffer.isBuffer(typedDataToValue({ bytes: new Uint8Array([1]) }))).toBe(true);
    expect(typedDataToValue(undefined)).toBeUndefined();
  });

  it('lists bindings the local host does not run', () => {
    const f = fn(
      {
        trig: { type: 'cosmosDBTrigger', direction: 'in' },
        inp: { type: 'durableClient', direction: 'in' },
        blobIn: { type: 'blob', direction: 'in' },
        sb: { type: 'serviceBus', direction: 'out' },
        tbl: { type: 'table', direction: 'out' },
      },
      'trig',
    );
    expect(unsupportedBindings(f)).toEqual([
      'trig: cosmosDBTrigger (in)',
      'blobIn: blob (in)',
      'tbl: table (out)',
    ]);
    expect(
      unsupportedBindings(
        fn({ t: { type: 'httpTrigger', direction: 'in' }, $return: { type: 'http', direction: 'out' } }, 't'),
      ),
    ).toEqual([]);
  });
});
