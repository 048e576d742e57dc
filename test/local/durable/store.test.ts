// Unit tests of the task hub's SQLite store and the action/history helpers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ActionType,
  actionInputToJson,
  EventType,
  flattenActions,
  makeEvent,
  consumesSequenceId,
} from '../../../local/durable/history.js';
import { emptyExecutionState, HubStore, type InstanceRecord } from '../../../local/durable/store.js';
import { typedDataToJson } from '../../../local/durable/task-hub.js';

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'durable-store-')), 'hub.sqlite');
}

function instance(
  id: string,
  createdAt: number,
  status: InstanceRecord['status'] = 'Running',
): InstanceRecord {
  return {
    instanceId: id,
    name: 'orch',
    version: null,
    executionId: `e-${id}`,
    status,
    input: '{"a":1}',
    output: null,
    customStatus: null,
    createdAt,
    updatedAt: createdAt,
    parent: null,
    state: emptyExecutionState(),
  };
}

describe('HubStore', () => {
  it('persists instances, history, inbox and work across reopen', () => {
    const file = tmpFile();
    let s = new HubStore(file);
    s.transaction(() => {
      s.putInstance(instance('a', 1000));
      s.appendHistory('a', 'e-a', 0, [
        makeEvent(EventType.OrchestratorStarted, 1000),
        makeEvent(EventType.ExecutionStarted, 1000, { Name: 'orch' }),
      ]);
      s.addInbox({
        instanceId: 'a',
        executionId: 'e-a',
        taskId: 3,
        visibleAt: 5000,
        message: { kind: 'event', event: makeEvent(EventType.TimerFired, 5000, { TimerId: 3 }) },
      });
      s.addWork({ instanceId: 'a', executionId: 'e-a', taskId: 0, name: 'act', input: '"x"' });
    });
    s.close();
    s = new HubStore(file);
    expect(s.getInstance('a')?.input).toBe('{"a":1}');
    expect(s.loadHistory('a').map((e) => e.EventType)).toEqual([
      EventType.OrchestratorStarted,
      EventType.ExecutionStarted,
    ]);
    expect(s.visibleInbox('a', 4999)).toHaveLength(0);
    expect(s.visibleInbox('a', 5000)).toHaveLength(1);
    expect(s.dueInstances(5000)).toEqual(['a']);
    expect(s.nextVisibleAfter(1000)).toBe(5000);
    expect(s.allWork().map((w) => w.name)).toEqual(['act']);
    s.deleteTimer('a', 'e-a', 3);
    expect(s.visibleInbox('a', 9999)).toHaveLength(0);
    s.close();
  });

  it('rolls a failed transaction back', () => {
    const s = new HubStore(tmpFile());
    expect(() =>
      s.transaction(() => {
        s.putInstance(instance('b', 1));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.getInstance('b')).toBeUndefined();
    s.close();
  });

  it('lists by creation time, status and id prefix with paging', () => {
    const s = new HubStore(tmpFile());
    s.transaction(() => {
      for (let i = 0; i < 5; i++)
        s.putInstance(instance(`p-${i}`, 1000 + i, i % 2 === 0 ? 'Completed' : 'Running'));
      s.putInstance(instance('q-0', 1003));
    });
    expect(s.listInstances({ instanceIdPrefix: 'p-' }, 1, 2).map((i) => i.instanceId)).toEqual([
      'p-1',
      'p-2',
    ]);
    expect(s.listInstances({ statuses: ['Completed'] }).map((i) => i.instanceId)).toEqual([
      'p-0',
      'p-2',
      'p-4',
    ]);
    expect(s.listInstances({ createdFrom: 1003, createdTo: 1003 }).map((i) => i.instanceId)).toEqual([
      'p-3',
      'q-0',
    ]);
    s.close();
  });

  it('refuses a data folder owned by a live process and takes over one left by a dead process', () => {
    const file = tmpFile();
    fs.writeFileSync(`${file}.owner`, String(process.ppid));
    expect(() => new HubStore(file)).toThrow(/in use by process/);
    fs.writeFileSync(`${file}.owner`, '999999999');
    fs.mkdirSync(`${file}.lock`);
    const s = new HubStore(file);
    // The stale VFS lock is gone: writing works (it would fail with "database is locked").
    s.transaction(() => s.putInstance(instance('c', 1)));
    expect(s.getInstance('c')?.instanceId).toBe('c');
    s.close();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    expect(fs.existsSync(`${file}.owner`)).toBe(false);
  });
});

describe('action helpers', () => {
  it('flattens WhenAny/WhenAll depth-first and knows which actions consume sequence ids', () => {
    const flat = flattenActions([
      [
        { actionType: ActionType.CallActivity, functionName: 'a' },
        {
          actionType: ActionType.WhenAny,
          compoundActions: [
            { actionType: ActionType.WaitForExternalEvent, externalEventName: 'E' },
            {
              actionType: ActionType.WhenAll,
              compoundActions: [
                { actionType: ActionType.CreateTimer },
                { actionType: ActionType.CallSubOrchestrator, functionName: 's' },
              ],
            },
          ],
        },
      ],
    ]);
    expect(flat.map((a) => a.actionType)).toEqual([
      ActionType.CallActivity,
      ActionType.WaitForExternalEvent,
      ActionType.CreateTimer,
      ActionType.CallSubOrchestrator,
    ]);
    expect(flat.filter(consumesSequenceId)).toHaveLength(3);
  });

  it('treats activity string inputs as pre-encoded JSON and encodes sub-orchestration inputs', () => {
    expect(actionInputToJson({ actionType: ActionType.CallActivity, input: '"x"' })).toBe('"x"');
    expect(actionInputToJson({ actionType: ActionType.CallActivity, input: { a: 1 } })).toBe('{"a":1}');
    expect(actionInputToJson({ actionType: ActionType.CallSubOrchestrator, input: 'x' })).toBe('"x"');
    expect(actionInputToJson({ actionType: ActionType.CallSubOrchestrator })).toBe('null');
  });

  it('turns function return values into DTFx Result JSON', () => {
    expect(typedDataToJson({ json: '{"a":1}' })).toBe('{"a":1}');
    expect(typedDataToJson({ string: 'hi' })).toBe('"hi"');
    expect(typedDataToJson({ int: 3 })).toBe('3');
    expect(typedDataToJson(undefined)).toBe('null');
  });
});
