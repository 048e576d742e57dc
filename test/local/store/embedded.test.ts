import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sqlite from 'node-sqlite3-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../../local/store/embedded.store.js';
import { TestClock, storeContract, storeErrorOf } from '../../shared/store/contract.js';

const root = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
let n = 0;
const freshDir = (): string => join(root, `s${++n}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

storeContract('embedded (SQLite file)', (options) =>
  Promise.resolve(createEmbeddedStore({ dataDir: freshDir(), ...options })),
);

describe('embedded store', () => {
  it('keeps everything across close and reopen', async () => {
    const dataDir = freshDir();
    const store = createEmbeddedStore({ dataDir });
    await store.flows.publish({
      flowId: 'main-menu',
      source: 'src',
      document: { id: 'main-menu' },
      by: 'ana',
    });
    await store.numbers.bind({ number: '+14255550100', flowId: 'main-menu', by: 'ana' });
    const created = await store.calls.create({
      callId: 'c1',
      from: '+1425',
      to: '+14255550100',
      startedAt: '2026-11-20T10:00:00Z',
    });
    await store.timelines.append({
      callId: 'c1',
      at: new Date().toISOString(),
      kind: 'step',
      data: { step: 'greeting' },
    });
    await store.close();
    const reopened = createEmbeddedStore({ dataDir });
    expect((await reopened.flows.getPublished('main-menu'))?.version).toBe(1);
    expect((await reopened.numbers.lookup('+14255550100'))?.flowId).toBe('main-menu');
    expect(await reopened.calls.get('c1')).toEqual(created);
    expect((await reopened.timelines.list('c1')).map((e) => e.data.step)).toEqual(['greeting']);
    await reopened.close();
  });

  it('recovers every committed write after the owning process is killed without closing', () => {
    const dataDir = freshDir();
    const script = join(root, `crash-${n}.mts`);
    const module = pathToFileURL(resolve('local/store/embedded.store.ts')).href;
    writeFileSync(
      script,
      `import { createEmbeddedStore } from ${JSON.stringify(module)};
const store = createEmbeddedStore({ dataDir: ${JSON.stringify(dataDir)} });
await store.flows.publish({ flowId: 'f', source: 's', document: { id: 'f' }, by: 'a' });
await store.calls.create({ callId: 'c1', from: '+1425', to: '+14255550100', startedAt: '2026-11-20T10:00:00Z' });
for (let i = 0; i < 50; i++) await store.timelines.append({ callId: 'c1', seq: i, at: new Date().toISOString(), kind: 'step', data: {} });
process.kill(process.pid, 'SIGKILL');
`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    return (async () => {
      const store = createEmbeddedStore({ dataDir });
      expect((await store.flows.getPublished('f'))?.version).toBe(1);
      expect((await store.calls.get('c1'))?.status).toBe('active');
      expect(await store.timelines.list('c1')).toHaveLength(50);
      await store.close();
    })();
  });

  it('refuses a second open of the same store while the first is open', async () => {
    const dataDir = freshDir();
    const store = createEmbeddedStore({ dataDir });
    expect(() => createEmbeddedStore({ dataDir })).toThrow(/already open/);
    await store.close();
    const again = createEmbeddedStore({ dataDir });
    await again.close();
    writeFileSync(join(dataDir, 'store.sqlite.owner'), String(process.ppid)); // a live process owns it
    expect(() => createEmbeddedStore({ dataDir })).toThrow(/another process/);
  });

  it('expires timeline events after the TTL: hidden at once, deleted by the sweep', async () => {
    const clock = new TestClock();
    const store = createEmbeddedStore({
      dataDir: freshDir(),
      timelineTtlDays: 2,
      now: clock.now,
      sweepIntervalMs: 0,
    });
    await store.timelines.append({ callId: 'c1', at: '2026-11-20T10:00:00.000Z', kind: 'step', data: {} });
    clock.advance(86_400_000);
    await store.timelines.append({ callId: 'c1', at: '2026-11-21T10:00:00.000Z', kind: 'step', data: {} });
    expect(await store.timelines.list('c1')).toHaveLength(2);
    clock.advance(86_400_000 + 1);
    expect((await store.timelines.list('c1')).map((e) => e.at)).toEqual(['2026-11-21T10:00:00.000Z']);
    expect(await store.timelines.purgeExpired()).toBe(1);
    expect(await store.timelines.purgeExpired()).toBe(0);
    await store.close();
  });

  it('refuses, at the file level, to change or delete a published version', async () => {
    const dataDir = freshDir();
    const store = createEmbeddedStore({ dataDir });
    await store.flows.publish({ flowId: 'f', source: 'one', document: { id: 'f' }, by: 'a' });
    await store.close();
    const db = new sqlite.Database(join(dataDir, 'store.sqlite'));
    db.exec('PRAGMA locking_mode = EXCLUSIVE'); // the file is in WAL mode without shared memory
    expect(() => db.run("UPDATE flow_versions SET doc = '{}'")).toThrow(/immutable/);
    expect(() => db.run('DELETE FROM flow_versions')).toThrow(/immutable/);
    db.close();
    const reopened = createEmbeddedStore({ dataDir });
    expect((await reopened.flows.getVersion('f', 1))?.source).toBe('one');
    await reopened.close();
  });

  it('fails with STORE.UNAVAILABLE once closed, and STORE.INVALID for bad options', async () => {
    const store = createEmbeddedStore({ dataDir: freshDir() });
    await store.close();
    const err = await storeErrorOf(store.calls.get('c1'));
    expect(err).toMatchObject({ code: 'STORE.UNAVAILABLE', retryable: true });
    expect(() => createEmbeddedStore({ dataDir: '' })).toThrow(/dataDir/);
    expect(() => createEmbeddedStore({ dataDir: freshDir(), timelineTtlDays: 0 })).toThrow(/timelineTtlDays/);
  });
});
