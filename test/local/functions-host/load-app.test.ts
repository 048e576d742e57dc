import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../local/functions-host/load-app.js';

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/apps/durable-basic/index.ts',
);

describe('loadApp with a durable-functions app', () => {
  it('captures df.app.orchestration and df.app.activity with their trigger bindings', async () => {
    const registry = await loadApp(fixture);
    const byName = new Map(registry.functions().map((f) => [f.name, f]));
    expect(byName.get('helloOrchestration')?.trigger.binding.type).toBe('orchestrationTrigger');
    expect(byName.get('sayHello')?.trigger.binding.type).toBe('activityTrigger');
    expect(registry.functionsWithTrigger('activityTrigger')).toEqual(['sayHello']);
    expect(registry.functionsWithTrigger('orchestrationTrigger')).toEqual(['helloOrchestration']);
    expect(registry.getProgrammingModel()?.name).toBe('@azure/functions');
  });

  it('invokes the activity through the InvocationModel and returns its result', async () => {
    const registry = await loadApp(fixture);
    const result = await registry.invoke('sayHello', { json: '"x"' });
    expect(result.returnValue).toEqual({ string: 'Hello x' });
    expect(result.outputData).toEqual([]);
    const app = (await import('../../fixtures/apps/durable-basic/index.js')) as { hookLog: string[] };
    expect(app.hookLog).toEqual(['appStart', 'pre:sayHello', 'post:sayHello']);
  });

  it('locks the registry after startup and returns the same registry for the same entry', async () => {
    const registry = await loadApp(fixture);
    expect(registry.locked).toBe(true);
    expect(await loadApp(fixture)).toBe(registry);
    await expect(loadApp(path.join(path.dirname(fixture), 'missing.ts'))).rejects.toMatchObject({
      code: 'HOST.ENTRY_NOT_FOUND',
    });
  });

  it('rejects an unknown function with HOST.FUNCTION_NOT_FOUND', async () => {
    const registry = await loadApp(fixture);
    await expect(registry.invoke('nope', { json: '1' })).rejects.toMatchObject({
      code: 'HOST.FUNCTION_NOT_FOUND',
    });
  });
});
