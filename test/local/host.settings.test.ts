import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalHost } from '../../local/host.js';
import { applySettingsToEnv, DEFAULT_PORT, loadLocalSettings } from '../../local/settings.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'host-settings-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeSettings(dir: string, content: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'local.settings.json');
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('loadLocalSettings', () => {
  it('lets the environment win over local.settings.json, and overrides win over both', () => {
    const dir = path.join(tmp, 'p1');
    writeSettings(dir, {
      IsEncrypted: false,
      Values: { A: 'file', B: 'file', N: 3 },
      Host: { LocalHttpPort: 7080 },
      ConnectionStrings: { Db: 'conn' },
    });
    const s = loadLocalSettings({
      projectDir: dir,
      env: { A: 'env', C: 'env-only' },
      overrides: { B: 'override' },
    });
    expect(s.values).toEqual({ A: 'env', B: 'override', N: '3' });
    expect(s.connectionStrings).toEqual({ Db: 'conn' });
    expect(s.port).toBe(7080);
    expect(s.dataDir).toBe(path.join(dir, '.data'));
  });

  it('reads PORT and SWITCHBOARD_DATA_DIR from the environment, with defaults', () => {
    const dir = path.join(tmp, 'p2');
    fs.mkdirSync(dir, { recursive: true });
    expect(loadLocalSettings({ projectDir: dir, env: {} }).port).toBe(DEFAULT_PORT);
    const s = loadLocalSettings({
      projectDir: dir,
      env: { PORT: '7999', SWITCHBOARD_DATA_DIR: 'other-data' },
    });
    expect(s.port).toBe(7999);
    expect(s.dataDir).toBe(path.join(dir, 'other-data'));
    expect(() => loadLocalSettings({ projectDir: dir, env: { PORT: 'abc' } })).toThrow(
      expect.objectContaining({ code: 'SETTINGS.INVALID_PORT' }),
    );
  });

  it('reports malformed files clearly', () => {
    const bad = path.join(tmp, 'p3');
    writeSettings(bad, '{ not json');
    expect(() => loadLocalSettings({ projectDir: bad, env: {} })).toThrow(
      expect.objectContaining({ code: 'SETTINGS.INVALID_JSON' }),
    );
    const enc = path.join(tmp, 'p4');
    writeSettings(enc, { IsEncrypted: true, Values: {} });
    expect(() => loadLocalSettings({ projectDir: enc, env: {} })).toThrow(
      expect.objectContaining({ code: 'SETTINGS.ENCRYPTED' }),
    );
    const obj = path.join(tmp, 'p5');
    writeSettings(obj, { Values: { X: { nested: 1 } } });
    expect(() => loadLocalSettings({ projectDir: obj, env: {} })).toThrow(
      expect.objectContaining({ code: 'SETTINGS.INVALID' }),
    );
  });

  it('exposes values through the environment and restores it', () => {
    const env: NodeJS.ProcessEnv = { KEEP: 'old' };
    const restore = applySettingsToEnv({ values: { KEEP: 'new', ADDED: 'x' } }, env);
    expect(env).toEqual({ KEEP: 'new', ADDED: 'x' });
    restore();
    expect(env).toEqual({ KEEP: 'old' });
  });
});

describe('startLocalHost settings', () => {
  it('gives the app local.settings.json values under the environment', async () => {
    const dir = path.join(tmp, 'app');
    const file = writeSettings(dir, { Values: { SB_FROM_FILE: 'file-value', SB_BOTH: 'file-value' } });
    process.env.SB_BOTH = 'env-value';
    const entry = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '../fixtures/apps/http-basic/index.ts',
    );
    const host = await startLocalHost({
      entry,
      port: 0,
      dataDir: path.join(dir, 'data'),
      localSettings: file,
    });
    try {
      const read = async (key: string): Promise<unknown> =>
        ((await (await fetch(`${host.url}/api/setting/${key}`)).json()) as { value: unknown }).value;
      expect(await read('SB_FROM_FILE')).toBe('file-value');
      expect(await read('SB_BOTH')).toBe('env-value');
    } finally {
      await host.stop();
      delete process.env.SB_BOTH;
    }
    expect(process.env.SB_FROM_FILE).toBeUndefined();
  });
});
