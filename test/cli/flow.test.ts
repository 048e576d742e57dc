import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

import { main } from '../../cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'flow-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});
const flowsDir = join(import.meta.dirname, '..', '..', 'flows');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const code = await main(['node', 'switchboard', ...args]);
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return { code, out, err };
}

const bad = `id: bad
version: 1
description: d
timezone: UTC
entry: start
prompts: {}
steps:
  start:
    type: play
    prompts: [missing]
    next: gone
`;

describe('switchboard flow validate', () => {
  it('prints path:line:col: severity CODE: message and exits 1 on errors', async () => {
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const r = await run('flow', 'validate', join(dir, 'bad.yaml'));
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines).toContain(
      `${join(dir, 'bad.yaml')}:10:15: error FLOW.UNKNOWN_PROMPT: prompt "missing" is not defined in prompts`,
    );
    expect(lines).toContain(
      `${join(dir, 'bad.yaml')}:11:11: error FLOW.UNKNOWN_STEP: step "gone" does not exist`,
    );
    expect(lines.at(-1)).toMatch(/1 file\(s\): \d+ error\(s\)/);
  });

  it('--format json, and exit 0 for the example flows', async () => {
    const r = await run('flow', 'validate', '--format', 'json', join(dir, 'bad.yaml'));
    const json = JSON.parse(r.out) as { errors: number; issues: { code: string; line: number }[] };
    expect(json.errors).toBeGreaterThan(0);
    expect(json.issues[0]).toHaveProperty('line');
    const ok = await run('flow', 'validate', flowsDir, join(flowsDir, 'numbers.yaml'));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('0 error(s)');
  });

  it('a missing or unreadable file is one issue line, no stack, and the other files are still checked', async () => {
    writeFileSync(join(dir, 'bad.yaml'), bad);
    mkdirSync(join(dir, 'folder.yaml'), { recursive: true });
    const r = await run(
      'flow',
      'validate',
      join(dir, 'none.yaml'),
      join(dir, 'folder.yaml'),
      join(dir, 'bad.yaml'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(`${join(dir, 'none.yaml')}:1:1: error FLOW.FILE_NOT_FOUND: no such file`);
    expect(lines[1]).toBe(`${join(dir, 'folder.yaml')}:1:1: error FLOW.FILE_UNREADABLE: not a file`);
    expect(lines).toContain(
      `${join(dir, 'bad.yaml')}:11:11: error FLOW.UNKNOWN_STEP: step "gone" does not exist`,
    );
    expect(lines.at(-1)).toMatch(/^3 file\(s\): \d+ error\(s\)/);
  });
});

describe('switchboard flow validate FOLDER', () => {
  it("also checks the folder's numbers.yaml against the flows in it", async () => {
    const folder = join(dir, 'with-numbers');
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'ok.yaml'),
      `id: ok\nversion: 1\ndescription: d\ntimezone: UTC\nentry: a\nprompts: { p: { text: hi } }\nsteps:\n  a: { type: hangup, prompt: p }\n`,
    );
    writeFileSync(join(folder, 'numbers.yaml'), "numbers:\n  '+14255550100': ok\n  '+14255550101': nope\n");
    const r = await run('flow', 'validate', folder);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${join(folder, 'numbers.yaml')}:3:19: error FLOW.UNKNOWN_FLOW:`);
    expect(r.out.trim().split('\n').at(-1)).toBe('2 file(s): 1 error(s), 0 warning(s)');
  });
});

describe('switchboard flow test', () => {
  it('runs every example scenario and passes', async () => {
    const r = await run('flow', 'test', flowsDir, '--coverage');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/scenarios: \d+ passed, 0 failed; flows: 3 ok, 0 invalid; 0 uncovered/);
  });

  it('reports a missing path as an invalid flow and still runs the others', async () => {
    const r = await run('flow', 'test', join(dir, 'none'), join(flowsDir, 'pharmacy-refill.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toContain(`✗ ${join(dir, 'none')}: FLOW.FILE_NOT_FOUND: no such file or folder`);
    expect(r.out).toMatch(/scenarios: [1-9]\d* passed, 0 failed; flows: 1 ok, 1 invalid/);
  });

  it('exits 1 on a failing scenario and shows why', async () => {
    writeFileSync(
      join(dir, 'f.yaml'),
      `id: f\nversion: 1\ndescription: d\ntimezone: UTC\nentry: a\nprompts: { p: { text: hi } }\nsteps:\n  a: { type: hangup, prompt: p }\ntests:\n  - name: expects a transfer\n    expect: { outcome: "transferred to +14255550100" }\n`,
    );
    const r = await run('flow', 'test', join(dir, 'f.yaml'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('✗ expects a transfer');
    expect(r.out).toContain('outcome: expected "transferred to +14255550100", got "completed"');
  });
});

describe('switchboard flow graph', () => {
  it('draws mermaid and dot; refuses an unknown format', async () => {
    const m = await run('flow', 'graph', join(flowsDir, 'contoso-main.yaml'));
    expect(m.out.startsWith('flowchart TD\n')).toBe(true);
    const d = await run('flow', 'graph', join(flowsDir, 'contoso-main.yaml'), '--format', 'dot');
    expect(d.out.startsWith('digraph "contoso-main" {')).toBe(true);
    const x = await run('flow', 'graph', join(flowsDir, 'contoso-main.yaml'), '--format', 'png');
    expect(x.code).toBe(2);
    expect(x.err.trim().split('\n')).toHaveLength(1);
  });
});
